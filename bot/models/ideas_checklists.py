"""Content ideas and their votes, checklist runs and their items, post performance figures and the
monthly digests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.approvals import Draft
from bot.models.base import Base

IDEA_STATUSES = ("open", "accepted", "declined")

# The monthly digest selects the approved drafts decided in a month; this index on the drafts table
# keeps that from scanning every draft ever written.
Index("ix_drafts_status_decided", Draft.status, Draft.decided_at)


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
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)

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


class PostMetric(Base):
    """The latest performance figures of a published draft (a newer figure replaces the older)."""

    __tablename__ = "post_metrics"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    impressions: Mapped[int]
    engagements: Mapped[int]
    clicks: Mapped[int | None]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))


class DigestRecord(Base):
    """A monthly digest that was posted; one per month, ever."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    posted_at: Mapped[datetime]
