"""Scheduled work of checklists: posting due runs and nudging unfinished items. Each is a pure
selection over `ctx.now` plus sends keyed in the database, so a tick may run any number of times."""

from __future__ import annotations

from datetime import timedelta

from bot.core.db import transaction
from bot.features.checklists import notices
from bot.features.checklists import service as checklists
from bot.outbox import history
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext


def post_checklists(ctx: JobContext) -> None:
    grace = timedelta(minutes=ctx.config.scheduler.misfire_grace_minutes)
    with transaction(ctx.session_factory) as session:
        since = leader.due_since(session, "checklists", ctx.now, grace)
        outbox = Outbox(session, ctx.now)
        for run in checklists.post_due(session, ctx.config, ctx.now, since):
            notices.post_scheduled(outbox, ctx.config, run)
        leader.caught_up(session, "checklists", ctx.now)


def nudge_checklists(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        outbox = Outbox(session, ctx.now)
        for nudge in checklists.nudge_due(session, ctx.config, ctx.now, history.posted_messages()):
            notices.nudge(outbox, nudge)


JOBS = (post_checklists, nudge_checklists)
