"""Shifts started and ended by hand, and shift notes for the next person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


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
