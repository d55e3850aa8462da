"""Scheduled work of the digest: the month's digest, posted once (unique digest row and outbox keys)."""

from __future__ import annotations

from bot.core.db import transaction
from bot.features.digest import notices
from bot.features.digest import service as digest
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext


def post_digest(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        first = leader.first_started_at(session, ctx.now)
        data = digest.post_due(session, ctx.config, ctx.now, first)
        if data is not None:
            notices.post(Outbox(session, ctx.now), ctx.config, data)


JOBS = (post_digest,)
