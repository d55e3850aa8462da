"""/team's help, its list of roles and its replies (pure functions)."""

from __future__ import annotations

from bot.core.config import ROLES
from bot.slack.blocks import Block, help_text, list_sections, mention, mentions

TEAM_HELP = help_text(
    "/team",
    "who holds which role on the social team. Strategists and workspace admins may change roles, and "
    "choose channels, roles, the approval chain and checklists with `/team settings`.",
    ["/team", "/team add @maria content_manager", "/team remove @maria content_manager", "/team settings"],
)


def roles_list(members: dict[str, list[str]]) -> list[Block]:
    lines = [f"*{role}*: {mentions(members.get(role, []))}" for role in ROLES]
    return list_sections("*Roles on the social team*", lines, "No roles yet.")


def role_added_reply(user: str, role: str) -> str:
    return f"{mention(user)} is now {_article(role)} {role}."


def role_removed_reply(user: str, role: str) -> str:
    return f"{mention(user)} is no longer {_article(role)} {role}."


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"
