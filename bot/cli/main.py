"""The `teambot` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import ArgumentError, OperationalError

from bot import __version__
from bot import app as teambot
from bot.core.config import TeamConfig, load_config
from bot.core.env import Settings, load_settings
from bot.core.errors import ConfigError

log = logging.getLogger("teambot")
DEFAULT_PORT = 3000


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"teambot: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, ArgumentError) as exc:
        # Never print the URL itself: it may hold a password.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"teambot: DATABASE_URL: cannot use the database ({reason})", file=sys.stderr)
        return 2


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teambot", description="Slack bot for a social-media team.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"teambot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)")
    run.add_argument(
        "--port",
        type=_port,
        help="HTTP port (default 3000); in Socket Mode, given explicitly, a port that answers GET /healthz only",
    )
    run.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    run.add_argument("--no-scheduler", action="store_true", help="serve requests only (extra web replicas)")
    run.add_argument(
        "--no-sender",
        action="store_true",
        help="leave posting the outbox to `teambot scheduler` processes (web replicas; keeps requests fastest)",
    )
    run.set_defaults(handler=cmd_run)

    scheduler = commands.add_parser("scheduler", help="run only the scheduler (and the outbox sender)")
    scheduler.set_defaults(handler=cmd_scheduler)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(handler=cmd_db_upgrade)

    export = commands.add_parser("export", help="print every record as JSON or CSV")
    export.add_argument("--format", choices=("json", "csv", "ics"), default="json")
    export.add_argument("--since", type=_date, help="only records from this date (YYYY-MM-DD, UTC) on")
    export.add_argument("--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(handler=cmd_export)

    digest = commands.add_parser("digest", help="build the monthly digest now")
    digest.add_argument("--month", type=_month, help="YYYY-MM (default: the last complete month, team time)")
    digest.add_argument("--dry-run", action="store_true", help="print the digest instead of posting it")
    digest.set_defaults(handler=cmd_digest)

    weekly = commands.add_parser("report", help="build the weekly KPI report now")
    weekly.add_argument("--week", help="YYYY-Www, an ISO week (default: last week, team time)")
    weekly.add_argument("--dry-run", action="store_true", help="print the report instead of posting it")
    weekly.add_argument("--chart", type=Path, metavar="FILE.png", help="also write the report's chart to this file")
    weekly.set_defaults(handler=cmd_report)

    metrics = commands.add_parser(
        "import-metrics", help="import post performance or account figures per day from a tool's export"
    )
    metrics.add_argument(
        "file",
        type=Path,
        help="the export as the tool wrote it (CSV or .xlsx: X, Meta Business Suite, LinkedIn, TikTok, "
        "YouTube Studio, Sprout Social, Hootsuite, Buffer) or teambot's own columns",
    )
    metrics.set_defaults(handler=cmd_import_metrics)
    return parser


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-01-31") from None


def _month(value: str) -> date:
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month like 2026-01") from None
    # The month's bounds and the one before it must be dates Python can hold, in any timezone.
    if not 1970 <= month.year <= 9998:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month between 1970-01 and 9998-12")
    return month


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The SDKs log request details at debug level; keep them quiet so no token ends up in a log.
    # APScheduler logs two lines per scheduler tick (every 5 s): its warnings and errors are enough.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "waitress.queue", "alembic.runtime.plugins", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings_and_config(*, need_slack: bool, receives_requests: bool = False) -> tuple[Settings, TeamConfig]:
    settings = load_settings()
    if need_slack:
        settings.require_slack(receives_requests=receives_requests)
    config = load_config(settings.teambot_config, settings.teambot_timezone)
    return settings, config


def _prepared_runtime(settings: Settings, config: TeamConfig):  # type: ignore[no-untyped-def]
    from bot.core.db import open_database, transaction
    from bot.features.roles import service as roles
    from bot.slack.config_check import roles_to_seed
    from bot.slack.runtime import Runtime

    runtime = Runtime.build(settings, config, open_database(settings.database_url))
    seeded = roles_to_seed(runtime.client, config.roles)
    with transaction(runtime.session_factory) as session:
        added = roles.seed(session, seeded, datetime.now(UTC))
    if added:
        log.info("added %d role member(s) from the config", added)
    return runtime


def _stop_on_signal() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    done = threading.Event()

    def _handler(signum: int, _frame: object) -> None:
        log.info("stopping (signal %d)", signum)
        done.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return done


def _wait_for_signal(stop: Callable[[], None]) -> None:
    _stop_on_signal().wait()
    stop()


def _start_background(runtime, *, with_scheduler: bool, with_sender: bool = True):  # type: ignore[no-untyped-def]
    from bot.core.config import keys_naming
    from bot.outbox.sender import OutboxSender, OutboxWorker
    from bot.slack.config_check import check_config_in_background

    check_config_in_background(runtime.client, runtime.config)
    sender = OutboxSender(
        runtime.session_factory, runtime.client, config_keys=lambda channel: keys_naming(runtime.config, channel)
    )
    worker = OutboxWorker(sender) if with_sender else None
    if worker is not None:
        worker.start()
    else:
        log.info("outbox sender off: `teambot scheduler` processes post what this process queues")
    scheduler = teambot.scheduler(runtime) if with_scheduler else None
    if scheduler is not None:
        scheduler.start()

    def stop() -> None:
        if scheduler is not None:
            scheduler.shutdown()
        if worker is not None:
            worker.stop()

    return stop


def cmd_run(args: argparse.Namespace) -> int:
    settings, config = _settings_and_config(need_slack=True, receives_requests=True)
    runtime = _prepared_runtime(settings, config)
    runtime.check_token()

    app = teambot.create_app(runtime)
    from bot.slack import http as slack_http

    # The port first: if it cannot be had, nothing else has started (no scheduler lease taken).
    server = health = None
    if not settings.socket_mode:
        assert settings.slack_signing_secret is not None  # required in HTTP mode
        port = args.port or DEFAULT_PORT
        secret = settings.slack_signing_secret.get_secret_value()
        server = slack_http.listen(app, runtime.engine, secret, args.host, port, calendar=_calendar_feed(runtime))
    elif args.port:
        health = slack_http.listen_for_health(runtime.engine, args.host, args.port)
    stop_background = _start_background(runtime, with_scheduler=not args.no_scheduler, with_sender=not args.no_sender)
    try:
        if server is None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            from bot.slack.socket_mode import connect_with_retry

            assert settings.slack_app_token is not None
            handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
            stopping = _stop_on_signal()
            stop_health = slack_http.serve_in_background(health) if health is not None else lambda: None
            try:
                if connect_with_retry(handler.connect, stopping.wait):
                    log.info(
                        "teambot running in Socket Mode%s", f" (GET /healthz on port {args.port})" if health else ""
                    )
                    stopping.wait()
                    handler.close()
            finally:
                stop_health()
        else:
            slack_http.serve(server, args.host, port)
    finally:
        stop_background()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    settings, config = _settings_and_config(need_slack=True)
    runtime = _prepared_runtime(settings, config)
    runtime.check_token()
    stop_background = _start_background(runtime, with_scheduler=True)
    log.info("teambot scheduler running")
    _wait_for_signal(stop_background)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.core.db import open_database

    settings = load_settings()
    open_database(settings.database_url)
    print("database is up to date")
    return 0


def _calendar_feed(runtime: Any) -> tuple[str, Any] | None:
    """GET /calendar.ics when TEAMBOT_CALENDAR_TOKEN is set: the iCalendar file, built per request."""
    token = runtime.settings.teambot_calendar_token
    if token is None or not token.get_secret_value():
        return None

    def build() -> bytes:
        with runtime.session_factory() as session:
            return teambot.calendar_ics(session)

    return token.get_secret_value(), build


def cmd_export(args: argparse.Namespace) -> int:
    from bot.core import export
    from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database

    settings = load_settings()
    since = datetime(args.since.year, args.since.month, args.since.day, tzinfo=UTC) if args.since else None
    if database_file_missing(settings.database_url):
        # A mistyped path: an error (a backup job must notice), and no empty database left there.
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    with make_session_factory(open_database(settings.database_url))() as session:
        if args.format == "ics":
            text = teambot.calendar_ics(session).decode("utf-8")
        else:
            data = teambot.export_all(session, since)
            text = export.to_json(data) if args.format == "json" else export.to_csv(data)
    if args.output:
        try:
            args.output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--output: cannot write {args.output} ({exc.strerror or exc})") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bot.cli import weekly_report

    settings, config = _settings_and_config(need_slack=not args.dry_run, receives_requests=False)
    return weekly_report.run(settings, config, week=args.week, dry_run=args.dry_run, chart_file=args.chart)


def cmd_digest(args: argparse.Namespace) -> int:
    from bot.cli import reports as digest_cli

    settings, config = _settings_and_config(need_slack=not args.dry_run)
    return digest_cli.run(settings, config, month=args.month, dry_run=args.dry_run)


def cmd_import_metrics(args: argparse.Namespace) -> int:
    from bot.cli import reports as digest_cli

    settings = load_settings()
    return digest_cli.import_metrics(settings, args.file)
