"""The scheduler process part: APScheduler ticks every few seconds; on the leader, each tick runs
every job for the current time. The jobs are not APScheduler jobs themselves (APScheduler 3 cannot
share a job store between processes), so nothing about them lives in memory."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.clock import utcnow
from bot.core.db import transaction
from bot.outbox.sender import worker_id
from bot.scheduler import leader
from bot.scheduler.context import Job, JobContext
from bot.slack.runtime import Runtime

log = logging.getLogger(__name__)

TICK_SECONDS = 5


def run_jobs(runtime: Runtime, now: datetime, jobs: Sequence[Job]) -> None:
    """Run every job once for `now` (also the entry point tests use with frozen time)."""
    ctx = JobContext(runtime.current_config(now), runtime.session_factory, now)
    with transaction(ctx.session_factory) as session:
        leader.first_started_at(session, now)
    for job in jobs:
        try:
            job(ctx)
        except Exception:
            # One failing job must not stop the others; it is retried on the next tick.
            log.exception("scheduled job %s failed", getattr(job, "__name__", job))


class SchedulerService:
    def __init__(self, runtime: Runtime, jobs: Sequence[Job], owner: str | None = None):
        self.runtime = runtime
        self.jobs = tuple(jobs)
        self.owner = owner or worker_id()
        self.leading = False
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_job(
            self.tick, IntervalTrigger(seconds=TICK_SECONDS), max_instances=1, coalesce=True, id="tick"
        )

    def tick(self) -> None:
        now = utcnow()
        try:
            leading = leader.acquire(self.runtime.session_factory, self.owner, now)
        except Exception:
            log.exception("scheduler: could not reach the database for the lease")
            return
        if leading != self.leading:
            log.info("scheduler: %s leader", "became" if leading else "is no longer")
            self.leading = leading
        if leading:
            run_jobs(self.runtime, now, self.jobs)

    def start(self) -> None:
        self._scheduler.start()
        self._scheduler.modify_job("tick", next_run_time=utcnow())

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=True)
        leader.release(self.runtime.session_factory, self.owner)
