"""Crisis mode: the crisis (one at a time), its stakeholder updates, the drafts it holds, and the
update prompts already sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class Crisis(Base):
    __tablename__ = "crises"
    # Ids are shown to people as crisis #N: never reuse one, also on SQLite.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    # The `crisis` escalation whose button started it, if any.
    escalation_id: Mapped[int | None]
    ended_by: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None]
    summary: Mapped[str | None] = mapped_column(Text)
    # True while the crisis lasts, NULL once it ended: the unique constraint lets only one crisis
    # be ongoing, however many people start one at the same moment (NULLs never collide).
    ongoing: Mapped[bool | None] = mapped_column(unique=True)


class CrisisUpdate(Base):
    """A stakeholder update, as posted in the crisis thread and sent to the leaders."""

    __tablename__ = "crisis_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class HeldDraft(Base):
    """A draft a crisis put on hold, and when it was released."""

    __tablename__ = "crisis_held_drafts"

    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True, index=True)
    held_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class UpdatePrompt(Base):
    """The owner asked for the Nth update of a crisis: inserted in the transaction that sends the
    prompt, so a restart or a second replica never asks twice."""

    __tablename__ = "crisis_update_prompts"

    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sent_at: Mapped[datetime]
