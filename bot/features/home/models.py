"""Who has opened their Home tab (and what was last published there), and the record that
something shown on Home tabs changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.orm import Base


class HomeView(Base):
    """A person who opened their Home tab: only they get it republished after a change."""

    __tablename__ = "home_views"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime]
    # A digest of the blocks last published: a rebuild that shows the same is not sent again.
    published_digest: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None]
    # When the view was last rebuilt (a view is also rebuilt now and then, for the clock's sake).
    checked_at: Mapped[datetime]
    # Slack said the person is a workspace admin or owner when they last opened the tab: their tab
    # carries the Settings button (the settings themselves check again with a fresh users.info).
    workspace_admin: Mapped[bool] = mapped_column(default=False, server_default=false())


class HomeChange(Base):
    """One committed transaction that changed something Home tabs show; the refresh job takes
    these rows away and rebuilds the views of everyone who opened their tab."""

    __tablename__ = "home_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
