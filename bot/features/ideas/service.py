"""Content ideas: submitting (command, modal, reaction, shortcut), voting in the ideas channel and
the content managers' triage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.text import MAX_LIST, parse_id
from bot.features.ideas import blocks as idea_blocks
from bot.features.ideas.models import Idea, IdeaVote, IdeaVoteReaction
from bot.features.roles import service as roles
from bot.outbox.models import SlackMessage
from bot.outbox.queue import Outbox

IDEA_EXAMPLE = "/idea A behind-the-scenes video of the support team"
MAX_TEXT = 3000
# What the form's short fields may hold once escaped (their columns' sizes).
FIELD_LIMITS = {name: Idea.__table__.c[name].type.length for name in ("title", "network", "link")}


def message_key(idea_id: int) -> str:
    return f"idea:{idea_id}"


@dataclass
class Submitted:
    idea: Idea
    new: bool


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


def submit(
    session: Session,
    outbox: Outbox,
    config: TeamConfig,
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
    """Store an idea and post it in the ideas channel. `text` is in Slack's escaped form. A message
    (`source` = channel, ts) is submitted once: later submissions return the first idea."""
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
        status="open",
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
    fallback, blocks = idea_blocks.idea_message(idea, votes=0, vote_emoji=config.ideas.vote_emoji)
    outbox.post(config.channels.ideas, fallback, blocks, key=message_key(idea.id), dedupe=f"idea:{idea.id}:post")
    return Submitted(idea, new=True)


def by_source(session: Session, channel: str, ts: str) -> Idea | None:
    return session.scalar(select(Idea).where(Idea.source_channel == channel, Idea.source_ts == ts))


def idea_of_message(session: Session, channel: str, ts: str) -> Idea | None:
    """The idea whose post in the ideas channel is the message (channel, ts)."""
    keys = session.scalars(
        select(SlackMessage.key).where(
            SlackMessage.ts == ts, SlackMessage.channel == channel, SlackMessage.key.like("idea:%")
        )
    ).all()
    for key in keys:
        idea_id = parse_id(key.removeprefix("idea:"))
        if idea_id is not None:
            return session.get(Idea, idea_id)
    return None


def vote(
    session: Session,
    outbox: Outbox,
    config: TeamConfig,
    idea: Idea,
    user: str,
    added: bool,
    now: datetime,
    *,
    reaction: str | None = None,
) -> bool:
    """Add or withdraw `user`'s vote; True when the count changed. The author's own vote never
    counts. `reaction` is the emoji as Slack names it (`+1::skin-tone-3`): a person's variants of
    the vote emoji are one vote, withdrawn when the last of them is removed."""
    if user == idea.author:
        return False
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
            return False
        try:
            with session.begin_nested():
                session.add(IdeaVote(idea_id=idea.id, user_id=user, voted_at=now))
        except IntegrityError:
            return False
    else:
        if reaction:
            gone = session.execute(delete(IdeaVoteReaction).where(*mine, IdeaVoteReaction.reaction == reaction))
            if not gone.rowcount:
                # Not recorded: it is the reaction of a vote cast before variants were recorded,
                # which migration 0006 marked with "".
                session.execute(delete(IdeaVoteReaction).where(*mine, IdeaVoteReaction.reaction == ""))
            if session.scalar(select(IdeaVoteReaction.reaction).where(*mine).limit(1)) is not None:
                return False  # another variant of the vote emoji is still on the message
        result = session.execute(delete(IdeaVote).where(IdeaVote.idea_id == idea.id, IdeaVote.user_id == user))
        if not result.rowcount:
            return False
    refresh_message(session, outbox, config, idea)
    return True


def refresh_message(session: Session, outbox: Outbox, config: TeamConfig, idea: Idea) -> None:
    fallback, blocks = idea_blocks.idea_message(idea, vote_count(session, idea.id), config.ideas.vote_emoji)
    outbox.update(message_key(idea.id), fallback, blocks)


def require_curator(session: Session, user: str) -> None:
    if not roles.has_role(session, user, "content_manager"):
        raise NotAllowed("Only content managers accept or decline ideas.")


def _decide(session: Session, idea_id: int, actor: str) -> Idea:
    require_curator(session, actor)
    # Lock the idea so two curators deciding at once yield one decision.
    idea = session.scalar(select(Idea).where(Idea.id == idea_id).with_for_update())
    if idea is None:
        raise NotFound(f"There is no idea #{idea_id}.", "/idea accept 12")
    if idea.status != "open":
        raise Conflict(f"Idea #{idea.id} was already {idea.status} by <@{idea.decided_by}>.")
    return idea


def accept(session: Session, outbox: Outbox, config: TeamConfig, idea_id: int, actor: str, now: datetime) -> Idea:
    idea = _decide(session, idea_id, actor)
    idea.status, idea.decided_by, idea.decided_at = "accepted", actor, now
    session.flush()
    refresh_message(session, outbox, config, idea)
    _tell_submitter(outbox, idea)
    return idea


def decline(
    session: Session, outbox: Outbox, config: TeamConfig, idea_id: int, actor: str, reason: str | None, now: datetime
) -> Idea:
    idea = _decide(session, idea_id, actor)
    idea.status, idea.decided_by, idea.decided_at = "declined", actor, now
    idea.decline_reason = (reason or "").strip() or None
    session.flush()
    refresh_message(session, outbox, config, idea)
    _tell_submitter(outbox, idea)
    return idea


def _tell_submitter(outbox: Outbox, idea: Idea) -> None:
    text = idea_blocks.decision_notice(idea)
    for user in dict.fromkeys([idea.submitted_by, idea.author]):
        if user != idea.decided_by:
            outbox.dm(user, text, dedupe=f"idea:{idea.id}:{idea.status}:tell:{user}")


OPEN = [Idea.status == "open"]
NOT_DECLINED = [Idea.status != "declined"]


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


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    from bot.core.export import iso, since_filter

    query = (
        select(Idea, func.count(IdeaVote.user_id))
        .outerjoin(IdeaVote, IdeaVote.idea_id == Idea.id)
        .group_by(Idea.id)
        .order_by(Idea.id)
    )
    rows = session.execute(since_filter(query, Idea.created_at, since)).all()
    return [
        {
            "id": idea.id,
            "author": idea.author,
            "submitted_by": idea.submitted_by,
            "text": idea_blocks.full_text(idea),
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
        }
        for idea, votes in rows
    ]
