"""Content ideas: submitting (command, modal, reaction, shortcut), voting in the ideas channel and
the content managers' triage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import dates
from bot.core.config import TeamConfig
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import MAX_LIST, escape_raw, names_list, parse_id, parse_user
from bot.features.calendar import service as calendar
from bot.features.ideas.models import Idea, IdeaDraft, IdeaStatus, IdeaVote, IdeaVoteReaction
from bot.features.roles import service as roles

IDEA_EXAMPLE = "/idea A behind-the-scenes video of the support team"
ASSIGN_EXAMPLE = "/idea assign 12 @anna instagram 2026-12-14"
MAX_TEXT = 3000
# What the form's short fields may hold once escaped (their columns' sizes).
FIELD_LIMITS = {name: Idea.__table__.c[name].type.length for name in ("title", "network", "link")}
_URL = re.compile(r"^https?://[^\s<>|]+$")
# How a draft names the idea it carries out: `idea #12`, any case (also `Idea#12`).
_MENTION = re.compile(r"\bidea\s?#(\d{1,9})\b", re.IGNORECASE)
# A word made of digits and date separators is meant as a date (and is told why it is not one).
_DATE_SHAPED = re.compile(r"^[\d./-]+$")


@dataclass
class Submitted:
    idea: Idea
    new: bool


@dataclass
class Voted:
    """A vote added or withdrawn; `changed` is False when the count stayed (the author's own
    reaction, a second variant of the vote emoji, a vote already counted)."""

    idea: Idea
    changed: bool
    votes: int = 0


@dataclass
class Decided:
    """An idea accepted or declined, and who is told (those who had or submitted it, not the decider)."""

    idea: Idea
    votes: int
    tell: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IdeaForm:
    """The idea form's fields, checked and in Slack's escaped form."""

    title: str
    details: str
    network: str | None
    link: str | None


class InvalidForm(BadInput):
    """The idea form cannot be submitted as filled in; `errors` says why, per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def vote_count(session: Session, idea_id: int) -> int:
    return session.scalar(select(func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == idea_id)) or 0


def get(session: Session, token: str | int, *, example: str = "/idea accept 12") -> Idea:
    idea_id = token if isinstance(token, int) else parse_id(token)
    if idea_id is None:
        raise BadInput(f"`{token}` is not an idea id; ideas are numbered like #12.", example)
    idea = session.get(Idea, idea_id)
    if idea is None:
        raise NotFound(f"There is no idea #{idea_id}.", example)
    return idea


def read_form(title: str, details: str, network: str, link: str) -> IdeaForm:
    """The idea form as typed (trimmed, raw) checked and escaped; InvalidForm names the fields to fix."""
    if not title:
        raise InvalidForm({"title": "An idea needs a title."})
    if link and not _URL.match(link):
        raise InvalidForm({"link": "A link starts with https:// (or http://)."})
    fields = {name: escape_raw(value) for name, value in (("title", title), ("network", network), ("link", link))}
    too_long = {
        name: f"Too long: at most {limit} characters, counting each & as 5 and each < or > as 4."
        for name, limit in FIELD_LIMITS.items()
        if len(fields[name]) > limit
    }
    if too_long:
        raise InvalidForm(too_long)
    return IdeaForm(fields["title"], escape_raw(details), fields["network"] or None, fields["link"] or None)


def submit_form(session: Session, now: datetime, user: str, form: IdeaForm) -> Submitted:
    return submit(
        session,
        now,
        author=user,
        submitted_by=user,
        title=form.title,
        text=form.details,
        network=form.network,
        link=form.link,
    )


def submit(
    session: Session,
    now: datetime,
    *,
    author: str,
    submitted_by: str,
    text: str,
    title: str | None = None,
    network: str | None = None,
    link: str | None = None,
    source: tuple[str, str] | None = None,
) -> Submitted:
    """Store an idea (to be posted in the ideas channel when new). `text` is in Slack's escaped form.
    A message (`source` = channel, ts) is submitted once: later submissions return the first idea."""
    text = text.strip()
    if not text and not title:
        raise BadInput("An idea needs some text.", IDEA_EXAMPLE)
    # A typed idea can be shortened; someone else's message submitted as an idea cannot, so it is
    # kept whole (its post shows the beginning).
    if source is None and len(text) > MAX_TEXT:
        raise BadInput(f"That idea is too long ({len(text)} characters, at most {MAX_TEXT}).", IDEA_EXAMPLE)
    if source is not None:
        existing = by_source(session, *source)
        if existing is not None:
            return Submitted(existing, new=False)
    idea = Idea(
        author=author,
        submitted_by=submitted_by,
        title=title,
        text=text,
        network=network,
        link=link,
        source_channel=source[0] if source else None,
        source_ts=source[1] if source else None,
        status=IdeaStatus.OPEN,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(idea)
    except IntegrityError:
        # Someone else submitted the same message at the same moment.
        assert source is not None
        existing = by_source(session, *source)
        if existing is None:
            raise
        return Submitted(existing, new=False)
    return Submitted(idea, new=True)


def author_of_reacted(user: str | None, item_user: str | None, bot_id: str | None, bot_user: str) -> str | None:
    """Whose idea a message reacted to with the idea emoji is: its author's; None for teambot's own
    messages and other apps' (which are not submitted)."""
    author = user or item_user
    if author is None or author == bot_user or (bot_id and not user):
        return None
    return author


def author_of_shortcut(user: str | None, bot_user: str) -> str:
    """Whose idea a message submitted with the shortcut is; only people's messages can be."""
    if not user or user == bot_user:
        raise BadInput("Only people's messages can be submitted as ideas, not teambot's or other apps'.")
    return user


def by_source(session: Session, channel: str, ts: str) -> Idea | None:
    return session.scalar(select(Idea).where(Idea.source_channel == channel, Idea.source_ts == ts))


def vote(
    session: Session,
    idea: Idea,
    user: str,
    added: bool,
    now: datetime,
    *,
    reaction: str | None = None,
) -> Voted:
    """Add or withdraw `user`'s vote. The author's own vote never counts. `reaction` is the emoji as
    Slack names it (`+1::skin-tone-3`): a person's variants of the vote emoji are one vote,
    withdrawn when the last of them is removed."""
    if user == idea.author:
        return Voted(idea, changed=False)
    # Votes on one idea apply one after the other (the idea row is locked until commit): each
    # message update then counts every earlier vote and is queued after theirs, so the message
    # ends with the true count however many people vote at once. The row is read again under the
    # lock, so the message also shows a decision (Accept/Decline) made while this vote waited.
    session.refresh(idea, with_for_update=True)
    mine = (IdeaVoteReaction.idea_id == idea.id, IdeaVoteReaction.user_id == user)
    if added:
        if reaction:
            insert_unless_present(session, IdeaVoteReaction, idea_id=idea.id, user_id=user, reaction=reaction)
        if session.get(IdeaVote, (idea.id, user)) is not None:
            return Voted(idea, changed=False)
        try:
            with session.begin_nested():
                session.add(IdeaVote(idea_id=idea.id, user_id=user, voted_at=now))
        except IntegrityError:
            return Voted(idea, changed=False)
    else:
        if reaction:
            gone = session.execute(delete(IdeaVoteReaction).where(*mine, IdeaVoteReaction.reaction == reaction))
            if not gone.rowcount:
                # Not recorded: it is the reaction of a vote cast before variants were recorded,
                # which migration 0006 marked with "".
                session.execute(delete(IdeaVoteReaction).where(*mine, IdeaVoteReaction.reaction == ""))
            if session.scalar(select(IdeaVoteReaction.reaction).where(*mine).limit(1)) is not None:
                return Voted(idea, changed=False)  # another variant of the vote emoji is still on the message
        result = session.execute(delete(IdeaVote).where(IdeaVote.idea_id == idea.id, IdeaVote.user_id == user))
        if not result.rowcount:
            return Voted(idea, changed=False)
    return Voted(idea, changed=True, votes=vote_count(session, idea.id))


def require_curator(session: Session, user: str, doing: str = "accept or decline ideas") -> None:
    if not roles.has_role(session, user, "content_manager"):
        raise NotAllowed(f"Only content managers {doing}.")


def to_decline(session: Session, idea_id: int, user: str) -> Idea:
    """The idea `user` is about to decline (the decline form asks for a reason first)."""
    require_curator(session, user)
    idea = get(session, idea_id)
    if idea.status != IdeaStatus.OPEN:
        raise Conflict(f"Idea #{idea.id} was already {idea.status}.")
    return idea


def _decide(session: Session, idea_id: int, actor: str) -> Idea:
    require_curator(session, actor)
    # Lock the idea so two curators deciding at once yield one decision.
    idea = session.scalar(select(Idea).where(Idea.id == idea_id).with_for_update())
    if idea is None:
        raise NotFound(f"There is no idea #{idea_id}.", "/idea accept 12")
    if idea.status != IdeaStatus.OPEN:
        raise Conflict(f"Idea #{idea.id} was already {idea.status} by <@{idea.decided_by}>.")
    return idea


def accept(session: Session, idea_id: int, actor: str, now: datetime) -> Decided:
    idea = _decide(session, idea_id, actor)
    idea.status, idea.decided_by, idea.decided_at = IdeaStatus.ACCEPTED, actor, now
    return _decided(session, idea)


def decline(session: Session, idea_id: int, actor: str, reason: str | None, now: datetime) -> Decided:
    idea = _decide(session, idea_id, actor)
    idea.status, idea.decided_by, idea.decided_at = IdeaStatus.DECLINED, actor, now
    idea.decline_reason = (reason or "").strip() or None
    return _decided(session, idea)


def _decided(session: Session, idea: Idea) -> Decided:
    session.flush()
    tell = [user for user in dict.fromkeys([idea.submitted_by, idea.author]) if user != idea.decided_by]
    return Decided(idea, vote_count(session, idea.id), tell)


# -- owners: `/idea assign N @person [ACCOUNT] [DATE]` ----------------------------------------------
@dataclass(frozen=True)
class Assignment:
    """What `/idea assign` asks for, checked: the idea's id, its owner, and optionally the account
    the post is for and the day it should be ready (team time, today or later)."""

    idea_id: int
    owner: str
    account: str | None = None
    target_date: date | None = None


@dataclass
class Assigned:
    """An idea given an owner. `changed` is False when it already had exactly this assignment;
    `previous_owner` is whoever owned it before (None the first time); `tell` are those who had or
    submitted the idea (not the person assigning it, not the owner, who is told on their own)."""

    idea: Idea
    votes: int
    changed: bool
    previous_owner: str | None = None
    tell: list[str] = field(default_factory=list)


def parse_assignment(config: TeamConfig, args: list[str], today: date) -> Assignment:
    """`/idea assign`'s arguments after the sub-command: `N @person [ACCOUNT] [DATE]` (the account
    and the date in either order). A date is what the calendar accepts: 2026-12-14, today,
    tomorrow or a weekday; not before `today`."""
    if not args:
        raise BadInput("`/idea assign` needs an idea id and the person who owns it.", ASSIGN_EXAMPLE)
    idea_id = parse_id(args[0])
    if idea_id is None:
        raise BadInput(f"`{args[0]}` is not an idea id; ideas are numbered like #12.", ASSIGN_EXAMPLE)
    if len(args) < 2:
        raise BadInput(f"`/idea assign {args[0]}` needs the person who owns the idea: mention them.", ASSIGN_EXAMPLE)
    owner = parse_user(args[1])
    if owner is None:
        raise BadInput(f"`{args[1]}` is not a Slack user; mention the idea's owner with @.", ASSIGN_EXAMPLE)
    extra = args[2:]
    if len(extra) > 2:
        raise BadInput(
            f"`/idea assign` takes at most an account and a date after the person; `{' '.join(extra)}` is too much.",
            ASSIGN_EXAMPLE,
        )
    account: str | None = None
    target: date | None = None
    for word in extra:
        named = config.account(word.lower())
        if named is not None and account is None:
            account = named.name
        elif named is None and target is None and (day := _target_date(config, word, today)) is not None:
            target = day
        else:
            raise BadInput(f"`{word}`: one account and one date at most.", ASSIGN_EXAMPLE)
    if target is not None and target < today:
        raise BadInput(
            f"{target.isoformat()} is in the past (today is {today.isoformat()} on the team's clock): "
            "the target date is today or later.",
            ASSIGN_EXAMPLE,
        )
    return Assignment(idea_id, owner, account, target)


def _target_date(config: TeamConfig, word: str, today: date) -> date | None:
    """`word` as a date, raising why when it is meant as one; a word that is neither a date nor an
    account is answered with the accounts there are."""
    if _DATE_SHAPED.match(word):
        return dates.parse_date(word, today, example=ASSIGN_EXAMPLE)
    try:
        return dates.parse_date(word, today, example=ASSIGN_EXAMPLE)
    except BadInput:
        names = [a.name for a in config.accounts]
        known = names_list(names) if names else "none yet (add [[accounts]] to the config)"
        raise BadInput(
            f"`{word}` is neither an account nor a date. Accounts: {known}. A date is written {calendar.DATE_EXAMPLE}.",
            ASSIGN_EXAMPLE,
        ) from None


def check_may_assign(session: Session, user: str) -> None:
    """Ideas get their owner from those who accept them: the content managers."""
    require_curator(session, user, "assign ideas (they accept and decline them too)")


def assign(session: Session, assignment: Assignment, actor: str, now: datetime) -> Assigned:
    """Give an accepted idea its owner, account and target date; assigning again replaces all three."""
    check_may_assign(session, actor)
    # Locked, so two content managers assigning at once end with one owner, told in that order.
    idea = session.scalar(select(Idea).where(Idea.id == assignment.idea_id).with_for_update())
    if idea is None:
        raise NotFound(f"There is no idea #{assignment.idea_id}.", ASSIGN_EXAMPLE)
    if idea.status == IdeaStatus.OPEN:
        raise Conflict(
            f"Idea #{idea.id} is not accepted yet, and only accepted ideas get an owner. A content manager accepts "
            f"it with its Accept button in the ideas channel or with `/idea accept {idea.id}`, then assigns it.",
            f"/idea accept {idea.id}",
        )
    if idea.status != IdeaStatus.ACCEPTED:
        raise Conflict(f"Idea #{idea.id} was {idea.status}; only accepted ideas get an owner.", ASSIGN_EXAMPLE)
    wanted = (assignment.owner, assignment.account, assignment.target_date)
    if (idea.owner, idea.account, idea.target_date) == wanted:
        return Assigned(idea, vote_count(session, idea.id), changed=False, previous_owner=idea.owner)
    previous = idea.owner
    idea.owner, idea.account, idea.target_date = wanted
    idea.assigned_by, idea.assigned_at = actor, now
    session.flush()
    tell = [u for u in dict.fromkeys([idea.submitted_by, idea.author]) if u not in (actor, idea.owner)]
    return Assigned(idea, vote_count(session, idea.id), changed=True, previous_owner=previous, tell=tell)


# -- drafts that carry out an idea ------------------------------------------------------------------
@dataclass
class Linked:
    """A draft's link to the idea its text names, after the draft was written or edited. `changed`
    says whether the link is new, gone or moved; `missing` are ids the text names that are no idea
    (when no named idea exists)."""

    idea: Idea | None
    changed: bool
    missing: list[int] = field(default_factory=list)


def mentioned_ideas(text: str) -> list[int]:
    """The idea ids a text names as `idea #N`, in order, each once (the first MAX_LIST of them: a
    draft carries out one idea, and a text naming hundreds is not looked up hundreds of times)."""
    return list(dict.fromkeys(int(match.group(1)) for match in _MENTION.finditer(text or "")))[:MAX_LIST]


def link_draft(session: Session, draft_id: int, text: str, now: datetime) -> Linked:
    """Link the draft to the first idea its text names that exists (or unlink it when its text no
    longer names one). The caller holds the draft's row (a new draft, or one locked for its edit)."""
    named = mentioned_ideas(text)
    found = {idea.id: idea for idea in session.scalars(select(Idea).where(Idea.id.in_(named)))} if named else {}
    idea = next((found[i] for i in named if i in found), None)
    link = session.get(IdeaDraft, draft_id)
    missing = [] if idea is not None else named
    if idea is None:
        if link is None:
            return Linked(None, changed=False, missing=missing)
        session.delete(link)
        session.flush()
        return Linked(None, changed=True, missing=missing)
    if link is not None and link.idea_id == idea.id:
        return Linked(idea, changed=False)
    if link is None:
        session.add(IdeaDraft(draft_id=draft_id, idea_id=idea.id, linked_at=now))
    else:
        link.idea_id, link.linked_at = idea.id, now
    session.flush()
    return Linked(idea, changed=True)


def idea_of_draft(session: Session, draft_id: int) -> Idea | None:
    return session.scalar(
        select(Idea).join(IdeaDraft, IdeaDraft.idea_id == Idea.id).where(IdeaDraft.draft_id == draft_id)
    )


def draft_export_fields(session: Session, draft_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`idea` of each exported draft: the id of the idea it carries out, or None (one query)."""
    fields: dict[int, dict[str, Any]] = {i: {"idea": None} for i in draft_ids}
    if not draft_ids:
        return fields
    for draft_id, idea_id in session.execute(select(IdeaDraft.draft_id, IdeaDraft.idea_id)):
        if draft_id in fields:
            fields[draft_id]["idea"] = idea_id
    return fields


OPEN = [Idea.status == IdeaStatus.OPEN]
NOT_DECLINED = [Idea.status != IdeaStatus.DECLINED]


def open_ideas(session: Session) -> list[tuple[Idea, int]]:
    return _with_votes(session, OPEN, by_votes=False)


def top_ideas(session: Session) -> list[tuple[Idea, int]]:
    return _with_votes(session, NOT_DECLINED, by_votes=True)


def count_ideas(session: Session, where: list[Any]) -> int:
    """How many ideas `open_ideas` (OPEN) or `top_ideas` (NOT_DECLINED) would list without a bound."""
    return session.scalar(select(func.count()).select_from(Idea).where(*where)) or 0


def _with_votes(session: Session, where: list[Any], *, by_votes: bool, limit: int = MAX_LIST) -> list[tuple[Idea, int]]:
    votes = select(IdeaVote.idea_id, func.count().label("n")).group_by(IdeaVote.idea_id).subquery("idea_vote_counts")
    count = func.coalesce(votes.c.n, 0)
    order = [count.desc(), Idea.id.asc()] if by_votes else [Idea.id.desc()]
    rows = session.execute(
        select(Idea, count).outerjoin(votes, votes.c.idea_id == Idea.id).where(*where).order_by(*order).limit(limit)
    ).all()
    return [(idea, int(n)) for idea, n in rows]


def full_text(idea: Idea) -> str:
    """The idea as one stored (escaped) text: title, then details."""
    if idea.title and idea.text:
        return f"{idea.title}\n{idea.text}"
    return idea.title or idea.text


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = (
        select(Idea, func.count(IdeaVote.user_id))
        .outerjoin(IdeaVote, IdeaVote.idea_id == Idea.id)
        .group_by(Idea.id)
        .order_by(Idea.id)
    )
    rows = session.execute(since_filter(query, Idea.created_at, since)).all()
    drafts: dict[int, list[int]] = {}
    links = session.execute(select(IdeaDraft.draft_id, IdeaDraft.idea_id).order_by(IdeaDraft.draft_id))
    for draft_id, idea_id in links:
        drafts.setdefault(idea_id, []).append(draft_id)
    return [
        {
            "id": idea.id,
            "author": idea.author,
            "submitted_by": idea.submitted_by,
            "text": full_text(idea),
            "votes": int(votes),
            "status": idea.status,
            "title": idea.title,
            "network": idea.network,
            "link": idea.link,
            "source_channel": idea.source_channel,
            "source_ts": idea.source_ts,
            "created_at": iso(idea.created_at),
            "decided_by": idea.decided_by,
            "decided_at": iso(idea.decided_at),
            "decline_reason": idea.decline_reason,
            "owner": idea.owner,
            "account": idea.account,
            "target_date": idea.target_date.isoformat() if idea.target_date else None,
            "assigned_by": idea.assigned_by,
            "assigned_at": iso(idea.assigned_at),
            "drafts": drafts.get(idea.id, []),
        }
        for idea, votes in rows
    ]
