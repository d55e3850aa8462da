"""Events API de-duplication: the event ids seen in the last 24 hours."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class ProcessedEvent(Base):
    """Events API `event_id`s seen in the last 24 h, so a retried or re-delivered event counts once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
