"""Scheduled jobs: checklist posts and nudges, and the monthly digest. Each is a pure selection over
`ctx.now` plus sends keyed in the database (unique run / digest rows and Outbox dedupe keys), so a
tick may run any number of times, in any number of processes."""

from __future__ import annotations

from datetime import timedelta

from bot.db import transaction
from bot.outbox import Outbox
from bot.runtime import JobContext
from bot.scheduler import leader


def post_checklists(ctx: JobContext) -> None:
    from bot.services import checklists

    grace = timedelta(minutes=ctx.config.scheduler.misfire_grace_minutes)
    with transaction(ctx.session_factory) as session:
        since = leader.due_since(session, "checklists", ctx.now, grace)
        checklists.post_due(session, Outbox(session, ctx.now), ctx.config, ctx.now, since)
        leader.caught_up(session, "checklists", ctx.now)


def nudge_checklists(ctx: JobContext) -> None:
    from bot.services import checklists

    with transaction(ctx.session_factory) as session:
        checklists.nudge_due(session, Outbox(session, ctx.now), ctx.config, ctx.now)


def post_digest(ctx: JobContext) -> None:
    from bot.services import digest

    with transaction(ctx.session_factory) as session:
        first = leader.first_started_at(session, ctx.now)
        digest.post_due(session, Outbox(session, ctx.now), ctx.config, ctx.now, first)


JOBS = (post_checklists, nudge_checklists, post_digest)
