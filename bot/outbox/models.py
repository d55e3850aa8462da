"""The outbox and the registry of messages teambot posted and later updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


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
