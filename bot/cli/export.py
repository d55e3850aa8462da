"""`teambot export` (`--format json` or `csv`): every record, with what each feature adds to it
(so the whole app); `--format ics` is `bot.cli.calendar_export`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot import app as teambot
from bot.cli import output
from bot.core import export
from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database
from bot.core.env import load_settings
from bot.core.errors import ConfigError


def cmd_export(args: argparse.Namespace) -> int:
    settings = load_settings()
    since = datetime(args.since.year, args.since.month, args.since.day, tzinfo=UTC) if args.since else None
    if database_file_missing(settings.database_url):
        # A mistyped path: an error (a backup job must notice), and no empty database left there.
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    sessions = make_session_factory(open_database(settings.database_url))
    with sessions() as session:
        data = teambot.export_all(session, since)
    output.write(export.to_json(data) if args.format == "json" else export.to_csv(data), args.output)
    return 0
