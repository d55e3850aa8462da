"""/team: list, add and remove role members."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput, NotAllowed
from bot.core.text import parse_user, split_args
from bot.features.roles import service as roles
from bot.features.roles.blocks import TEAM_HELP, roles_list
from bot.slack.context import Req, check_person, ephemeral, wants_help
from bot.slack.lookup import NoSuchUser

EXAMPLE = "/team add @maria content_manager"


def register(app: App) -> None:
    app.command("/team")(team_command)


def team_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    args = split_args(command.get("text"))
    actor = command["user_id"]
    if wants_help(args):
        ack(**ephemeral(TEAM_HELP))
        return
    sub = args[0].lower() if args else "list"
    if sub == "list" and len(args) <= 1:
        ack(**ephemeral("Roles on the social team", roles_list(roles.members_by_role(req.db))))
        return
    if sub == "list":
        raise BadInput("`/team list` takes nothing more.", "/team list")
    if sub not in ("add", "remove"):
        raise BadInput(f"`/team {args[0]}` is not a /team command.", EXAMPLE)
    if len(args) != 3:
        raise BadInput(f"`/team {sub}` needs a person and a role.", f"/team {sub} @maria content_manager")
    user = parse_user(args[1])
    if user is None:
        raise BadInput(f"`{args[1]}` is not a Slack user; mention them with @.", EXAMPLE)
    role = roles.parse_role(args[2])
    _require_role_admin(req, actor)
    if sub == "add":
        check_person(req, user, EXAMPLE, not_the_bot="teambot cannot hold a role")
        roles.add(req.db, user, role, by=actor, now=req.now)
        ack(**ephemeral(f"<@{user}> is now {_article(role)} {role}."))
    else:
        roles.remove(req.db, user, role)
        ack(**ephemeral(f"<@{user}> is no longer {_article(role)} {role}."))


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def _require_role_admin(req: Req, actor: str) -> None:
    """Strategists, or workspace admins/owners by a fresh users.info; if Slack cannot say, refuse."""
    if roles.has_role(req.db, actor, "strategist"):
        return
    try:
        user = req.lookup.user(actor)
    except NoSuchUser:
        user = {}
    if user is None:
        raise NotAllowed(
            "Only a strategist or a workspace admin may change roles, and Slack could not confirm that you are "
            "an admin right now. Try again later."
        )
    if not (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")):
        raise NotAllowed("Only a strategist or a workspace admin may change roles.")
