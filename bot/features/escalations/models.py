"""Escalations and who was notified of each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class EscalationStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EscalationVia(StrEnum):
    """Where an escalation was opened from."""

    COMMAND = "command"
    MODAL = "modal"
    REACTION = "reaction"
    SHORTCUT = "shortcut"
    ALERT = "alert"  # a listening tool's alert, by rule


class Escalation(Base):
    """A complaint or crisis assigned to someone. `level` indexes the configured escalation levels;
    `next_climb_at` is when it climbs if still unacknowledged (None: it no longer climbs)."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_status_next_climb", "status", "next_climb_at"),
        # Ids are shown to people as #N: never reuse one, also on SQLite.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.OPEN.value)
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(16))
    reporter: Mapped[str] = mapped_column(String(32))
    source_channel: Mapped[str | None] = mapped_column(String(32))
    source_ts: Mapped[str | None] = mapped_column(String(32))
    source_author: Mapped[str | None] = mapped_column(String(32))
    # "channel:ts" of the escalated message while the escalation is not resolved: one open
    # escalation per message, however many people react at once.
    source_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    assignee: Mapped[str | None] = mapped_column(String(32), index=True)
    level: Mapped[int] = mapped_column(default=0)
    # The level's name when it was reached (the export shows it even if the config changes later).
    level_name: Mapped[str] = mapped_column(String(32))
    next_climb_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolution_note: Mapped[str | None] = mapped_column(Text)


class EscalationNotice(Base):
    """Who was told about an escalation and at which level (they may acknowledge it)."""

    __tablename__ = "escalation_notices"

    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[int]
    notified_at: Mapped[datetime]
