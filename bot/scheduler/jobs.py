"""The scheduled jobs. Each is a pure selection over `ctx.now` of what is due, plus sends keyed in
the database, so any tick may run any number of times. Each opens its own session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, or_

from bot.db import transaction
from bot.models.core import OutboxMessage
from bot.runtime import JobContext
from bot.services import approvals_jobs, digest, escalation_jobs, ideas_checklists_jobs
from bot.slack.middleware import forget_old_events

Job = Callable[[JobContext], None]


SENT_MEMORY = timedelta(days=30)


def housekeeping(ctx: JobContext) -> None:
    """Forget event ids after 24 h and delivered outbox rows after 30 days (far beyond any retry),
    so the tables stay small however long teambot runs. A digest's rows (a few a month) are kept:
    they are the record of which leaders got it and whether Slack refused its post, which
    `teambot digest` reads to post a refused month again without repeating anyone's summary."""
    with transaction(ctx.session_factory) as session:
        forget_old_events(session, ctx.now)
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_(("sent", "failed")),
                OutboxMessage.created_at < ctx.now - SENT_MEMORY,
                or_(OutboxMessage.dedupe_key.is_(None), OutboxMessage.dedupe_key.not_like(digest.OUTBOX_KEYS)),
            )
        )


JOBS: tuple[Job, ...] = (
    housekeeping,
    *approvals_jobs.JOBS,
    *escalation_jobs.JOBS,
    *ideas_checklists_jobs.JOBS,
)
