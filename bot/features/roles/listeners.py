"""/team: list, add and remove role members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput
from bot.core.text import parse_user, split_args
from bot.features.roles import service as roles
from bot.features.roles.blocks import TEAM_HELP, role_added_reply, role_removed_reply, roles_list
from bot.features.roles.permissions import require_strategist_or_admin
from bot.features.settings import service as settings
from bot.slack.context import Req, check_person, ephemeral, wants_help, wants_sub_help

EXAMPLE = "/team add @maria content_manager"

# Sub-commands other features add to /team (`/team settings`), installed by the composition root.
SubCommand = Callable[[Ack, dict[str, Any], BoltContext], None]
_EXTRA: dict[str, SubCommand] = {}


def add_subcommand(word: str, handler: SubCommand) -> None:
    _EXTRA[word] = handler


def register(app: App) -> None:
    app.command("/team")(team_command)


def team_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    args = split_args(command.get("text"))
    actor = command["user_id"]
    if wants_help(args) or wants_sub_help(args, ("list", "add", "remove", *_EXTRA)):
        ack(**ephemeral(TEAM_HELP))
        return
    sub = args[0].lower() if args else "list"
    if sub in _EXTRA:
        _EXTRA[sub](ack, command, context)
        return
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
    require_strategist_or_admin(req, actor, "change roles")
    if sub == "add":
        check_person(req, user, EXAMPLE, not_the_bot="teambot cannot hold a role")
        settings.add_holder(req.db, user, role, by=actor, now=req.now)
        ack(**ephemeral(role_added_reply(user, role)))
    else:
        settings.remove_holder(req.db, user, role, by=actor, now=req.now)
        ack(**ephemeral(role_removed_reply(user, role)))
