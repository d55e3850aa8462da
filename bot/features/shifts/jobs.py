"""Scheduled work of shifts: each person is told `[shifts_reminder] days_before` days before a
shift of theirs starts."""

from __future__ import annotations

import logging

from bot.core.db import transaction
from bot.features.shifts import notices
from bot.features.shifts import service as shifts
from bot.outbox.queue import Outbox
from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)


def remind_upcoming_shifts(ctx: JobContext) -> None:
    if not ctx.config.shifts or ctx.config.shifts_reminder.days_before <= 0:
        return
    with transaction(ctx.session_factory) as session:
        outbox = Outbox(session, ctx.now)
        for occurrence in shifts.shifts_to_remind(session, ctx.config, ctx.now):
            if notices.remind(ctx.config, outbox, occurrence):
                log.info("shift reminder: %s %s to %s", occurrence.team, occurrence.key, occurrence.person)


JOBS = (remind_upcoming_shifts,)
