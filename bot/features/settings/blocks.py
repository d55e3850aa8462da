"""The Settings button and the settings modal (block ids are the settings' paths, like
`channels.drafts`, so an error on a field is answered on that field)."""

from __future__ import annotations

from bot.core.config import ROLES, TeamConfig
from bot.features.settings.service import CHANNEL_KEYS, REQUIRED_CHANNELS
from bot.slack.blocks import Block, actions, button, context, modal, plain_input, section
from bot.slack.ids import ActionId, ViewId

# A modal holds at most 100 blocks: 13 for channels, roles and the chain, 3 per checklist.
MAX_CHECKLISTS = 25

CHANNEL_HINTS = {
    "drafts": "Drafts channel (drafts to approve)",
    "escalations": "Escalations channel",
    "ideas": "Ideas channel",
    "checklists": "Checklists channel",
    "digest": "Staff channel (digest and reports)",
    "alerts": "Alerts channel (listening tools; optional)",
}


def settings_button() -> Block:
    """The Settings button, for the Home tab of strategists and workspace admins/owners."""
    return actions(button("Settings", ActionId.SETTINGS_OPEN, "open"), block_id="settings")


def _channel_select(name: str, current: str | None) -> Block:
    element: Block = {
        "type": "conversations_select",
        "action_id": "value",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if current:
        element["initial_conversation"] = current
    return {
        "type": "input",
        "block_id": f"channels.{name}",
        "optional": name not in REQUIRED_CHANNELS,
        "label": {"type": "plain_text", "text": CHANNEL_HINTS[name]},
        "element": element,
    }


def _people_select(role: str, holders: list[str]) -> Block:
    element: Block = {"type": "multi_users_select", "action_id": "value"}
    if holders:
        element["initial_users"] = holders
    return {
        "type": "input",
        "block_id": f"roles.{role}",
        "optional": True,
        "label": {"type": "plain_text", "text": role.replace("_", " ").capitalize() + "s"},
        "element": element,
    }


def settings_modal(config: TeamConfig, holders: dict[str, list[str]]) -> Block:
    blocks: list[Block] = [section("*Channels*")]
    for name in CHANNEL_KEYS:
        blocks.append(_channel_select(name, getattr(config.channels, name)))
    blocks.append(section("*People*"))
    blocks.extend(_people_select(role, holders.get(role, [])) for role in ROLES)
    blocks.append(
        plain_input(
            "approval.chain",
            "Approval chain, in order",
            initial=", ".join(config.approval.chain),
            max_length=200,
        )
    )
    blocks.append(context(f"Roles, separated by commas, first to approve first. Roles: {', '.join(ROLES)}."))
    for checklist in config.checklists[:MAX_CHECKLISTS]:
        blocks.append(section(f"*Checklist {checklist.name}*"))
        blocks.append(
            plain_input(f"checklists.{checklist.name}.cron", "When (cron, team time)", initial=checklist.cron)
        )
        blocks.append(
            plain_input(
                f"checklists.{checklist.name}.items",
                "Items, one per line",
                multiline=True,
                initial="\n".join(checklist.items),
                max_length=3000,
            )
        )
    return modal(ViewId.SETTINGS, "Settings", blocks, submit="Save")
