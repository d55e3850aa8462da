"""Drafts and approvals (being built)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def export_drafts(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []
