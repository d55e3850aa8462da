"""/escalate, the escalation emoji, the "Escalate message" shortcut, and the escalation buttons and
modals."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput, DomainError
from bot.core.text import emoji_base, message_words, parse_user, rest_after, split_args, truncate
from bot.features.escalations import notices
from bot.features.escalations import service as escalations
from bot.features.escalations.blocks import ESCALATE_HELP, created_text, escalate_modal, escalation_list, reassign_modal
from bot.features.escalations.models import Escalation, EscalationVia
from bot.features.escalations.service import ESCALATE_EXAMPLE
from bot.features.shifts import service as shifts
from bot.slack.context import Req, check_person, ephemeral, wants_help, wants_sub_help
from bot.slack.ids import ActionId, ShortcutId, ViewId

log = logging.getLogger(__name__)

ACK_EXAMPLE = "/escalate ack 12"
RESOLVE_EXAMPLE = "/escalate resolve 12 Refund sent, customer happy"
REASSIGN_EXAMPLE = "/escalate reassign 12 @maria"
# What an escalation keeps of the message it escalates (a message may hold 40,000 characters).
MAX_MESSAGE_TEXT = 3_000


def register(app: App) -> None:
    app.command("/escalate")(escalate_command)
    app.view(ViewId.ESCALATE.value)(escalate_submitted)
    app.view(ViewId.ESCALATION_REASSIGN.value)(reassign_submitted)
    app.action(ActionId.ESCALATION_ACK.value)(ack_clicked)
    app.action(ActionId.ESCALATION_RESOLVE.value)(resolve_clicked)
    app.action(ActionId.ESCALATION_REASSIGN.value)(reassign_clicked)
    app.shortcut(ShortcutId.ESCALATE_MESSAGE.value)(escalate_shortcut)


# -- /escalate ----------------------------------------------------------------------------------
def escalate_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    actor = command["user_id"]
    if wants_help(args) or wants_sub_help(args, ("list", "ack", "resolve", "reassign")):
        ack(**ephemeral(ESCALATE_HELP))
        return
    if not args:
        open_modal(req, command.get("trigger_id"), ESCALATE_EXAMPLE)
        ack()
        return
    sub = args[0].lower()
    if sub == "list":
        ack(**list_reply(req, args[1:]))
        return
    if sub == "ack":
        if len(args) != 2:
            raise BadInput("`/escalate ack` needs the escalation number.", ACK_EXAMPLE)
        outcome = escalations.acknowledge(
            req.db, req.config, escalations.parse_number(args[1], ACK_EXAMPLE), actor, req.now
        )
        notices.announce(req.config, req.outbox, outcome)
        ack(**ephemeral(f"You acknowledged escalation #{outcome.escalation.id}; it is assigned to you."))
        return
    if sub == "resolve":
        number = escalations.parse_number(args[1] if len(args) > 1 else None, RESOLVE_EXAMPLE)
        note = rest_after(text, 2) or None
        outcome = escalations.resolve(req.db, req.config, number, actor, note, req.now)
        notices.announce(req.config, req.outbox, outcome)
        ack(**ephemeral(f"Escalation #{outcome.escalation.id} is resolved."))
        return
    if sub == "reassign":
        if len(args) != 3:
            raise BadInput("`/escalate reassign` needs the escalation number and a person.", REASSIGN_EXAMPLE)
        number = escalations.parse_number(args[1], REASSIGN_EXAMPLE)
        to_user = parse_user(args[2])
        if to_user is None:
            raise BadInput(f"`{args[2]}` is not a Slack user; mention them with @.", REASSIGN_EXAMPLE)
        check_person(req, to_user, REASSIGN_EXAMPLE)
        outcome = escalations.reassign(req.db, req.config, number, actor, to_user, req.now)
        notices.announce(req.config, req.outbox, outcome)
        ack(**ephemeral(f"Escalation #{outcome.escalation.id} is now assigned to <@{to_user}>."))
        return
    team, severity, rest = escalations.parse_new(req.config, text)
    outcome = escalations.create(
        req.db,
        req.config,
        team=team,
        severity=severity,
        text=rest,
        reporter=actor,
        via=EscalationVia.COMMAND,
        now=req.now,
    )
    notices.announce(req.config, req.outbox, outcome)
    ack(**ephemeral(created_reply(req, outcome.escalation)))


def created_reply(req: Req, esc: Escalation) -> str:
    return created_text(esc, req.config.channels.escalations)


def list_reply(req: Req, rest: list[str]) -> dict[str, Any]:
    team = None
    if rest:
        team = shifts.parse_team(req.config, rest[0])
        if team is None or len(rest) > 1:
            raise shifts.unknown_team(req.config, rest[0], "/escalate list support")
    return ephemeral("Open escalations", escalation_list(escalations.not_resolved(req.db, team), req.now))


def open_modal(req: Req, trigger_id: str | None, example: str) -> None:
    """views.open is called at once (a trigger_id lives 3 s and works once)."""
    if not trigger_id or not req.open_view(trigger_id, escalate_modal(req.config)):
        raise DomainError("Slack could not open the escalation form; give the details in the command.", example)


# -- the modal ----------------------------------------------------------------------------------
def _value(values: dict[str, Any], block: str) -> Any:
    return (values.get(block) or {}).get("value") or {}


def escalate_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    values = view.get("state", {}).get("values", {})
    team = ((_value(values, "team").get("selected_option")) or {}).get("value") or ""
    severity = ((_value(values, "severity").get("selected_option")) or {}).get("value") or "normal"
    description = (_value(values, "description").get("value") or "").strip()
    link = (_value(values, "link").get("value") or "").strip()
    outcome = escalations.create_from_form(
        req.db,
        req.config,
        team=team,
        severity=severity,
        description=description,
        link=link,
        reporter=body["user"]["id"],
        now=req.now,
    )
    notices.announce(req.config, req.outbox, outcome)
    req.outbox.dm(body["user"]["id"], created_reply(req, outcome.escalation))
    ack()


# -- buttons ------------------------------------------------------------------------------------
def _clicked_number(body: dict[str, Any]) -> int:
    value = (body.get("actions") or [{}])[0].get("value") or ""
    return escalations.parse_number(value, "/escalate list")


def _tell(req: Req, body: dict[str, Any], text: str) -> None:
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    if channel and not channel.startswith("D"):
        req.outbox.ephemeral(channel, user, text)
    else:
        req.outbox.dm(user, text)


def ack_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    outcome = escalations.acknowledge(req.db, req.config, _clicked_number(body), body["user"]["id"], req.now)
    notices.announce(req.config, req.outbox, outcome)
    _tell(req, body, f"You acknowledged escalation #{outcome.escalation.id}; it is assigned to you.")
    ack()


def resolve_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    outcome = escalations.resolve(req.db, req.config, _clicked_number(body), body["user"]["id"], None, req.now)
    notices.announce(req.config, req.outbox, outcome)
    _tell(req, body, f"Escalation #{outcome.escalation.id} is resolved.")
    ack()


def reassign_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    esc = escalations.get(req.db, _clicked_number(body))
    escalations.check_may_reassign(req.db, req.config, esc, body["user"]["id"])
    if not req.open_view(body["trigger_id"], reassign_modal(esc)):
        raise DomainError(
            "Slack could not open the form; use the command instead.", f"/escalate reassign {esc.id} @maria"
        )
    ack()


def reassign_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    number = escalations.parse_number(view.get("private_metadata") or "", "/escalate list")
    to_user = _value(view.get("state", {}).get("values", {}), "assignee").get("selected_user")
    if not to_user:
        ack(response_action="errors", errors={"assignee": "Pick the person who takes it over."})
        return
    # A refusal is shown beside the form's one field, "assignee" (by the app's error handler).
    check_person(req, to_user, f"/escalate reassign {number} @maria")
    outcome = escalations.reassign(req.db, req.config, number, body["user"]["id"], to_user, req.now)
    notices.announce(req.config, req.outbox, outcome)
    req.outbox.dm(body["user"]["id"], f"Escalation #{outcome.escalation.id} is now assigned to <@{to_user}>.")
    ack()


# -- reaction and shortcut ----------------------------------------------------------------------
def escalate_message(
    req: Req,
    *,
    reporter: str,
    channel: str,
    message: dict[str, Any],
    ts: str,
    author: str | None,
    via: EscalationVia,
) -> Escalation:
    outcome = escalations.create_from_message(
        req.db,
        req.config,
        channel=channel,
        ts=ts,
        text=truncate(message_words(message), MAX_MESSAGE_TEXT),
        link=req.lookup.permalink(channel, ts, message.get("thread_ts")),
        author=author,
        reporter=reporter,
        via=via,
        now=req.now,
    )
    notices.announce(req.config, req.outbox, outcome)
    return outcome.escalation


def on_reaction(req: Req, event: dict[str, Any], added: bool) -> None:
    if not added or emoji_base(event.get("reaction") or "") != req.config.escalation.emoji:
        return
    if req.bot_user_id and event.get("item_user") == req.bot_user_id:
        return  # teambot's own messages never escalate
    item = event.get("item") or {}
    channel, ts, reporter = item.get("channel"), item.get("ts"), event.get("user")
    if not (channel and ts and reporter):
        return
    message = req.lookup.message(channel, ts) or {}
    if _is_own(req, message):
        return  # the event did not name the author, the message itself says it is teambot's
    esc = escalate_message(
        req,
        reporter=reporter,
        channel=channel,
        ts=ts,
        message=message,
        author=event.get("item_user"),
        via=EscalationVia.REACTION,
    )
    req.outbox.ephemeral(channel, reporter, created_reply(req, esc))


def _is_own(req: Req, message: dict[str, Any]) -> bool:
    return bool(
        (req.bot_id and message.get("bot_id") == req.bot_id)
        or (req.bot_user_id and message.get("user") == req.bot_user_id)
    )


def escalate_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    ts = message.get("ts") or body.get("message_ts")
    if not (channel and ts):
        raise BadInput("Use *Escalate message* from a message's menu.", ESCALATE_EXAMPLE)
    esc = escalate_message(
        req,
        reporter=body["user"]["id"],
        channel=channel,
        ts=ts,
        message=message,
        author=message.get("user"),
        via=EscalationVia.SHORTCUT,
    )
    # A DM reaches the person even in a channel teambot is not in.
    req.outbox.dm(body["user"]["id"], created_reply(req, esc))
    ack()
