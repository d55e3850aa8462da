"""Tables every feature shares: roles, event de-duplication, the outbox, bot message registry,
the scheduler lease and once-only keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class RoleMember(Base):
    __tablename__ = "role_members"

    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str | None] = mapped_column(String(32))
    added_at: Mapped[datetime]


class ProcessedEvent(Base):
    """Events API `event_id`s seen in the last 24 h, so a retried or re-delivered event counts once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    """A Web API call waiting to be made. Rows are written in the same transaction as the change
    that caused them and sent in id order per channel by the outbox worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "channel", "id"),
        Index("ix_outbox_message_key", "message_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    # The same logical send enqueued twice (retried job, second replica) is stored once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # For chat.postMessage: where to remember the resulting ts (see SlackMessage).
    message_key: Mapped[str | None] = mapped_column(String(200))
    # For chat.update / reactions: the SlackMessage key whose ts to use at send time.
    target_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    # Set before a call is made, cleared when Slack's answer says nothing was posted; a row that
    # still has it on its next try may already be in Slack.
    attempted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SlackMessage(Base):
    """Messages teambot posted that it later updates, by a stable key like `draft:12:status`."""

    __tablename__ = "slack_messages"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32), index=True)


class SchedulerLease(Base):
    """One row per lease name; whoever holds an unexpired lease is the scheduler leader."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class OnceKey(Base):
    """Marks a scheduled action done (a reminder, a nudge, an escalation climb), so retries,
    restarts and second replicas do it once."""

    __tablename__ = "once_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    done_at: Mapped[datetime]


class SchedulerState(Base):
    """Scheduler bookkeeping, e.g. when the scheduler first ran (nothing due before that is posted)."""

    __tablename__ = "scheduler_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
