"""`teambot db upgrade`."""

from __future__ import annotations

import argparse

from bot.core.env import load_settings


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.core.db import open_database

    settings = load_settings()
    open_database(settings.database_url)
    print("database is up to date")
    return 0
