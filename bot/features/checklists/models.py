"""Checklist runs and their items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.orm import Base


class ChecklistRun(Base):
    """One posting of a checklist. A scheduled run is unique per (checklist, due wall time in the
    team's zone); an extra run (`/checklist post`) has no wall key."""

    __tablename__ = "checklist_runs"
    __table_args__ = (
        UniqueConstraint("checklist", "due_wall", name="uq_checklist_runs_checklist_due_wall"),
        Index("ix_checklist_runs_due_at", "due_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist: Mapped[str] = mapped_column(String(64))
    due_wall: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime]
    posted_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))
    posted_by: Mapped[str | None] = mapped_column(String(32))
    nudged_at: Mapped[datetime | None]

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="run", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )


class ChecklistItem(Base):
    __tablename__ = "checklist_items"

    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_at: Mapped[datetime | None]
    # The last tick or untick: who and when (an untick clears done_by/done_at).
    changed_by: Mapped[str | None] = mapped_column(String(32))
    changed_at: Mapped[datetime | None]

    run: Mapped[ChecklistRun] = relationship(back_populates="items")
