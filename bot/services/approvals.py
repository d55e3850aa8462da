"""Drafts and approvals (being built)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models.approvals import Draft


def drafts_waiting_on(session: Session, user: str) -> list[Draft]:
    """Pending drafts whose current step this user may take (used by handoffs)."""
    return []


def export_drafts(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    return []
