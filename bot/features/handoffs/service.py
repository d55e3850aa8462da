"""Handoffs: by `/handoff @next` or at a scheduled shift change. A handoff reassigns the outgoing
person's open escalations of the team to the incoming person and carries the drafts waiting on
the outgoing person and the shift's notes; it is posted in the team's channel and sent to the
incoming person, who acknowledges it. Unacknowledged, it is reminded once and then reported to
the coordinators (see `jobs.py`). Every action returns an `Outcome` for `notices.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.features.approvals import service as approvals
from bot.features.approvals.models import Draft
from bot.features.escalations import service as escalations
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff, HandoffKind
from bot.features.roles import service as roles
from bot.features.shifts import service as shifts
from bot.features.shifts.models import ShiftNote

HANDOFF_EXAMPLE = "/handoff @ben Two open complaints, see the thread on the outage"


class Action(StrEnum):
    WRITTEN = "written"
    ACKNOWLEDGED = "acknowledged"


@dataclass
class Outcome:
    """What an action did to a handoff, for the notices."""

    handoff: Handoff
    action: Action
    by: str | None = None
    # The escalations it handed over, in order (each is announced like a reassignment).
    reassigned: list[escalations.Outcome] = field(default_factory=list)
    # Whose shift someone else handed over (a lead covering for a colleague): they are told.
    covered_for: str | None = None


@dataclass(frozen=True)
class Reminder:
    """An unacknowledged handoff: the incoming person is reminded, or `report_to` hears that the
    reminder did not help."""

    handoff: Handoff
    report_to: list[str] | None = None


@dataclass(frozen=True)
class Contents:
    """What a handoff carries, as shown in its messages."""

    escalations: list[Escalation]
    drafts: list[tuple[int, Draft | None]]  # None: the draft is gone
    notes: list[ShiftNote]


def contents(session: Session, handoff: Handoff) -> Contents:
    escs = [e for e in (session.get(Escalation, i) for i in handoff.escalation_ids or []) if e is not None]
    drafts = [(number, session.get(Draft, number)) for number in handoff.draft_ids or []]
    return Contents(escs, drafts, shifts.notes_of_handoff(session, handoff.id))


def write(
    session: Session,
    config: TeamConfig,
    *,
    team: str,
    from_user: str | None,
    to_user: str,
    now: datetime,
    kind: HandoffKind,
    notes: str | None = None,
    shift_name: str | None = None,
    boundary_key: str | None = None,
    also_from: str | None = None,
    carry_notes: bool = True,
) -> Outcome | None:
    """Write and carry a handoff; None when the scheduled one for `boundary_key` exists.
    `also_from` is someone else whose open escalations and waiting drafts go over too (who handed
    a colleague's shift over). The team's shift notes go with it unless `carry_notes` is off (a
    handoff of one's own work while someone else holds the shift)."""
    if boundary_key is not None and session.scalar(select(Handoff.id).where(Handoff.boundary_key == boundary_key)):
        return None
    handoff = Handoff(
        team=team,
        from_user=from_user,
        to_user=to_user,
        kind=kind,
        shift_name=shift_name,
        boundary_key=boundary_key,
        notes=notes or None,
        escalation_ids=[],
        draft_ids=[],
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(handoff)
    except IntegrityError:
        # Another replica wrote this boundary's handoff at the same moment.
        return None
    reassigned: list[escalations.Outcome] = []
    draft_ids: list[int] = []
    for giver in dict.fromkeys(u for u in (from_user, also_from) if u and u != to_user):
        for esc in escalations.open_assigned_to(session, team, giver):
            reason = f"Handed over to you by <@{giver}> (handoff #{handoff.id}):"
            reassigned.append(escalations.assign_to(session, config, esc, to_user, reason, now, by=giver))
        draft_ids += [d.id for d in approvals.drafts_waiting_on(session, giver) if d.id not in draft_ids]
    handoff.escalation_ids = [outcome.escalation.id for outcome in reassigned]
    handoff.draft_ids = draft_ids
    if carry_notes:
        session.execute(
            update(ShiftNote)
            .where(ShiftNote.team == team, ShiftNote.handoff_id.is_(None))
            .values(handoff_id=handoff.id)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return Outcome(handoff, Action.WRITTEN, from_user, reassigned)


def for_change(
    session: Session, config: TeamConfig, change: shifts.ChangeOfHands, *, kind: HandoffKind, notes: str, now: datetime
) -> Outcome | None:
    """The handoff of a shift under way that changed hands (a swap taken, time away), as at a shift
    change: the giver's open escalations, their waiting drafts and the team's shift notes go to the
    person taking over. None when this change was handed over already (its key is taken)."""
    return write(
        session,
        config,
        team=change.team,
        from_user=change.from_user,
        to_user=change.to_user,
        now=now,
        kind=kind,
        notes=notes,
        shift_name=change.shift,
        boundary_key=change.key,
    )


def handed_over_mid_shift(
    session: Session, team: str, shift: str, from_user: str | None, to_user: str, since: datetime
) -> bool:
    """Whether the shift that started at `since` already passed from `from_user` to `to_user` while
    under way (a swap or time away taken before the scheduler got to its start): the scheduled
    handoff would be the same change a second time."""
    found = select(Handoff.id).where(
        Handoff.team == team,
        Handoff.shift_name == shift,
        Handoff.from_user == from_user,
        Handoff.to_user == to_user,
        Handoff.kind.in_([HandoffKind.SWAP, HandoffKind.AWAY]),
        Handoff.created_at >= since,
    )
    return session.scalar(found.limit(1)) is not None


def check_not_to_oneself(actor: str, to_user: str) -> None:
    if to_user == actor:
        raise BadInput("You cannot hand off to yourself; name the person taking over.", HANDOFF_EXAMPLE)


def manual(
    session: Session,
    config: TeamConfig,
    *,
    actor: str,
    to_user: str,
    notes: str | None,
    now: datetime,
) -> Outcome:
    """`/handoff @next [notes]`: the incoming person gets the sender's open escalations and waiting
    drafts and is on shift from now on. The team's lead, a coordinator or a strategist who is not on
    shift while a colleague is (covering for a person who went home) hands over that colleague's
    shift: theirs go to @next as well, and they are told. Anyone else who is not on shift while a
    colleague is hands over only their own work; the shift stays with the colleague."""
    check_not_to_oneself(actor, to_user)
    team = shifts.current_team_of(session, config, actor, now) or config.escalation.default_team
    outgoing = actor
    current = shifts.on_shift(session, config, team, now)
    covering = (
        actor == config.team(team).lead
        or roles.has_role(session, actor, "coordinator")
        or (roles.has_role(session, actor, "strategist"))
    )
    someone_else_on_shift = current is not None and current.user not in (actor, to_user)
    if covering and someone_else_on_shift:
        assert current is not None
        outgoing = current.user
        notes = f"Handed over by <@{actor}> for <@{outgoing}>." + (f"\n{notes}" if notes else "")
    # The shift (and its notes) moves when the sender holds it, covers for who does, or nobody
    # does; handing one's own work to a colleague, or to whoever is on shift, leaves it be.
    moves_shift = current is None or current.user == actor or outgoing != actor
    outcome = write(
        session,
        config,
        team=team,
        from_user=outgoing,
        to_user=to_user,
        now=now,
        kind=HandoffKind.MANUAL,
        notes=notes,
        also_from=actor,
        carry_notes=moves_shift,
    )
    assert outcome is not None
    if moves_shift:
        shifts.take_over(session, config, team, to_user, now, relieve_rota=True)
    outcome.by = actor
    if outgoing != actor:
        outcome.covered_for = outgoing
    return outcome


def acknowledge(session: Session, number: int, actor: str, now: datetime) -> Outcome:
    handoff = session.get(Handoff, number, with_for_update=True)
    if handoff is None:
        raise NotFound(f"There is no handoff #{number}.")
    if actor != handoff.to_user:
        raise NotAllowed(f"Only <@{handoff.to_user}>, who takes over, may acknowledge handoff #{handoff.id}.")
    if handoff.acknowledged_at is not None:
        raise Conflict(f"You already acknowledged handoff #{handoff.id}.")
    handoff.acknowledged_at = now
    session.flush()
    return Outcome(handoff, Action.ACKNOWLEDGED, actor)


# -- reminders (run by the scheduler) -----------------------------------------------------------
def remind_due(session: Session, config: TeamConfig, now: datetime) -> list[Reminder]:
    """Remind the incoming person once, then report to the coordinators; each once, by a
    conditional update that only one tick or replica can win."""
    wait = timedelta(minutes=config.handoff.ack_remind_after_minutes)
    due = []
    for handoff in session.scalars(
        select(Handoff)
        .where(Handoff.acknowledged_at.is_(None), Handoff.reported_at.is_(None), Handoff.created_at <= now - wait)
        .order_by(Handoff.id)
    ).all():
        if handoff.reminded_at is None:
            if _claim(session, handoff.id, "reminded_at", now):
                due.append(Reminder(handoff))
        elif handoff.reminded_at <= now - wait and _claim(session, handoff.id, "reported_at", now):
            people = roles.holders(session, "coordinator")
            if not people and config.team(handoff.team).lead:
                people = [config.team(handoff.team).lead]
            due.append(Reminder(handoff, report_to=people))
    return due


def _claim(session: Session, handoff_id: int, column: str, now: datetime) -> bool:
    field = getattr(Handoff, column)
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.acknowledged_at.is_(None), field.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# -- scheduled shift changes --------------------------------------------------------------------
def boundary_key(team: str, shift: str, wall: datetime) -> str:
    return f"{team}:{shift}:{wall:%Y-%m-%dT%H:%M}"


def shift_handed_over_on(session: Session, team: str, shift: str, day: date) -> bool:
    """Whether that day's start of `shift` was already handed over, at whatever time: a shift
    starts at most once a day, and one moved later in the config before a restart must not be
    handed over a second time."""
    day_prefix = boundary_key(team, shift, datetime.combine(day, time())).rsplit("T", 1)[0]
    started = Handoff.boundary_key.startswith(f"{day_prefix}T", autoescape=True)
    return session.scalar(select(Handoff.id).where(started).limit(1)) is not None


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(Handoff).order_by(Handoff.id), Handoff.created_at, since)
    return [
        {
            "id": h.id,
            "team": h.team,
            "from_user": h.from_user,
            "to_user": h.to_user,
            "created_at": iso(h.created_at),
            "acknowledged_at": iso(h.acknowledged_at),
            "kind": h.kind,
            "shift": h.shift_name,
            "escalation_ids": ",".join(str(i) for i in h.escalation_ids or []),
            "draft_ids": ",".join(str(i) for i in h.draft_ids or []),
        }
        for h in session.scalars(query)
    ]
