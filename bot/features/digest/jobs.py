"""Scheduled work of the digest: the month's digest, posted once (unique digest row and outbox keys)."""

from __future__ import annotations

from bot.core.db import transaction
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext


def post_digest(ctx: JobContext) -> None:
    from bot.features.digest import service as digest

    with transaction(ctx.session_factory) as session:
        first = leader.first_started_at(session, ctx.now)
        digest.post_due(session, Outbox(session, ctx.now), ctx.config, ctx.now, first)


JOBS = (post_digest,)
