"""`teambot export`: every record as JSON or CSV, or the publishing calendar as iCalendar."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot import app as teambot
from bot.core.env import load_settings
from bot.core.errors import ConfigError


def cmd_export(args: argparse.Namespace) -> int:
    from bot.core import export
    from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database

    settings = load_settings()
    since = datetime(args.since.year, args.since.month, args.since.day, tzinfo=UTC) if args.since else None
    if database_file_missing(settings.database_url):
        # A mistyped path: an error (a backup job must notice), and no empty database left there.
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    sessions = make_session_factory(open_database(settings.database_url))
    if args.format == "ics":
        text = teambot.calendar_ics(sessions).decode("utf-8")
    else:
        with sessions() as session:
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
