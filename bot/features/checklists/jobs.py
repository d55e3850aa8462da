"""Scheduled work of checklists: posting due runs and nudging unfinished items. Each is a pure
selection over `ctx.now` plus sends keyed in the database, so a tick may run any number of times."""

from __future__ import annotations

from datetime import timedelta

from bot.core.db import transaction
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext


def post_checklists(ctx: JobContext) -> None:
    from bot.features.checklists import service as checklists

    grace = timedelta(minutes=ctx.config.scheduler.misfire_grace_minutes)
    with transaction(ctx.session_factory) as session:
        since = leader.due_since(session, "checklists", ctx.now, grace)
        checklists.post_due(session, Outbox(session, ctx.now), ctx.config, ctx.now, since)
        leader.caught_up(session, "checklists", ctx.now)


def nudge_checklists(ctx: JobContext) -> None:
    from bot.features.checklists import service as checklists

    with transaction(ctx.session_factory) as session:
        checklists.nudge_due(session, Outbox(session, ctx.now), ctx.config, ctx.now)


JOBS = (post_checklists, nudge_checklists)
