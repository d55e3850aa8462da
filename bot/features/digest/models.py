"""The monthly digests posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base
from bot.features.approvals.models import Draft

# The monthly digest selects the approved drafts decided in a month; this index on the drafts table
# keeps that from scanning every draft ever written.
Index("ix_drafts_status_decided", Draft.status, Draft.decided_at)


class DigestRecord(Base):
    """A monthly digest that was posted; one per month, ever."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    posted_at: Mapped[datetime]
