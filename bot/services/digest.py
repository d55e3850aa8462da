"""The monthly digest (in progress)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def post_due(session: Session, outbox: Any, config: Any, now: datetime, first_start: datetime) -> None:
    return None


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []
