"""Scheduled work of the weekly report: last week's report, posted once at `[report].cron`."""

from __future__ import annotations

import logging

from bot.core.db import transaction
from bot.features.report import notices
from bot.features.report import service as report
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)


def post_weekly_report(ctx: JobContext) -> None:
    with transaction(ctx.session_factory) as session:
        monday = report.due_week(ctx.config, ctx.now, leader.first_started_at(session, ctx.now))
        if monday is None or report.posted(session, report.week_label(monday)):
            return
        result = report.build(session, ctx.config, monday)
        if report.claim(session, result, ctx.now):
            notices.post_report(session, Outbox(session, ctx.now), ctx.config, result)
            log.info("weekly report %s posted", result.week)


JOBS = (post_weekly_report,)
