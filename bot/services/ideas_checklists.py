"""Ideas, checklists and digests (not built yet)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def export_ideas(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []


def export_checklist_runs(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []


def export_digests(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []
