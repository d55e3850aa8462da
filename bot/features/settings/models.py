"""Settings chosen in Slack, and the history of every change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class Setting(Base):
    """One key of the team config as set in Slack (`channels`, `approval.chain`,
    `checklists.NAME`); it wins over the config file's value for that key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class SettingChange(Base):
    """Who changed what, when. Its largest id is the settings' version: a process that has seen
    that id has the configuration in force."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    old_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    changed_by: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime]
