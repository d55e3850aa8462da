"""Post performance figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


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
