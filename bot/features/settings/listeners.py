"""The Settings button, `/team settings` and the settings modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.config import ROLES
from bot.core.errors import BadInput, Conflict
from bot.features.roles import service as roles
from bot.features.roles.permissions import require_strategist_or_admin
from bot.features.settings import service
from bot.features.settings.blocks import settings_modal
from bot.slack.context import Req, ephemeral
from bot.slack.ids import ActionId, ViewId

DOING = "change teambot's settings"


def register(app: App) -> None:
    app.action(ActionId.SETTINGS_OPEN)(settings_clicked)
    app.view(ViewId.SETTINGS)(settings_submitted)


def _open(req: Req, actor: str, trigger_id: Any) -> None:
    require_strategist_or_admin(req, actor, DOING)
    if not isinstance(trigger_id, str) or not trigger_id:
        raise BadInput("Slack did not send what teambot needs to open the settings.", "/team settings")
    holders = {role: roles.holders(req.db, role) for role in ROLES}
    if not req.open_view(trigger_id, settings_modal(req.config, holders)):
        raise Conflict("Slack could not open the settings just now. Try again: `/team settings`")


def settings_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    _open(req, _actor(body), body.get("trigger_id"))


def settings_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """`/team settings`: the same modal as the Home tab's Settings button."""
    req = Req.of(context)
    if len((command.get("text") or "").split()) > 1:
        raise BadInput("`/team settings` takes nothing more.", "/team settings")
    _open(req, command["user_id"], command.get("trigger_id"))
    ack(**ephemeral("Settings opened."))


def settings_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    actor = _actor(body)
    require_strategist_or_admin(req, actor, DOING)
    # The configuration in force already holds the stored settings; the form's are laid over it.
    saved = service.save(req.db, req.config, parse_form(view), by=actor, now=req.now)
    ack()
    if saved.changed:
        req.outbox.dm(actor, "Settings saved: " + ", ".join(f"`{key}`" for key in saved.changed) + ".")


def _actor(body: dict[str, Any]) -> str:
    user = body.get("user")
    actor = user.get("id") if isinstance(user, dict) else None
    if not isinstance(actor, str) or not actor:
        raise BadInput("Slack did not say who you are.", "/team settings")
    return actor


def parse_form(view: dict[str, Any]) -> service.Submitted:
    """What the form sent, read leniently: only the blocks present are changed, and a field of the
    wrong shape counts as empty (the service then says what is missing)."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}

    def element(block_id: str) -> dict[str, Any] | None:
        block = values.get(block_id)
        if not isinstance(block, dict):
            return None
        found = block.get("value")
        return found if isinstance(found, dict) else {}

    channels: dict[str, str | None] | None = None
    if any(key.startswith("channels.") for key in values):
        channels = {}
        for name in service.CHANNEL_KEYS:
            picked = (element(f"channels.{name}") or {}).get("selected_conversation")
            channels[name] = picked if isinstance(picked, str) and picked else None
    chain_element = element("approval.chain")
    chain = None if chain_element is None else service.parse_chain(_text(chain_element))
    people: dict[str, list[str]] = {}
    for role in ROLES:
        picked_users = element(f"roles.{role}")
        if picked_users is not None:
            users = picked_users.get("selected_users")
            people[role] = [u for u in users if isinstance(u, str)] if isinstance(users, list) else []
    checklists: dict[str, dict[str, Any]] = {}
    for key in values:
        if isinstance(key, str) and key.startswith("checklists.") and key.endswith(".items"):
            name = key.removeprefix("checklists.").removesuffix(".items")
            cron = element(f"checklists.{name}.cron")
            checklists[name] = {
                "cron": _text(cron or {}),
                "items": service.parse_items(_text(element(key) or {})),
            }
    return service.Submitted(channels, chain, checklists or None, people or None)


def _text(element: dict[str, Any]) -> str:
    value = element.get("value")
    return value.strip() if isinstance(value, str) else ""
