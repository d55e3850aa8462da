"""Scheduled jobs: checklist posts and nudges, and the monthly digest. Each is a pure selection over
`ctx.now` plus sends keyed in the database (unique run / digest rows and Outbox dedupe keys), so a
tick may run any number of times, in any number of processes."""

from __future__ import annotations

from bot.db import transaction
from bot.outbox import Outbox
from bot.runtime import JobContext
from bot.scheduler.leader import first_started_at


def post_checklists(ctx: JobContext) -> None:
    from bot.services import checklists

    with transaction(ctx.session_factory) as session:
        first = first_started_at(session, ctx.now)
        checklists.post_due(session, Outbox(session, ctx.now), ctx.config, ctx.now, first)


def nudge_checklists(ctx: JobContext) -> None:
    from bot.services import checklists

    with transaction(ctx.session_factory) as session:
        checklists.nudge_due(session, Outbox(session, ctx.now), ctx.config, ctx.now)


def post_digest(ctx: JobContext) -> None:
    from bot.services import digest

    with transaction(ctx.session_factory) as session:
        first = first_started_at(session, ctx.now)
        digest.post_due(session, Outbox(session, ctx.now), ctx.config, ctx.now, first)


JOBS = (post_checklists, nudge_checklists, post_digest)
