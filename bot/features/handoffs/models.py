"""Handoffs between shifts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class HandoffKind(StrEnum):
    MANUAL = "manual"  # /handoff
    SCHEDULED = "scheduled"  # a rota shift's start
    SWAP = "swap"  # a shift under way taken over by a swap (the Take shift button)
    AWAY = "away"  # a shift under way given up by `/shift away`


class Handoff(Base):
    """A shift handed over: by `/handoff`, at a scheduled shift change, or when a shift under way
    changes hands (a swap taken, time away). `boundary_key` makes the scheduled ones happen once per
    team, shift and wall-clock boundary, and the others once per change (`takeover:…`)."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_ack_created", "acknowledged_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    from_user: Mapped[str | None] = mapped_column(String(32))
    to_user: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    shift_name: Mapped[str | None] = mapped_column(String(100))
    boundary_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    escalation_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    draft_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
