"""Housekeeping: the job that keeps the platform's tables small however long teambot runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, or_, true

from bot.core.db import transaction
from bot.outbox.models import OutboxMessage
from bot.scheduler.context import Job, JobContext
from bot.slack.middleware import forget_old_events

SENT_MEMORY = timedelta(days=30)


def job(kept_outbox_keys: tuple[str, ...] = ()) -> Job:
    """Forget event ids after 24 h and delivered outbox rows after 30 days (far beyond any retry).
    Rows whose dedupe key is LIKE one of `kept_outbox_keys` stay: a feature's record kept in the
    outbox (the digest's rows are the record of which leaders got it and whether Slack refused its
    post, which `teambot digest` reads to post a refused month again without repeating anyone's
    summary)."""

    def housekeeping(ctx: JobContext) -> None:
        with transaction(ctx.session_factory) as session:
            forget_old_events(session, ctx.now)
            session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.status.in_(("sent", "failed")),
                    OutboxMessage.created_at < ctx.now - SENT_MEMORY,
                    or_(
                        OutboxMessage.dedupe_key.is_(None),
                        and_(true(), *(OutboxMessage.dedupe_key.not_like(key) for key in kept_outbox_keys)),
                    ),
                )
            )

    return housekeeping
