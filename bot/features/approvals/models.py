"""Draft posts and their approval steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.orm import Base


class DraftStatus(StrEnum):
    """Where a draft stands (stored in `drafts.status`)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"  # not finally approved in time for its planned slot
    ON_HOLD = "on_hold"  # held by crisis mode until the crisis ends
    PUBLISHED = "published"  # every planned account marked published


# The two decisions that stop a draft's walk until it is edited.
DECISIONS = (DraftStatus.REJECTED, DraftStatus.CHANGES_REQUESTED)


class DraftAction(StrEnum):
    """What happened to a draft, as its history records it (`draft_events.action`)."""

    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    REASON_ADDED = "reason_added"
    RESET = "reset"
    WITHDRAWN = "withdrawn"
    APPROVAL_WITHDRAWN = "approval_withdrawn"
    APPROVAL_RESET = "approval_reset"
    REMINDED = "reminded"
    HELD = "held"  # by crisis mode
    RELEASED = "released"  # when the crisis ended


class Via(StrEnum):
    """How an action was taken (`approval_steps.via`, `draft_events.via`)."""

    REACTION = "reaction"
    BUTTON = "button"
    COMMAND = "command"
    EDIT = "edit"
    SCHEDULE = "schedule"


def _first_role_of_chain(context: Any) -> str:
    return str(context.get_current_parameters()["chain"]).split(",")[0]


class Draft(Base):
    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_drafts_channel_ts"),
        Index("ix_drafts_status_created", "status", "created_at"),
        Index("ix_drafts_status_role", "status", "current_role"),
        # Ids are shown to people as #N: never reuse one, also on SQLite.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    files_signature: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(24), default=DraftStatus.PENDING.value)
    # Index into the configured approval chain of the step waiting now, and that step's role
    # (kept beside it so "what waits for me" is one indexed query).
    current_step: Mapped[int] = mapped_column(default=0)
    current_role: Mapped[str] = mapped_column(String(32), default=_first_role_of_chain)
    # The chain in force when the draft was created (a later config change doesn't break it).
    chain: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    step_started_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # When the current step's approvers were last reminded (reminded once per step).
    reminded_at: Mapped[datetime | None]
    published_url: Mapped[str | None] = mapped_column(String(500), unique=True)

    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="draft", order_by="ApprovalStep.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[DraftEvent]] = relationship(
        back_populates="draft", order_by="DraftEvent.id", cascade="all, delete-orphan"
    )

    def chain_roles(self) -> list[str]:
        return self.chain.split(",")


class ApprovalStep(Base):
    """One approval given on one step. Withdrawn (reaction removed) or reset (draft edited) steps
    keep their row with `active` false, so the audit stays complete."""

    __tablename__ = "approval_steps"
    __table_args__ = (Index("ix_approval_steps_draft_active", "draft_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    step_index: Mapped[int]
    role: Mapped[str] = mapped_column(String(32))
    approved_by: Mapped[str] = mapped_column(String(32))
    approved_at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    draft: Mapped[Draft] = relationship(back_populates="steps")


class DraftEvent(Base):
    """The audit trail of a draft: every action, who, when, how."""

    __tablename__ = "draft_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    by: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(16))
    step: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[Draft] = relationship(back_populates="history")


class DraftReaction(Base):
    """Reactions people put on a draft (skin tones folded), for ranking posts without metrics.
    teambot's own workflow emoji are recorded too; the digest leaves them out."""

    __tablename__ = "draft_reactions"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(100), primary_key=True)
    added_at: Mapped[datetime]


class ApproveReaction(Base):
    """An approve reaction as Slack names it (skin tone and all), on the draft or on its status
    message: a person's approval by reaction is withdrawn when the last of theirs is removed."""

    __tablename__ = "draft_approve_reactions"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    reaction: Mapped[str] = mapped_column(String(100), primary_key=True)
