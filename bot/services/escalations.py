"""Escalations, shifts and handoffs (not built yet)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def export_escalations(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []


def export_handoffs(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []
