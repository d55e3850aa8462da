from __future__ import annotations

from bot.core.config import ROLES
from bot.slack.blocks import Block, help_text, list_sections, mentions

TEAM_HELP = help_text(
    "/team",
    "who holds which role on the social team. Strategists and workspace admins may change roles, and "
    "choose channels, roles, the approval chain and checklists with `/team settings`.",
    ["/team", "/team add @maria content_manager", "/team remove @maria content_manager", "/team settings"],
)


def roles_list(members: dict[str, list[str]]) -> list[Block]:
    lines = [f"*{role}*: {mentions(members.get(role, []))}" for role in ROLES]
    return list_sections("*Roles on the social team*", lines, "No roles yet.")
