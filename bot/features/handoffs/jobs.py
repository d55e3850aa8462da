"""Scheduled work of handoffs: at each rota shift's start (team wall clock, DST-safe via
`bot.core.calendar`) a handoff from the previous person, once per team, shift and boundary wall
time; unacknowledged handoffs are reminded once, then reported to the coordinators."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.calendar import due_between
from bot.core.config import Shift
from bot.core.db import transaction
from bot.features.handoffs import notices
from bot.features.handoffs import service as handoffs
from bot.features.handoffs.models import HandoffKind
from bot.features.shifts import notices as shift_notices
from bot.features.shifts import service as shifts
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)


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
        # A shift starting is a shift change for the on-shift user group even when no handoff is
        # written (the same person again after someone covered by hand, say): the group is set then.
        changed = False
        for shift in config.shifts:
            for due in due_between(shift_cron(shift), config.tz, after, now):
                changed = True
                key = handoffs.boundary_key(shift.team, shift.name, due.wall)
                if handoffs.shift_handed_over_on(session, shift.team, shift.name, due.wall.date()):
                    continue
                rota = shifts.occurrence_of(config, shift, due.wall.date())
                incoming = shifts.holder_of(session, config, rota).person
                outgoing = shifts.person_before(session, config, shift.team, due.at)
                if outgoing == incoming:
                    continue
                if handoffs.handed_over_mid_shift(session, shift.team, shift.name, outgoing, incoming, due.at):
                    continue
                written = handoffs.write(
                    session,
                    config,
                    team=shift.team,
                    from_user=outgoing,
                    to_user=incoming,
                    now=now,
                    kind=HandoffKind.SCHEDULED,
                    shift_name=shift.name,
                    boundary_key=key,
                )
                if written is not None:
                    notices.announce(session, config, outbox, written)
                    log.info("shift change %s: handoff #%s", key, written.handoff.id)
        if changed:
            shift_notices.sync_usergroups(session, config, outbox, now)
        leader.caught_up(session, "shift_changes", now)


def remind_handoffs(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        outbox = Outbox(session, ctx.now)
        for reminder in handoffs.remind_due(session, ctx.config, ctx.now):
            notices.remind(outbox, reminder)


JOBS = (scheduled_shift_changes, remind_handoffs)
