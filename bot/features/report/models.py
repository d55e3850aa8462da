"""Weekly reports posted, and the authors' explanations of their standout posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class WeeklyReport(Base):
    """A weekly report that was posted; one per ISO week (`2026-W05`), ever."""

    __tablename__ = "weekly_reports"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    posted_at: Mapped[datetime]


class Explanation(Base):
    """What made a standout post stand out, in its author's words (Slack's escaped form)."""

    __tablename__ = "report_explanations"
    __table_args__ = (UniqueConstraint("week", "draft_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), ForeignKey("weekly_reports.week", ondelete="CASCADE"))
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime]


class ReportStandout(Base):
    """A standout post of a posted weekly report, and its author, as the report named it: the only
    drafts whose authors are asked, and may answer, what made them stand out (later figures may
    change what would stand out now, never what the report said)."""

    __tablename__ = "report_standouts"

    week: Mapped[str] = mapped_column(
        String(8), ForeignKey("weekly_reports.week", ondelete="CASCADE"), primary_key=True
    )
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    author: Mapped[str] = mapped_column(String(32))
