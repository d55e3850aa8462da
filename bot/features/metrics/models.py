"""Post performance figures."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class MetricSource(StrEnum):
    """Where figures came from; the values are what the database and the export hold."""

    COMMAND = "command"  # /metrics
    IMPORT = "import"  # teambot import-metrics


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


class AccountDay(Base):
    """An account's figures for one day (team time), imported from the team's tools: followers at
    the end of the day and mentions during it. A newer import of the same day replaces them."""

    __tablename__ = "account_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    followers: Mapped[int | None]
    mentions: Mapped[int | None]
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))
