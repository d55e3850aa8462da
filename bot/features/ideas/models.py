"""Content ideas and their votes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.orm import Base


class IdeaStatus(StrEnum):
    """Where an idea stands; the values are what the database and the export hold."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Idea(Base):
    """A content idea. `author` is who had it (the message's author for a reacted or shortcut
    message), `submitted_by` who put it in. A message is submitted once: (source_channel,
    source_ts) is unique."""

    __tablename__ = "ideas"
    __table_args__ = (
        UniqueConstraint("source_channel", "source_ts", name="uq_ideas_source"),
        Index("ix_ideas_status_created", "status", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author: Mapped[str] = mapped_column(String(32))
    submitted_by: Mapped[str] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    network: Mapped[str | None] = mapped_column(String(100))
    link: Mapped[str | None] = mapped_column(String(500))
    source_channel: Mapped[str | None] = mapped_column(String(32))
    source_ts: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=IdeaStatus.OPEN.value)
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # An accepted idea's owner (who turns it into a post), optionally the account it is for and the
    # day it should be ready (the team's wall-clock date), set by `/idea assign`.
    owner: Mapped[str | None] = mapped_column(String(32))
    account: Mapped[str | None] = mapped_column(String(40))
    target_date: Mapped[date | None]
    assigned_by: Mapped[str | None] = mapped_column(String(32))
    assigned_at: Mapped[datetime | None]

    votes: Mapped[list[IdeaVote]] = relationship(cascade="all, delete-orphan", order_by="IdeaVote.voted_at")


class IdeaVote(Base):
    """One person's vote on an idea (the author's own is never stored)."""

    __tablename__ = "idea_votes"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    voted_at: Mapped[datetime]


class IdeaVoteReaction(Base):
    """A reaction that makes up a vote: `+1` and a skin-tone variant of it are one vote, which lasts
    until the person's last such reaction is removed."""

    __tablename__ = "idea_vote_reactions"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reaction: Mapped[str] = mapped_column(String(100), primary_key=True)


class IdeaDraft(Base):
    """A draft that carries out an idea: its text says `idea #N`. One idea per draft (the first one
    its text names that exists); the row follows the draft's text when it is edited."""

    __tablename__ = "idea_drafts"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    linked_at: Mapped[datetime]
