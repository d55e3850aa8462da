"""`teambot report`: the weekly KPI report now (default: last week), posted, or printed with
`--dry-run`; `--chart FILE.png` also writes its chart."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.loading import config_in_force, settings_and_config
from bot.cli.output import said_delivery
from bot.core.clock import utcnow
from bot.core.config import TeamConfig
from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database, transaction
from bot.core.env import Settings
from bot.core.errors import ConfigError, DomainError
from bot.features.report import blocks, chart, notices
from bot.features.report import service as report
from bot.outbox.queue import Outbox
from bot.outbox.sender import OutboxSender
from bot.slack.runtime import Runtime


def run(settings: Settings, config: TeamConfig, *, week: str | None, dry_run: bool, chart_file: Path | None) -> int:
    now = utcnow()
    try:
        monday = report.parse_week(week) if week else report.last_complete_week(config, now)
    except DomainError as exc:
        raise ConfigError(f"--week: {exc.message}") from None
    label = report.week_label(monday)
    if monday > report.last_complete_week(config, now) and not dry_run:
        print(f"teambot: {label} has not ended yet (team time); use --dry-run to preview it.", file=sys.stderr)
        return 2
    if database_file_missing(settings.database_url):
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    engine = open_database(settings.database_url)
    config = config_in_force(engine, config)
    with make_session_factory(engine)() as session:
        result = report.build(session, config, monday)
    if chart_file is not None:
        title = f"Impressions and engagement rate, {result.series[0].week} to {result.series[-1].week}"
        try:
            chart_file.write_bytes(chart.render(result.series, config.kpis, title))
        except OSError as exc:
            raise ConfigError(f"--chart: cannot write {chart_file}: {exc.strerror or exc.__class__.__name__}") from None
    if dry_run:
        sys.stdout.write(blocks.plain_report(result))
        return 0
    runtime = Runtime.build(settings, config, engine)
    runtime.check_token()  # a refused token stops here, before the week is used up
    with transaction(runtime.session_factory) as session:
        # An earlier attempt that Slack refused does not count: its week is posted again (under
        # the claim it kept, when authors already explained its standouts).
        refused_before = notices.delivery(session, label).report_refused is not None
        if refused_before:
            notices.release(session, label)
        previous = report.posted_record(session, label)
        if previous is None:
            claimed = report.claim(session, result, now)
            previous = None if claimed else report.posted_record(session, label)
        else:
            claimed = refused_before  # the claim was kept: post again under it
            if claimed:
                report.claim_again(session, result, now)
        if claimed:
            notices.post_report(session, Outbox(session, now), config, result)
    if not claimed:
        when = f" on {previous.posted_at.astimezone(config.tz):%Y-%m-%d %H:%M}" if previous else ""
        print(f"teambot: the report for {label} was already posted{when}; use --dry-run to see it", file=sys.stderr)
        return 1
    OutboxSender(runtime.session_factory, runtime.client).drain()
    with transaction(runtime.session_factory) as session:
        delivery = notices.delivery(session, label)
        if delivery.report_refused:
            # Slack refused the report itself (e.g. teambot is not in the channel): the week is not
            # used up, so the report can be posted once the cause is fixed.
            notices.release(session, label)
    where = notices.channel(config)
    if delivery.report_refused:
        print(
            f"teambot: Slack refused the report for {label} in {where} ({delivery.report_refused}); "
            "the week is left to post again: fix that and run this again",
            file=sys.stderr,
        )
        return 1
    refused = [f"the question to the author of draft #{draft} ({error})" for draft, error in delivery.refused.items()]
    if delivery.chart_refused:
        refused.insert(0, f"the chart ({delivery.chart_refused})")
    return said_delivery(
        f"the report for {label} in {where}",
        refused=refused,
        sent=delivery.sent,
        waiting=delivery.waiting,
        done=" with its chart",
    )


def cmd_report(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(need_slack=not args.dry_run, receives_requests=False)
    return run(settings, config, week=args.week, dry_run=args.dry_run, chart_file=args.chart)
