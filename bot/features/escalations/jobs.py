"""Scheduled work of escalations: unacknowledged escalations whose level timed out climb one level."""

from __future__ import annotations

import logging

from bot.core.db import transaction
from bot.features.escalations import notices
from bot.features.escalations import service as escalations
from bot.outbox.queue import Outbox
from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)


def climb_escalations(ctx: JobContext) -> None:
    with ctx.session_factory() as session:
        due = escalations.due_climbs(session, ctx.now)
    for number in due:
        # One transaction per escalation: one failing cannot hold the others back.
        with transaction(ctx.session_factory) as session:
            outcome = escalations.climb(session, ctx.config, number, ctx.now)
            if outcome is not None:
                notices.announce(ctx.config, Outbox(session, ctx.now), outcome)
                log.info("escalation #%s climbed a level", number)


JOBS = (climb_escalations,)
