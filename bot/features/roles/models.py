"""Who holds which role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class RoleMember(Base):
    __tablename__ = "role_members"

    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str | None] = mapped_column(String(32))
    added_at: Mapped[datetime]
