"""Scheduled jobs of escalations, shifts and handoffs. Each is a selection over `ctx.now` of what is
due, with every send claimed in the database, so a retried tick, a restart or a second replica
never sends twice:

- `climb_escalations`: unacknowledged escalations whose level timed out climb one level.
- `scheduled_shift_changes`: at each rota shift's start (team wall clock, DST-safe via
  `bot.scheduler.wallclock`) a handoff from the previous person, once per team, shift and
  boundary wall time.
- `remind_handoffs`: unacknowledged handoffs are reminded once, then reported to the coordinators.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.db import transaction
from bot.outbox import Outbox
from bot.runtime import JobContext
from bot.scheduler import leader
from bot.scheduler.wallclock import due_between
from bot.services import escalations, handoffs, shifts
from bot.settings import Shift

log = logging.getLogger(__name__)


def climb_escalations(ctx: JobContext) -> None:
    with ctx.session_factory() as session:
        due = escalations.due_climbs(session, ctx.now)
    for number in due:
        # One transaction per escalation: one failing cannot hold the others back.
        with transaction(ctx.session_factory) as session:
            if escalations.climb(session, ctx.config, number, ctx.now):
                log.info("escalation #%s climbed a level", number)


def shift_cron(shift: Shift) -> str:
    return f"{shift.start.minute} {shift.start.hour} * * {','.join(shift.days)}"


def scheduled_shift_changes(ctx: JobContext) -> None:
    config, now = ctx.config, ctx.now
    if not config.shifts:
        return
    with transaction(ctx.session_factory) as session:
        grace = timedelta(minutes=config.scheduler.misfire_grace_minutes)
        after = leader.due_since(session, "shift_changes", now, grace)
        outbox = Outbox(session, now)
        for shift in config.shifts:
            for due in due_between(shift_cron(shift), config.tz, after, now):
                key = handoffs.boundary_key(shift.team, shift.name, due.wall)
                if handoffs.shift_handed_over_on(session, shift.team, shift.name, due.wall.date()):
                    continue
                incoming = shifts.occurrence_of(config, shift, due.wall.date()).person
                outgoing = shifts.person_before(session, config, shift.team, due.at)
                if outgoing == incoming:
                    continue
                written = handoffs.write(
                    session,
                    config,
                    outbox,
                    team=shift.team,
                    from_user=outgoing,
                    to_user=incoming,
                    now=now,
                    kind="scheduled",
                    shift_name=shift.name,
                    boundary_key=key,
                )
                if written is not None:
                    log.info("shift change %s: handoff #%s", key, written.id)
        leader.caught_up(session, "shift_changes", now)


def remind_handoffs(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        handoffs.remind_due(session, ctx.config, ctx.now)


JOBS: tuple = (climb_escalations, scheduled_shift_changes, remind_handoffs)
