"""The scheduler's lease (one leader at a time) and its bookkeeping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class SchedulerLease(Base):
    """One row per lease name; whoever holds an unexpired lease is the scheduler leader."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class SchedulerState(Base):
    """Scheduler bookkeeping, e.g. when the scheduler first ran (nothing due before that is posted)."""

    __tablename__ = "scheduler_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
