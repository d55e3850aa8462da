"""Who may change how the team works (roles, settings): strategists, and workspace admins or owners
as a fresh users.info says; if Slack cannot say, the change is refused."""

from __future__ import annotations

from bot.core.errors import NotAllowed
from bot.features.roles import service as roles
from bot.slack.context import Req
from bot.slack.lookup import NoSuchUser


def require_strategist_or_admin(req: Req, actor: str, doing: str) -> None:
    if roles.has_role(req.db, actor, "strategist"):
        return
    try:
        user = req.lookup.user(actor)
    except NoSuchUser:
        user = {}
    if user is None:
        raise NotAllowed(
            f"Only a strategist or a workspace admin may {doing}, and Slack could not confirm that you are "
            "an admin right now. Try again later."
        )
    if not (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")):
        raise NotAllowed(f"Only a strategist or a workspace admin may {doing}.")


def is_workspace_admin(req: Req, user_id: str) -> bool:
    """Whether Slack says the person is a workspace admin or owner (no when Slack cannot say)."""
    try:
        user = req.lookup.user(user_id)
    except NoSuchUser:
        return False
    return bool(user and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")))
