"""Escalations, shifts and handoffs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base

ESCALATION_STATUSES = ("open", "acknowledged", "resolved")


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
    status: Mapped[str] = mapped_column(String(16), default="open")
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


class ShiftSession(Base):
    """A shift started by hand (`/shift start`, or taking over by `/handoff`); it overrides the rota
    until `/shift end`, a handoff to someone else, or the team's next scheduled shift start."""

    __tablename__ = "shift_sessions"
    __table_args__ = (Index("ix_shift_sessions_team_started", "team", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class ShiftEarlyEnd(Base):
    """A rota shift its person ended early with `/shift end` (nobody is on it for the rest of it)."""

    __tablename__ = "shift_early_ends"
    __table_args__ = (UniqueConstraint("team", "occurrence", name="uq_shift_early_ends_team_occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    # "<shift name>:<wall start YYYY-MM-DDTHH:MM>"
    occurrence: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(32))
    ended_at: Mapped[datetime]


class Handoff(Base):
    """A shift handed over: by `/handoff` or at a scheduled shift change (`boundary_key` makes the
    latter happen once per team, shift and wall-clock boundary)."""

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


class ShiftNote(Base):
    """`/shift note`: ongoing conversations of the current shift, carried by the next handoff."""

    __tablename__ = "shift_notes"
    __table_args__ = (Index("ix_shift_notes_team_handoff", "team", "handoff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
