"""`teambot export --format ics`: the publishing calendar as an iCalendar file. It needs the
calendar's and the drafts' tables and icalendar only, not the app: a cron fetching the file pays
for little more than the file."""

from __future__ import annotations

import argparse

from bot.cli import output
from bot.core.db import NO_DATABASE, database_file_missing, make_session_factory, open_database
from bot.core.env import load_settings
from bot.core.errors import ConfigError
from bot.features.calendar import ics


def cmd_export_ics(args: argparse.Namespace) -> int:
    settings = load_settings()
    if database_file_missing(settings.database_url):
        # A mistyped path: an error (a backup job must notice), and no empty database left there.
        raise ConfigError(f"DATABASE_URL: {NO_DATABASE}")
    sessions = make_session_factory(open_database(settings.database_url))
    output.write(ics.export(sessions).decode("utf-8"), args.output)
    return 0
