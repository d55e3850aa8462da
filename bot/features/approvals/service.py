"""Drafts and their approval chain.

A draft walks the configured chain of roles one step at a time. Each step is taken by a person
holding that step's role (the author never; nobody twice); a step nobody but the author can take
falls to the strategists. Reject and "request changes" end the walk until the draft is edited.
Every action is kept in the draft's history (who, when, how, which step, note).

All functions take the session and `now`; they lock the draft row for the change, so two people
acting at the same moment on PostgreSQL are applied one after the other."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    delete,
    distinct,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased, selectinload

from bot.core.config import Approval
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import emoji_base, parse_id, parse_permalink, unwrap_link
from bot.features.approvals import extensions
from bot.features.approvals.extensions import HeldPerDraft
from bot.features.approvals.models import (
    DECISIONS,
    ApprovalStep,
    ApproveReaction,
    Draft,
    DraftAction,
    DraftEvent,
    DraftReaction,
    DraftStatus,
    Via,
)
from bot.features.roles import service as roles

APPROVE_EXAMPLE = "/approve #12 looks good"
FALLBACK_ROLE = "strategist"
MAX_WAITING_SCAN = 500


@dataclass
class StepView:
    """One step of a draft's chain as people see it."""

    index: int
    role: str
    approved_by: str | None
    approved_at: datetime | None
    approvers: list[str]  # who may take it now (only for the current step)


@dataclass
class Outcome:
    """What an action did, for the notifications."""

    draft: Draft
    action: DraftAction
    by: str | None
    via: Via
    step: int | None = None  # 0-based index of the step acted on
    note: str | None = None
    duplicate: bool = False
    final: bool = False
    next_approvers: list[str] = field(default_factory=list)
    # Approvals of later steps taken back with a withdrawn step (their approvers).
    reset: list[str] = field(default_factory=list)
    # A decision by reaction has no form to give a reason in: offer one to the person who decided.
    offer_reason: bool = False


# -- lookups -------------------------------------------------------------------------------------
def lock(session: Session, draft_id: int) -> Draft:
    draft = session.scalar(select(Draft).where(Draft.id == draft_id).with_for_update())
    if draft is None:
        raise NotFound(f"There is no draft #{draft_id}.", APPROVE_EXAMPLE)
    return draft


def by_message(session: Session, channel: str, ts: str, *, for_update: bool = False) -> Draft | None:
    query = select(Draft).where(Draft.channel == channel, Draft.ts == ts)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def resolve(session: Session, token: str) -> Draft:
    """A draft from `12`, `#12` or its permalink (locked for update)."""
    draft_id = parse_id(token)
    if draft_id is not None:
        return lock(session, draft_id)
    link = parse_permalink(unwrap_link(token))
    if link is None:
        raise BadInput(f"`{token}` is not a draft id or a draft's link.", APPROVE_EXAMPLE)
    draft = by_message(session, *link, for_update=True)
    if draft is None:
        raise NotFound(
            "That message is not a draft (drafts are the top-level posts in the drafts channel).", APPROVE_EXAMPLE
        )
    return draft


def active_steps(draft: Draft) -> list[ApprovalStep]:
    return [s for s in draft.steps if s.active]


def eligible(session: Session, draft: Draft) -> list[str]:
    """Who may take the draft's current step now."""
    if draft.status != DraftStatus.PENDING:
        return []
    return step_approvers(session, draft)


def step_approvers(session: Session, draft: Draft) -> list[str]:
    """Who could take the draft's current step, whatever its status: those eligible while it is
    pending, and those it waits for again once it is (the author's changes, a deadline missed)."""
    taken = {s.approved_by for s in active_steps(draft)} | {draft.author}
    free = [u for u in role_holders(session, draft, draft.chain_roles()[draft.current_step]) if u not in taken]
    if not free:
        # Nobody holding the role is left who did not write the draft or take an earlier step: the
        # step falls to the strategists (who have not taken one).
        free = [u for u in roles.holders(session, FALLBACK_ROLE) if u not in taken]
    return free


def steps_view(session: Session, draft: Draft) -> list[StepView]:
    by_index = {s.step_index: s for s in active_steps(draft)}
    current = eligible(session, draft)
    views = []
    for index, role in enumerate(draft.chain_roles()):
        step = by_index.get(index)
        if step is not None or draft.status != DraftStatus.PENDING or index < draft.current_step:
            approvers: list[str] = []
        elif index == draft.current_step:
            approvers = current
        else:
            approvers = _holders_or_fallback(session, draft, role)
        views.append(
            StepView(
                index=index,
                role=role,
                approved_by=step.approved_by if step else None,
                approved_at=step.approved_at if step else None,
                approvers=approvers,
            )
        )
    return views


def _holders_or_fallback(session: Session, draft: Draft, role: str) -> list[str]:
    people = [u for u in role_holders(session, draft, role) if u != draft.author]
    if not people:
        # Nobody but the author holds the role: the step falls to the strategists.
        people = [u for u in roles.holders(session, FALLBACK_ROLE) if u != draft.author]
    return people


def role_holders(session: Session, draft: Draft, role: str) -> list[str]:
    """Who holds a chain role for this draft: a team role, or one an extension knows (`client`)."""
    for extension in extensions.installed:
        people = extension.holders(session, draft, role)
        if people is not None:
            return people
    return roles.holders(session, role)


@dataclass
class Waiting:
    """The oldest drafts waiting for someone, and how many wait in all."""

    drafts: list[Draft]
    total: int


def waiting_for(session: Session, user: str, limit: int = MAX_WAITING_SCAN) -> Waiting:
    """Pending drafts whose current step `user` may take (what eligible() says of each one), oldest
    first, with their count: one query whatever the number of drafts, loading only the rows shown."""
    members = roles.members_by_role(session)
    mine = tuple(sorted(role for role, people in members.items() if user in people))
    # Only what falls to a strategist depends on who else holds which role.
    others = tuple((role, tuple(people)) for role, people in sorted(members.items())) if FALLBACK_ROLE in mine else ()
    query = _waiting_query(mine, others, tuple(sorted(_held_per_draft())), limit)
    rows = session.execute(query, {_USER.key: user}).all()
    return Waiting([draft for draft, _total in rows], rows[0][1] if rows else 0)


def drafts_waiting_on(session: Session, user: str) -> list[Draft]:
    """Pending drafts whose current step this user may take (for shift handoffs)."""
    return waiting_for(session, user).drafts


def _held_per_draft() -> dict[str, HeldPerDraft]:
    return {role: held for extension in extensions.installed for role, held in extension.held_per_draft().items()}


# The person whose waiting list is read: a parameter, so that one built query serves everyone
# holding the same roles.
_USER = bindparam("waiting_user", type_=String())


@functools.lru_cache(maxsize=64)
def _waiting_query(
    mine: tuple[str, ...], others: tuple[tuple[str, tuple[str, ...]], ...], per_draft_roles: tuple[str, ...], limit: int
) -> Select[Any]:
    """The waiting list's query for a person holding the team roles `mine` (for a strategist,
    `others` is every role's holders). Building it costs more than running it, so it is built once
    per set of roles, and SQLAlchemy's cache key, memoized on the statement, is computed once too.

    Pending drafts (read through the status index) at a step whose role the person holds (a team
    role, or a role held per draft such as `client`), or which falls to them as a strategist; not
    their own, and not one they took a step of. Who holds a team role is known here, so the
    database never looks holders up per draft: each subquery left is one index probe for a pending
    draft at the step it concerns."""
    per_draft = {role: held for role, held in _held_per_draft().items() if role in per_draft_roles}
    team_roles = set(mine) - per_draft.keys()
    may_take: list[ColumnElement[bool]] = []
    if team_roles:
        may_take.append(Draft.current_role.in_(sorted(team_roles)))
    for role, held in per_draft.items():
        mine_here = exists().where(held.draft_id == Draft.id, held.user_id == _USER)
        may_take.append((Draft.current_role == role) & mine_here)
    if FALLBACK_ROLE in team_roles:
        may_take += _fallen_to_strategists({role: list(people) for role, people in others}, per_draft, team_roles)
    took_a_step = exists().where(
        ApprovalStep.draft_id == Draft.id, ApprovalStep.approved_by == _USER, ApprovalStep.active.is_(True)
    )
    return (
        select(Draft, func.count().over())
        .where(Draft.status == DraftStatus.PENDING, Draft.author != _USER, or_(false(), *may_take), ~took_a_step)
        .order_by(Draft.created_at, Draft.id)
        .limit(limit)
    )


def _fallen_to_strategists(
    members: dict[str, list[str]], per_draft: dict[str, HeldPerDraft], mine: set[str]
) -> list[ColumnElement[bool]]:
    """As in eligible(): a step falls to the strategists when nobody holds its role, or when every
    holder wrote the draft or took a step of it. Roles the strategist holds are theirs anyway."""
    held = {role for role, people in members.items() if people}
    fallen = [Draft.current_role.not_in(sorted(held | per_draft.keys()))]
    for role in sorted(held - mine - per_draft.keys()):
        fallen.append((Draft.current_role == role) & _every_holder_out(members[role]))
    for role, holders in per_draft.items():
        fallen.append((Draft.current_role == role) & ~_a_free_holder(holders))
    return fallen


def _every_holder_out(people: list[str]) -> ColumnElement[bool]:
    """Every one of `people` (who hold the draft's current role) wrote the draft or took one of
    its steps: the holders among its approvers, plus the author if one of them, are all of them.

    A pending draft at step k has at most k active steps (one per step before it; withdrawing or
    editing takes them back), so no draft before step len(people) - 1 can qualify: that column
    test comes first and spares the probe for almost every draft of a team with a few holders per
    role."""
    approvers_holding = (
        select(func.count(distinct(ApprovalStep.approved_by)))
        .where(ApprovalStep.draft_id == Draft.id, ApprovalStep.active.is_(True), ApprovalStep.approved_by.in_(people))
        .scalar_subquery()
    )
    author_holding = case((Draft.author.in_(people), 1), else_=0)
    return (Draft.current_step >= len(people) - 1) & (approvers_holding + author_holding >= len(people))


def _a_free_holder(holders: HeldPerDraft) -> ColumnElement[bool]:
    """The draft has a holder of its (per-draft) current role who neither wrote it nor took one of
    its steps."""
    their_step = aliased(ApprovalStep)
    # Correlated with the holder's row, the query just around it (a condition on `drafts` here
    # would bring that table into this subquery instead of referring to the draft at hand).
    took_one = exists().where(
        their_step.draft_id == holders.draft_id, their_step.approved_by == holders.user_id, their_step.active.is_(True)
    )
    return exists().where(holders.draft_id == Draft.id, holders.user_id != Draft.author, ~took_one)


# -- lifecycle -----------------------------------------------------------------------------------
def submit(
    session: Session,
    *,
    channel: str,
    ts: str,
    author: str,
    text: str,
    files_signature: str,
    chain: list[str],
    now: datetime,
) -> Draft | None:
    """Record a new draft; None if this message is already one (a re-delivered event)."""
    if by_message(session, channel, ts) is not None:
        return None
    draft = Draft(
        channel=channel,
        ts=ts,
        author=author,
        text=text,
        files_signature=files_signature,
        status=DraftStatus.PENDING,
        current_step=0,
        current_role=chain[0],
        chain=",".join(chain),
        created_at=now,
        updated_at=now,
        step_started_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


@dataclass(frozen=True)
class Content:
    """What a draft message says: its text and its files (their ids, as one signature)."""

    text: str
    files_signature: str


def edit(
    session: Session, draft: Draft, *, content: Content, previous: Content | None, by: str, now: datetime
) -> Outcome | None:
    """The draft message changed. Slack also reports link previews and metadata updates as changes:
    only new text or files (against the message before and the version on record) make an edit.
    After any approval or decision an edit resets the draft to the first step; returns None when
    nothing needs saying."""
    if content == previous:
        return None  # a link preview or metadata update, not an edit
    if draft.status == DraftStatus.WITHDRAWN or content == Content(draft.text, draft.files_signature):
        return None
    had_progress = bool(active_steps(draft)) or draft.status != DraftStatus.PENDING
    draft.text, draft.files_signature, draft.updated_at = content.text, content.files_signature, now
    if not had_progress:
        return None
    for step in active_steps(draft):
        step.active = False
    draft.status, draft.decided_at = DraftStatus.PENDING, None
    _start_step(draft, 0, now)
    _log(session, draft, DraftAction.RESET, by, Via.EDIT, now, step=1, note="edited after review")
    return Outcome(draft, DraftAction.RESET, by, Via.EDIT, step=0, next_approvers=eligible(session, draft))


def withdraw(session: Session, draft: Draft, *, by: str | None, now: datetime) -> Outcome | None:
    if draft.status == DraftStatus.WITHDRAWN:
        return None
    draft.status, draft.updated_at = DraftStatus.WITHDRAWN, now
    _log(session, draft, DraftAction.WITHDRAWN, by, Via.EDIT, now, step=None, note="the draft message was deleted")
    return Outcome(draft, DraftAction.WITHDRAWN, by, Via.EDIT)


def approve(session: Session, draft: Draft, *, by: str, via: Via, now: datetime, note: str | None = None) -> Outcome:
    """Take the current step. The same person approving again (a retry, a double click, a reaction
    plus a command) is a duplicate that changes nothing."""
    if any(s.approved_by == by for s in active_steps(draft)):
        return Outcome(draft, DraftAction.APPROVED, by, via, duplicate=True)
    check_can_act(session, draft, by, verb="approve")
    index = draft.current_step
    role = draft.chain_roles()[index]
    session.add(
        ApprovalStep(
            draft=draft, step_index=index, role=role, approved_by=by, approved_at=now, via=via, note=note, active=True
        )
    )
    _log(session, draft, DraftAction.APPROVED, by, via, now, step=index + 1, note=note)
    draft.updated_at = now
    if index + 1 >= len(draft.chain_roles()):
        draft.status, draft.decided_at = DraftStatus.APPROVED, now
        return Outcome(draft, DraftAction.APPROVED, by, via, step=index, note=note, final=True)
    _start_step(draft, index + 1, now)
    return Outcome(draft, DraftAction.APPROVED, by, via, step=index, note=note, next_approvers=eligible(session, draft))


def decide(
    session: Session,
    draft: Draft,
    *,
    decision: DraftStatus,
    by: str,
    via: Via,
    now: datetime,
    note: str | None = None,
) -> Outcome:
    """Reject, or ask for changes, at the current step (`decision` is one of DECISIONS)."""
    action = DraftAction(decision)
    earlier = _last_event(draft, action, by) if draft.status == decision else None
    if earlier is not None:
        if note and note != earlier.note:
            # The same decision again, now with a reason (a form sent after the reaction counted):
            # the reason is kept and told, not dropped as a duplicate.
            return add_reason(session, draft, by=by, note=note, now=now)
        return Outcome(draft, action, by, via, duplicate=True)
    check_may_decide(session, draft, by, decision)
    index = draft.current_step
    _log(session, draft, action, by, via, now, step=index + 1, note=note)
    draft.status, draft.decided_at, draft.updated_at = decision, now, now
    return Outcome(draft, action, by, via, step=index, note=note)


def check_may_decide(session: Session, draft: Draft, user: str, decision: DraftStatus) -> None:
    """Raise unless `user` may reject the draft or ask for changes now (also before the form opens)."""
    verb = "reject" if decision == DraftStatus.REJECTED else "ask for changes to"
    check_can_act(session, draft, user, verb=verb)


def check_reason_applies(draft: Draft) -> None:
    """Raise unless the draft is rejected or sent back for changes (a reason explains only those)."""
    if draft.status not in DECISIONS:
        raise Conflict(f"Draft #{draft.id} is {_said(draft.status)} now; a reason no longer applies.")


def add_reason(session: Session, draft: Draft, *, by: str, note: str | None, now: datetime) -> Outcome:
    """Attach a reason to the rejection or change request `by` made (after a reaction)."""
    if not note:
        raise BadInput("Write a reason.")
    event = _last_event(draft, DraftAction(draft.status), by) if draft.status in DECISIONS else None
    if event is None:
        raise Conflict(f"Draft #{draft.id} has no rejection or change request of yours to add a reason to.")
    event.note = note
    _log(session, draft, DraftAction.REASON_ADDED, by, Via.BUTTON, now, step=event.step, note=note)
    return Outcome(draft, DraftAction.REASON_ADDED, by, Via.BUTTON, step=(event.step or 1) - 1, note=note)


def withdraw_step(session: Session, draft: Draft, *, by: str, now: datetime) -> Outcome | None:
    """An approve reaction was removed: take back the step that person gave by reaction, unless the
    draft is already approved (or withdrawn). A step given by button or command stays: the removed
    reaction may have been refused, or counted as a duplicate of it, and never gave that step.
    Later steps were given on top of it, so they are taken back too; each is recorded in the
    history and their approvers are named in the notice."""
    if draft.status not in (DraftStatus.PENDING, *DECISIONS):
        return None
    mine = next((s for s in active_steps(draft) if s.approved_by == by and s.via == Via.REACTION), None)
    if mine is None:
        return None
    later = [s for s in active_steps(draft) if s.step_index > mine.step_index]
    for step in (mine, *later):
        step.active = False
    draft.updated_at = now
    if draft.status == DraftStatus.PENDING:
        _start_step(draft, mine.step_index, now)
    _log(session, draft, DraftAction.APPROVAL_WITHDRAWN, by, Via.REACTION, now, step=mine.step_index + 1)
    for step in later:
        note = f"approval by {step.approved_by} no longer counts: step {mine.step_index + 1} was withdrawn"
        _log(session, draft, DraftAction.APPROVAL_RESET, by, Via.REACTION, now, step=step.step_index + 1, note=note)
    return Outcome(
        draft,
        DraftAction.APPROVAL_WITHDRAWN,
        by,
        Via.REACTION,
        step=mine.step_index,
        next_approvers=eligible(session, draft),
        reset=[s.approved_by for s in later],
    )


def react(
    session: Session,
    draft: Draft,
    *,
    user: str,
    reaction: str,
    message_ts: str,
    on_draft: bool,
    added: bool,
    emojis: Approval,
    now: datetime,
) -> Outcome | None:
    """A reaction (`reaction` as Slack names it) added to or removed from the draft (`on_draft`) or
    its status message, which asks approvers to react. The approve emoji takes the current step;
    removing a person's last approve reaction takes back the step they gave by reaction. The
    reject and changes emoji decide (the reason can be added afterwards). Reactions on the draft
    are also recorded for the digest; other emoji on the status message do nothing."""
    emoji = emoji_base(reaction)
    if on_draft:
        _record_reaction(session, draft, user=user, emoji=emoji, added=added, now=now)
    if emoji == emojis.approve_emoji:
        none_left = _track_approve_reaction(
            session, draft, user=user, message_ts=message_ts, reaction=reaction, added=added
        )
        if added:
            return approve(session, draft, by=user, via=Via.REACTION, now=now)
        return withdraw_step(session, draft, by=user, now=now) if none_left else None
    if added and emoji in (emojis.reject_emoji, emojis.changes_emoji):
        decision = DraftStatus.REJECTED if emoji == emojis.reject_emoji else DraftStatus.CHANGES_REQUESTED
        outcome = decide(session, draft, decision=decision, by=user, via=Via.REACTION, now=now)
        # A reaction cannot open a form: the reason is asked for with a button instead.
        outcome.offer_reason = not outcome.duplicate
        return outcome
    return None


def _track_approve_reaction(
    session: Session, draft: Draft, *, user: str, message_ts: str, reaction: str, added: bool
) -> bool:
    """Record an approve reaction added or removed (`reaction` as Slack names it). True when the
    person now has none left on the draft or its status message: only then may a removal
    withdraw their approval."""
    mine = (ApproveReaction.draft_id == draft.id, ApproveReaction.user_id == user)
    if added:
        insert_unless_present(
            session, ApproveReaction, draft_id=draft.id, user_id=user, message_ts=message_ts, reaction=reaction
        )
        return False
    session.execute(
        delete(ApproveReaction).where(
            *mine, ApproveReaction.message_ts == message_ts, ApproveReaction.reaction == reaction
        )
    )
    return session.scalar(select(ApproveReaction.reaction).where(*mine).limit(1)) is None


def _record_reaction(session: Session, draft: Draft, *, user: str, emoji: str, added: bool, now: datetime) -> None:
    if added:
        insert_unless_present(session, DraftReaction, draft_id=draft.id, user_id=user, emoji=emoji, added_at=now)
    else:
        session.execute(
            delete(DraftReaction).where(
                DraftReaction.draft_id == draft.id, DraftReaction.user_id == user, DraftReaction.emoji == emoji
            )
        )


def due_reminders(session: Session, now: datetime, after: timedelta) -> list[tuple[Draft, list[str]]]:
    """Pending drafts whose current step has waited longer than `after`, with who should act."""
    drafts = session.scalars(
        select(Draft)
        .where(
            Draft.status == DraftStatus.PENDING,
            Draft.step_started_at <= now - after,
            or_(Draft.reminded_at.is_(None), Draft.reminded_at < Draft.step_started_at),
        )
        .options(selectinload(Draft.steps))
        .order_by(Draft.step_started_at)
    ).all()
    return [(draft, eligible(session, draft)) for draft in drafts]


def claim_reminder(session: Session, draft: Draft, now: datetime) -> bool:
    """Mark the draft's current step as reminded, unless it moved on since it was selected (an
    approval committed in between, or another scheduler reminded it): a conditional update that
    only one transaction can win, which on PostgreSQL waits for a concurrent approval first."""
    claimed = session.execute(
        update(Draft)
        .where(
            Draft.id == draft.id,
            Draft.status == DraftStatus.PENDING,
            Draft.current_step == draft.current_step,
            Draft.step_started_at == draft.step_started_at,
            or_(Draft.reminded_at.is_(None), Draft.reminded_at < Draft.step_started_at),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def log_reminder(session: Session, draft: Draft, now: datetime) -> None:
    _log(session, draft, DraftAction.REMINDED, None, Via.SCHEDULE, now, step=draft.current_step + 1)


def check_can_act(session: Session, draft: Draft, user: str, *, verb: str) -> None:
    """Raise if `user` may not act on the draft's current step now (also checked before a modal opens)."""
    if draft.status != DraftStatus.PENDING:
        raise Conflict(f"Draft #{draft.id} is {_said(draft.status)}; there is nothing to {verb} now.")
    if user == draft.author:
        raise NotAllowed(f"You wrote draft #{draft.id}, so you cannot {verb} it yourself.")
    if any(s.approved_by == user for s in active_steps(draft)):
        raise NotAllowed(f"You already took a step of draft #{draft.id}; the next step needs someone else.")
    if user not in eligible(session, draft):
        role = draft.chain_roles()[draft.current_step]
        raise NotAllowed(
            f"Draft #{draft.id} is waiting for a {role} (step {draft.current_step + 1} of "
            f"{len(draft.chain_roles())}), and you cannot take that step."
        )


def _said(status: str) -> str:
    """A status in words (`changes_requested` as "changes requested")."""
    return status.replace("_", " ")


def _last_event(draft: Draft, action: DraftAction, by: str) -> DraftEvent | None:
    return next((e for e in reversed(draft.history) if e.action == action and e.by == by), None)


def _log(
    session: Session,
    draft: Draft,
    action: DraftAction,
    by: str | None,
    via: Via,
    now: datetime,
    *,
    step: int | None,
    note: str | None = None,
) -> DraftEvent:
    event = DraftEvent(draft=draft, action=action, by=by, at=now, via=via, step=step, note=note)
    session.add(event)
    return event


def _start_step(draft: Draft, index: int, now: datetime) -> None:
    draft.current_step, draft.current_role, draft.step_started_at = index, draft.chain_roles()[index], now


# -- export --------------------------------------------------------------------------------------
def export_drafts(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = select(Draft).options(selectinload(Draft.steps), selectinload(Draft.history)).order_by(Draft.id)
    query = since_filter(query, Draft.created_at, since)
    drafts = list(session.scalars(query))
    extra: dict[int, dict[str, Any]] = {}
    for extension in extensions.installed:
        for draft_id, fields in extension.export_fields(session, [d.id for d in drafts]).items():
            extra.setdefault(draft_id, {}).update(fields)
    result = []
    for draft in drafts:
        by_index = {s.step_index: s for s in active_steps(draft)}
        result.append(
            {
                "id": draft.id,
                "channel": draft.channel,
                "ts": draft.ts,
                "author": draft.author,
                "status": draft.status,
                "created_at": iso(draft.created_at),
                "decided_at": iso(draft.decided_at),
                "published_url": draft.published_url,
                "steps": [
                    {
                        "role": role,
                        "approved_by": by_index[i].approved_by if i in by_index else None,
                        "approved_at": iso(by_index[i].approved_at) if i in by_index else None,
                        "via": by_index[i].via if i in by_index else None,
                        "note": by_index[i].note if i in by_index else None,
                    }
                    for i, role in enumerate(draft.chain_roles())
                ],
                "history": [
                    {"action": e.action, "by": e.by, "at": iso(e.at), "via": e.via, "step": e.step, "note": e.note}
                    for e in draft.history
                ],
                **extra.get(draft.id, {}),
            }
        )
    return result
