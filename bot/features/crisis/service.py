"""Crisis mode: one crisis at a time holds the posts planned in the next `hold_hours`, collects the
owner's stakeholder updates, and at its end releases the held posts to their final approvers.

Functions take the session, the config and `now`. Text arrives in Slack's escaped form (commands)
or is escaped once by the caller (forms); it is stored so and defused when shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict, NotAllowed
from bot.core.export import iso, since_filter
from bot.core.text import truncate
from bot.features.approvals import service as approvals
from bot.features.approvals.models import Draft, DraftEvent
from bot.features.calendar import service as calendar
from bot.features.calendar.models import Plan
from bot.features.crisis.models import Crisis, CrisisUpdate, HeldDraft, UpdatePrompt
from bot.features.escalations.models import Escalation
from bot.features.roles import service as roles

START_EXAMPLE = "/crisis start Our delivery partner leaked customer data"
UPDATE_EXAMPLE = "/crisis update Statement agreed with legal; publishing at 15:00"
END_EXAMPLE = "/crisis end Statement out, replies handled, back to normal"
MAY_START_ROLES = ("strategist", "community_manager")
# Drafts in these states are left alone: they will not go out on their own.
NOT_HELD = ("published", "withdrawn", "rejected", "expired", "on_hold")
MAX_TEXT = 3000


@dataclass
class Held:
    draft: Draft
    slot: datetime | None
    publishers: list[str]


@dataclass
class StartOutcome:
    crisis: Crisis
    held: list[Held]


@dataclass
class Released:
    draft: Draft
    approvers: list[str]


@dataclass
class EndOutcome:
    crisis: Crisis
    released: list[Released]
    held_ids: list[int]
    updates: int
    escalations: list[int]


@dataclass
class State:
    crisis: Crisis | None
    held_ids: list[int] = field(default_factory=list)
    updates: list[CrisisUpdate] = field(default_factory=list)


# -- who may -------------------------------------------------------------------------------------
def may_start(session: Session, config: TeamConfig, user: str) -> bool:
    """Strategists, team leads and community managers."""
    if any(team.lead == user for team in config.teams.values()):
        return True
    return any(roles.has_role(session, user, role) for role in MAY_START_ROLES)


def check_may_start(session: Session, config: TeamConfig, user: str) -> None:
    if not may_start(session, config, user):
        raise NotAllowed("Only strategists, team leads and community managers may start crisis mode.")


def _check_text(text: str, what: str, example: str) -> str:
    text = text.strip()
    if not text:
        raise BadInput(f"Say {what}.", example)
    return truncate(text, MAX_TEXT)


# -- reading -------------------------------------------------------------------------------------
def ongoing(session: Session, *, lock: bool = False) -> Crisis | None:
    query = select(Crisis).where(Crisis.ongoing.is_(True))
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def held_ids(session: Session, crisis_id: int) -> list[int]:
    return list(
        session.scalars(select(HeldDraft.draft_id).where(HeldDraft.crisis_id == crisis_id).order_by(HeldDraft.draft_id))
    )


def updates_of(session: Session, crisis_id: int) -> list[CrisisUpdate]:
    return list(
        session.scalars(select(CrisisUpdate).where(CrisisUpdate.crisis_id == crisis_id).order_by(CrisisUpdate.id))
    )


def state(session: Session) -> State:
    """The crisis going on (with its held drafts and updates), else the last one that ended."""
    crisis = ongoing(session) or session.scalar(select(Crisis).order_by(Crisis.id.desc()).limit(1))
    if crisis is None:
        return State(None)
    return State(crisis, held_ids(session, crisis.id), updates_of(session, crisis.id))


# -- start ---------------------------------------------------------------------------------------
def start(
    session: Session,
    config: TeamConfig,
    *,
    reason: str,
    by: str,
    now: datetime,
    escalation_id: int | None = None,
    via: str = "command",
) -> StartOutcome:
    """Start crisis mode and hold every post planned in the next `hold_hours`. Two people starting
    at once yield one crisis: the second insert meets the unique `ongoing` (on PostgreSQL it waits
    for the first transaction) and is told who started it. `via` is how it was started (`command`,
    or `button` on a crisis escalation's post), written in each held draft's history."""
    check_may_start(session, config, by)
    reason = _check_text(reason, "what happened", START_EXAMPLE)
    current = ongoing(session)
    if current is None and insert_unless_present(
        session,
        Crisis,
        reason=reason,
        started_by=by,
        started_at=now,
        escalation_id=escalation_id,
        ongoing=True,
    ):
        crisis = ongoing(session)
        assert crisis is not None
    else:
        current = current or ongoing(session)
        raise Conflict(_already_text(current))
    held = []
    for draft_id in _unheld_in_window(session, config, now):
        outcome = _hold(session, config, crisis, approvals.lock(session, draft_id), by, now, via)
        if outcome is not None:
            held.append(outcome)
    return StartOutcome(crisis, held)


def _window_end(config: TeamConfig, now: datetime) -> datetime:
    """The end of the window whose posts are held: `hold_hours` from now, for as long as the crisis
    lasts (a crisis longer than `hold_hours` keeps holding the posts that come within it)."""
    return now + timedelta(hours=config.crisis.hold_hours)


def _unheld_in_window(session: Session, config: TeamConfig, now: datetime) -> list[int]:
    """Drafts planned between `now` and the end of the window that are not held."""
    return list(
        session.scalars(
            select(Plan.draft_id)
            .join(Draft, Draft.id == Plan.draft_id)
            .where(
                Plan.slot.is_not(None),
                Plan.slot >= now,
                Plan.slot <= _window_end(config, now),
                Draft.status.not_in(NOT_HELD),
            )
            .order_by(Plan.draft_id)  # locked in id order: no deadlock with anyone locking several
        )
    )


def _hold_if_in_window(
    session: Session, config: TeamConfig, crisis: Crisis, draft: Draft, by: str, now: datetime, via: str
) -> Held | None:
    """Hold the (locked) draft if its slot lies between `now` and the end of the window (`_hold`
    leaves drafts that are held or settled as they are)."""
    plan = calendar.plan_of(session, draft.id)
    if plan is None or plan.slot is None or not now <= plan.slot <= _window_end(config, now):
        return None
    return _hold(session, config, crisis, draft, by, now, via)


def stragglers(session: Session, config: TeamConfig, now: datetime) -> tuple[int, list[int]] | None:
    """The ongoing crisis and the drafts in the window that are still not held: those the window
    reached since the last tick, as it moves on with the clock, and on PostgreSQL a
    draft planned in the very instant crisis mode starts can miss both holds: the start's selection
    does not see the plan's uncommitted row, and the plan's own check does not see the uncommitted
    crisis. The scheduler sweeps such drafts up on its next tick (a pure selection over `now`)."""
    crisis = ongoing(session)
    if crisis is None:
        return None
    return crisis.id, _unheld_in_window(session, config, now)


def hold_straggler(session: Session, config: TeamConfig, crisis_id: int, draft_id: int, now: datetime) -> Held | None:
    """Hold one draft the sweep found, in its own transaction; nothing if the crisis ended or the
    draft was held, decided or moved out of the window since the selection."""
    crisis = ongoing(session)
    if crisis is None or crisis.id != crisis_id:
        return None
    draft = approvals.lock(session, draft_id)
    return _hold_if_in_window(session, config, crisis, draft, crisis.started_by, now, "schedule")


def _already_text(current: Crisis | None) -> str:
    if current is None:  # it ended between the insert and the look
        return "Someone else just changed crisis mode; look at `/crisis` and try again."
    return (
        f"Crisis mode is already on (crisis #{current.id}, started by <@{current.started_by}>). "
        "Post updates with `/crisis update`; end it with `/crisis end`."
    )


def _hold(
    session: Session, config: TeamConfig, crisis: Crisis, draft: Draft, by: str, now: datetime, via: str
) -> Held | None:
    if draft.status in NOT_HELD:
        return None
    draft.status, draft.updated_at = "on_hold", now
    session.add(DraftEvent(draft=draft, action="held", by=by, at=now, via=via, step=None, note=f"crisis #{crisis.id}"))
    insert_unless_present(session, HeldDraft, crisis_id=crisis.id, draft_id=draft.id, held_at=now, released_at=None)
    plan = calendar.plan_of(session, draft.id)
    slot = plan.slot if plan else None
    publishers = calendar.publishers_of_plan(session, config, plan, slot or now)
    return Held(draft, slot, publishers)


def hold_if_due(session: Session, config: TeamConfig, draft: Draft, *, by: str, now: datetime, via: str) -> Held | None:
    """A draft just planned (or edited) while a crisis lasts: held if its slot is in the crisis's
    window (the next `hold_hours`); `via` is how it was planned or edited."""
    crisis = ongoing(session)
    if crisis is None:
        return None
    return _hold_if_in_window(session, config, crisis, draft, by, now, via)


# -- updates -------------------------------------------------------------------------------------
def check_may_update(session: Session, config: TeamConfig, crisis: Crisis, user: str) -> None:
    if user != crisis.started_by and not may_start(session, config, user):
        raise NotAllowed(
            "Only the person who started crisis mode, strategists, team leads and community managers may post updates."
        )


def _require_ongoing(session: Session, example: str, *, lock: bool = False) -> Crisis:
    crisis = ongoing(session, lock=lock)
    if crisis is None:
        raise Conflict("Crisis mode is not on.", example)
    return crisis


def post_update(session: Session, config: TeamConfig, *, text: str, by: str, now: datetime) -> CrisisUpdate:
    crisis = _require_ongoing(session, UPDATE_EXAMPLE)
    check_may_update(session, config, crisis, by)
    update = CrisisUpdate(
        crisis_id=crisis.id, by=by, at=now, text=_check_text(text, "what the update is", UPDATE_EXAMPLE)
    )
    session.add(update)
    session.flush()
    return update


@dataclass
class DuePrompt:
    crisis_id: int
    owner: str
    number: int


def due_prompts(session: Session, config: TeamConfig, now: datetime) -> list[DuePrompt]:
    """The owner's update prompt due at `now` and not sent yet (a pure selection: after an outage
    only the latest one is due, the earlier ones are moot)."""
    crisis = ongoing(session)
    if crisis is None or now < crisis.started_at:
        return []
    every = timedelta(minutes=config.crisis.update_every_minutes)
    number = int((now - crisis.started_at) / every)
    if number < 1:
        return []
    sent = session.get(UpdatePrompt, (crisis.id, number))
    return [] if sent is not None else [DuePrompt(crisis.id, crisis.started_by, number)]


def claim_prompt(session: Session, prompt: DuePrompt, now: datetime) -> bool:
    """Mark the prompt sent, in the transaction sending it: only one replica or tick wins."""
    return insert_unless_present(session, UpdatePrompt, crisis_id=prompt.crisis_id, number=prompt.number, sent_at=now)


# -- end -----------------------------------------------------------------------------------------
def end(session: Session, config: TeamConfig, *, summary: str, by: str, now: datetime) -> EndOutcome:
    """End the crisis (its owner or a strategist): each held draft goes back to pending at its
    chain's final step, for its final approvers to confirm."""
    crisis = _require_ongoing(session, END_EXAMPLE, lock=True)
    if by != crisis.started_by and not roles.has_role(session, by, "strategist"):
        raise NotAllowed(f"Only <@{crisis.started_by}>, who started crisis mode, or a strategist may end it.")
    crisis.ongoing, crisis.ended_by, crisis.ended_at = None, by, now
    crisis.summary = truncate(summary.strip(), MAX_TEXT) or None
    released = []
    for hold in session.scalars(
        select(HeldDraft)
        .where(HeldDraft.crisis_id == crisis.id, HeldDraft.released_at.is_(None))
        .order_by(HeldDraft.draft_id)
    ).all():
        hold.released_at = now
        draft = approvals.lock(session, hold.draft_id)
        if draft.status == "on_hold":
            released.append(Released(draft, _release(session, crisis, draft, by, now)))
    escalations = session.scalars(
        select(Escalation.id)
        .where(Escalation.created_at >= crisis.started_at, Escalation.created_at <= now)
        .order_by(Escalation.id)
    ).all()
    updates = session.scalar(select(func.count()).select_from(CrisisUpdate).where(CrisisUpdate.crisis_id == crisis.id))
    return EndOutcome(crisis, released, held_ids(session, crisis.id), updates or 0, list(escalations))


def _release(session: Session, crisis: Crisis, draft: Draft, by: str, now: datetime) -> list[str]:
    final = len(draft.chain_roles()) - 1
    for step in approvals.active_steps(draft):
        if step.step_index >= final:
            step.active = False  # the final approval is asked again, in the light of the crisis
    draft.status, draft.decided_at, draft.updated_at = "pending", None, now
    draft.current_step, draft.current_role, draft.step_started_at = final, draft.chain_roles()[final], now
    session.add(
        DraftEvent(
            draft=draft, action="released", by=by, at=now, via="command", step=final + 1, note=f"crisis #{crisis.id}"
        )
    )
    session.flush()
    return approvals.eligible(session, draft)


# -- export --------------------------------------------------------------------------------------
def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    crises = list(session.scalars(since_filter(select(Crisis).order_by(Crisis.id), Crisis.started_at, since)))
    ids = [c.id for c in crises]
    updates: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    held: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for update in session.scalars(
            select(CrisisUpdate).where(CrisisUpdate.crisis_id.in_(ids)).order_by(CrisisUpdate.id)
        ):
            updates[update.crisis_id].append({"by": update.by, "at": iso(update.at), "text": update.text})
        for crisis_id, draft_id in session.execute(
            select(HeldDraft.crisis_id, HeldDraft.draft_id)
            .where(HeldDraft.crisis_id.in_(ids))
            .order_by(HeldDraft.draft_id)
        ):
            held[crisis_id].append(draft_id)
    return [
        {
            "id": c.id,
            "reason": c.reason,
            "started_by": c.started_by,
            "started_at": iso(c.started_at),
            "ended_by": c.ended_by,
            "ended_at": iso(c.ended_at),
            "summary": c.summary,
            "updates": updates[c.id],
            "held": held[c.id],
        }
        for c in crises
    ]
