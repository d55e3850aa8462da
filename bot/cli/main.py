"""The `teambot` command (also `python -m bot`).

Only the parser lives here, with nothing heavier than argparse: a subcommand's module (and the app,
Slack's SDK, Alembic or matplotlib behind it) is imported when that subcommand runs, so
`teambot --version`, any `--help` and a cron's `teambot export` pay only for what they use."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from bot import __version__
from bot.core.errors import ConfigError

log = logging.getLogger("teambot")

# What runs each subcommand: (module, function), imported only when the subcommand is run.
HANDLERS: dict[str, tuple[str, str]] = {
    "run": ("bot.cli.serve", "cmd_run"),
    "scheduler": ("bot.cli.serve", "cmd_scheduler"),
    "db upgrade": ("bot.cli.database", "cmd_db_upgrade"),
    "config export": ("bot.cli.config_export", "cmd_config_export"),
    "export": ("bot.cli.export", "cmd_export"),
    # The calendar file needs two features' tables and icalendar, not the app every record needs.
    "export --format ics": ("bot.cli.calendar_export", "cmd_export_ics"),
    "digest": ("bot.cli.reports", "cmd_digest"),
    "report": ("bot.cli.weekly_report", "cmd_report"),
    "import-metrics": ("bot.cli.reports", "cmd_import_metrics"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(handler(args)(args) or 0)
    except BrokenPipeError:
        # Whoever read the output stopped early (`teambot export | head`): stop quietly, as any
        # command in a pipe does, and keep the interpreter's final flush from failing once more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ConfigError as exc:
        print(f"teambot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not _database_error(exc):
            raise
        # Never print the URL itself: it may hold a password.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"teambot: DATABASE_URL: cannot use the database ({reason})", file=sys.stderr)
        return 2


def handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    """The function that runs the parsed subcommand, its module imported now."""
    key = args.command_key
    if key == "export" and args.format == "ics":
        key = "export --format ics"
    module, name = HANDLERS[key]
    return getattr(importlib.import_module(module), name)


def _database_error(exc: Exception) -> bool:
    # SQLAlchemy is imported by the subcommands that open a database, not here (it is a third of
    # `teambot --version`'s start-up): if it was never imported, none of its errors was raised.
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, (errors.OperationalError, errors.ArgumentError))


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
    run.set_defaults(command_key="run")

    scheduler = commands.add_parser("scheduler", help="run only the scheduler (and the outbox sender)")
    scheduler.set_defaults(command_key="scheduler")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(command_key="db upgrade")

    config = commands.add_parser("config", help="the configuration in force")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    config_export = config_commands.add_parser(
        "export", help="print the configuration in force (the file plus what was set in Slack) as TOML"
    )
    config_export.add_argument("--output", type=Path, help="write to this file instead of standard output")
    config_export.set_defaults(command_key="config export")

    export = commands.add_parser("export", help="print every record as JSON or CSV")
    export.add_argument("--format", choices=("json", "csv", "ics"), default="json")
    export.add_argument("--since", type=_date, metavar="DATE", help="only records from this date (YYYY-MM-DD, UTC) on")
    export.add_argument("--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(command_key="export")

    digest = commands.add_parser("digest", help="build the monthly digest now")
    digest.add_argument(
        "--month", type=_month, metavar="YYYY-MM", help="the month (default: the last complete month, team time)"
    )
    digest.add_argument("--dry-run", action="store_true", help="print the digest instead of posting it")
    digest.add_argument(
        "--chart", type=Path, metavar="FILE.png", help="also write the month's chart to this file (if it has one)"
    )
    digest.set_defaults(command_key="digest")

    weekly = commands.add_parser("report", help="build the weekly KPI report now")
    weekly.add_argument("--week", metavar="YYYY-Www", help="an ISO week (default: last week, team time)")
    weekly.add_argument("--dry-run", action="store_true", help="print the report instead of posting it")
    weekly.add_argument("--chart", type=Path, metavar="FILE.png", help="also write the report's chart to this file")
    weekly.set_defaults(command_key="report")

    metrics = commands.add_parser(
        "import-metrics", help="import post performance or account figures per day from a tool's export"
    )
    metrics.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="the export as the tool wrote it (CSV or .xlsx: X, Meta Business Suite, LinkedIn, TikTok, "
        "YouTube Studio, Sprout Social, Hootsuite, Buffer) or teambot's own columns",
    )
    metrics.set_defaults(command_key="import-metrics")
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
