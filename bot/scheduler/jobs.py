"""The scheduled jobs. Each is a pure selection over `ctx.now` of what is due, plus sends keyed in
the database, so any tick may run any number of times. Each opens its own session."""

from __future__ import annotations

from collections.abc import Callable

from bot.db import transaction
from bot.runtime import JobContext
from bot.services import approvals_jobs, escalation_jobs, ideas_checklists_jobs
from bot.slack.middleware import forget_old_events

Job = Callable[[JobContext], None]


def housekeeping(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        forget_old_events(session, ctx.now)


JOBS: tuple[Job, ...] = (
    housekeeping,
    *approvals_jobs.JOBS,
    *escalation_jobs.JOBS,
    *ideas_checklists_jobs.JOBS,
)
