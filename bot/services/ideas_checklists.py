"""Export sections of ideas, checklist runs and digests (the features live in bot/services/ideas.py,
checklists.py, metrics.py and digest.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def export_ideas(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    from bot.services import ideas

    return ideas.export(session, since)


def export_checklist_runs(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    from bot.services import checklists

    return checklists.export(session, since)


def export_digests(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    from bot.services import digest

    return digest.export(session, since)
