"""The Home tab: published when the person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.features.home import notices
from bot.features.home import service as home
from bot.features.roles import service as roles
from bot.features.roles.permissions import is_workspace_admin
from bot.slack.context import Req


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict[str, Any], context: BoltContext) -> None:
    # The same event comes for the Messages and About tabs: only the Home tab is ours to draw.
    user = event.get("user")
    if event.get("tab") != "home" or not isinstance(user, str) or not user:
        return
    req = Req.of(context)
    # Strategists have the Settings button anyway; anyone else is asked about (fresh users.info) as
    # they open the tab, so an admin or owner gets it too, and one who no longer is loses it.
    admin = not roles.has_role(req.db, user, "strategist") and is_workspace_admin(req, user)
    home.opened(req.db, user, req.now, workspace_admin=admin)
    notices.publish(req.db, req.outbox, req.config, user, req.now)
