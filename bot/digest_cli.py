"""`teambot digest` and `teambot import-metrics` (not built yet)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from bot.settings import Settings, TeamConfig


def run(settings: Settings, config: TeamConfig, month: date | None, dry_run: bool) -> int:
    print("teambot: the digest is not available yet", file=sys.stderr)
    return 1


def import_metrics(settings: Settings, path: Path) -> int:
    print("teambot: import-metrics is not available yet", file=sys.stderr)
    return 1
