"""/meeting, the **Add my update** button and its form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput, Conflict
from bot.core.text import escape_raw, rest_after, split_args
from bot.features.meeting import blocks
from bot.features.meeting import service as meeting
from bot.slack.context import Req, ephemeral, wants_help, wants_sub_help
from bot.slack.ids import ActionId, ViewId


def register(app: App) -> None:
    app.command("/meeting")(meeting_command)
    app.action(ActionId.MEETING_ADD_UPDATE)(add_update_clicked)
    app.view(ViewId.MEETING_UPDATE)(update_submitted)


def meeting_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    if wants_help(args) or wants_sub_help(args, ("update",)):
        ack(**ephemeral(blocks.MEETING_HELP))
        return
    if not args:
        ack(**ephemeral(*blocks.status(meeting.status(req.db, req.config, req.now))))
        return
    if args[0].lower() != "update":
        raise BadInput(f"`/meeting {args[0]}` is not a /meeting command.", meeting.UPDATE_EXAMPLE)
    words = rest_after(text, 1)
    if not words.strip():
        raise BadInput("Say what your update is.", meeting.UPDATE_EXAMPLE)
    # Command text arrives in Slack's escaped form already.
    recorded = meeting.record_update(
        req.db, req.config, user=command["user_id"], now=req.now, **meeting.parse_update_text(words)
    )
    ack(**ephemeral(blocks.recorded(recorded)))


def add_update_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    user = body["user"]["id"]
    previous = meeting.own_update(req.db, req.config, user, req.now)
    trigger_id = body.get("trigger_id")
    if not trigger_id or not req.open_view(trigger_id, blocks.update_modal(previous)):
        raise Conflict(f"Slack could not open the form just now. Type it instead: `{meeting.UPDATE_EXAMPLE}`")
    ack()


def _value(view: dict[str, Any], block_id: str) -> str:
    state = (view.get("state") or {}).get("values") or {}
    for element in (state.get(block_id) or {}).values():
        return (element.get("value") or "").strip()
    return ""


def update_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    fields = {name: escape_raw(_value(view, name)) for name, _ in blocks.FIELDS}
    errors = meeting.check_fields(**fields)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    recorded = meeting.record_update(req.db, req.config, user=user, now=req.now, **fields)
    ack()
    req.outbox.dm(user, blocks.recorded(recorded))
