"""`teambot digest` and `teambot import-metrics`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.loading import config_in_force, settings_and_config
from bot.cli.output import said_delivery
from bot.core.clock import utcnow
from bot.core.config import TeamConfig
from bot.core.env import Settings, load_settings
from bot.core.errors import ConfigError
from bot.core.text import names_list

if TYPE_CHECKING:
    from bot.features.digest.service import DigestData


def run(
    settings: Settings, config: TeamConfig, month: date | None, dry_run: bool, chart_file: Path | None = None
) -> int:
    """Build the digest of `month` (default: the last complete month, team time). With `dry_run`
    print it; else post it through the outbox (once per month, ever) and send the outbox. With
    `chart_file`, also write the month's chart there."""
    from bot.core.db import NO_DATABASE, database_file_missing, open_database, transaction
    from bot.features.digest import notices as digest_notices
    from bot.features.digest import service as digest
    from bot.features.digest.blocks import dry_run_text
    from bot.outbox.queue import Outbox
    from bot.outbox.sender import OutboxSender
    from bot.slack.runtime import Runtime

    now = utcnow()
    latest = digest.last_complete_month(now, config.tz)
    key = digest.month_key(month) if month else latest
    if key > latest and not dry_run:
        # Posting a month that has not ended would use up its one digest with partial figures.
        print(
            f"teambot: {key} has not ended yet (team time); the latest month to post is {latest}. "
            "Use --dry-run to preview it.",
            file=sys.stderr,
        )
        return 2
    if database_file_missing(settings.database_url):
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    engine = open_database(settings.database_url)
    config = config_in_force(engine, config)
    if dry_run or chart_file is not None:
        from bot.core.db import make_session_factory

        with make_session_factory(engine)() as session:
            preview = digest.prepare(session, config, key, now)
        if chart_file is not None:
            _write_chart(config, preview, chart_file)
        if dry_run:
            sys.stdout.write(dry_run_text(preview, config.channels.digest, config.digest.leaders, config.kpis))
            return 0
    runtime = Runtime.build(settings, config, engine)
    runtime.check_token()  # a refused token stops here, before the month is used up
    with transaction(runtime.session_factory) as session:
        if digest_notices.delivery(session, key).staff_refused:
            digest_notices.release(session, key)  # an earlier attempt that Slack refused does not count
        previous = digest.already_posted(session, key)
        data = digest.post(session, config, key, now) if previous is None else None
        if data is not None:
            digest_notices.post(Outbox(session, now), config, data)
    if data is None:
        when = f" on {previous.posted_at.astimezone(config.tz):%Y-%m-%d %H:%M}" if previous else ""
        print(f"teambot: the digest for {key} was already posted{when}; use --dry-run to see it", file=sys.stderr)
        return 1
    OutboxSender(runtime.session_factory, runtime.client).drain()
    with transaction(runtime.session_factory) as session:
        delivery = digest_notices.delivery(session, key)
        if delivery.staff_refused:
            # Slack refused the staff post itself (e.g. teambot is not in the channel): the month
            # is not used up, so the digest can be posted once the cause is fixed.
            digest_notices.release(session, key)
    with_chart = " with its chart" if data.chart is not None and data.chart.has_figures else ""
    where = f"in {config.channels.digest}{with_chart} and to {len(config.digest.leaders)} leader(s)"
    if delivery.staff_refused:
        print(
            f"teambot: Slack refused the digest for {key} in {config.channels.digest} ({delivery.staff_refused}); "
            "nothing is marked as posted: fix that and run this again",
            file=sys.stderr,
        )
        return 1
    refused = [f"{who} ({error})" for who, error in delivery.refused.items()]
    if delivery.chart_refused:
        refused.insert(0, f"the chart ({delivery.chart_refused})")
    return said_delivery(f"the digest for {key} {where}", refused=refused, sent=delivery.sent, waiting=delivery.waiting)


def _write_chart(config: TeamConfig, data: DigestData, path: Path) -> None:
    """`--chart FILE.png`: the chart the digest carries; a month without figures has none to write."""
    from bot.features.digest.notices import chart_png

    if data.chart is None or not data.chart.has_figures:
        weeks = f"{data.chart.first_week} to {data.chart.last_week}" if data.chart else data.month
        print(
            f"teambot: --chart: no post figures for {weeks}, so the digest has no chart; {path} not written",
            file=sys.stderr,
        )
        return
    try:
        path.write_bytes(chart_png(config, data))
    except OSError as exc:
        raise ConfigError(f"--chart: cannot write {path}: {exc.strerror or exc.__class__.__name__}") from None


def import_metrics(settings: Settings, path: Path) -> int:
    """Import a tool's export (or teambot's own columns): every row or, if any row is bad, none."""
    from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database
    from bot.features.metrics.imports import Unreadable, import_file

    if database_file_missing(settings.database_url):
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    engine = open_database(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            # One transaction: committed only when every row is good.
            try:
                result = import_file(session, path, utcnow())
            except Unreadable as exc:
                session.rollback()
                print(f"teambot: {exc.message}", file=sys.stderr)
                return exc.exit_code
            if result.errors:
                session.rollback()
                print(f"{path}: read as {result.read_as}", file=sys.stderr)
                for error in result.errors:
                    print(f"{path}: {error}", file=sys.stderr)
                print(f"teambot: nothing was imported ({len(result.errors)} bad row(s))", file=sys.stderr)
                return 1
            session.commit()
    finally:
        engine.dispose()  # a command, not a server: its connections go with it
    print(f"read {path} as {result.read_as}")
    if result.accounts:
        print(f"imported {result.rows} account-day(s) for {len(result.accounts)} account(s) from {path}")
        return 0
    print(f"imported {result.rows} row(s) for {len(result.drafts)} draft(s) from {path}")
    if result.skipped:
        lines = names_list([str(line) for line in result.skipped_lines])
        unnamed = result.skipped - len(result.skipped_lines)
        more = f" and {unnamed} more" if unnamed else ""
        print(f"skipped {result.skipped} row(s) whose URL matches no draft published from teambot (line {lines}{more})")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(need_slack=not args.dry_run)
    return run(settings, config, month=args.month, dry_run=args.dry_run, chart_file=args.chart)


def cmd_import_metrics(args: argparse.Namespace) -> int:
    settings = load_settings()
    return import_metrics(settings, args.file)
