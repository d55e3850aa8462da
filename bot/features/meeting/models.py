"""Planning meetings and the updates people sent for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class Meeting(Base):
    """One occurrence of the weekly meeting, by when it starts. `asked_at` and `agenda_posted_at`
    are claimed by conditional updates, so a retried tick or a second replica asks and posts once."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(unique=True)
    asked_at: Mapped[datetime | None]
    agenda_posted_at: Mapped[datetime | None]


class MeetingUpdate(Base):
    """A person's update for a meeting; sending another replaces it. Text in Slack's escaped form."""

    __tablename__ = "meeting_updates"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    learned: Mapped[str] = mapped_column(Text, default="")
    working_on: Mapped[str] = mapped_column(Text, default="")
    need_help: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
