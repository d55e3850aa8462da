"""Shifts started and ended by hand, and shift notes for the next person."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

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


class OverrideKind(StrEnum):
    SWAP = "swap"  # `/shift swap DATE`: one occurrence, held by whoever takes it
    AWAY = "away"  # `/shift away FROM..TO`: the rota skips the person on those days


class ShiftOverride(Base):
    """A change to the rota. A swap names one occurrence (team, shift, the day it starts) and has no
    `to_user` until someone takes it; an away names a person and a range of days (no team or shift:
    it applies to every rota the person is on, and to escalation assignment)."""

    __tablename__ = "shift_overrides"
    __table_args__ = (Index("ix_shift_overrides_days", "first_day", "last_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(64))
    shift: Mapped[str | None] = mapped_column(String(64))
    first_day: Mapped[date]
    last_day: Mapped[date]
    from_user: Mapped[str] = mapped_column(String(32), index=True)
    to_user: Mapped[str | None] = mapped_column(String(32))
    # A swap offered to one person (`/shift swap DATE @person`): only they may take it.
    asked_user: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
