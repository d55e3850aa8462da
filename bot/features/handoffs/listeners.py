"""/handoff and the "Acknowledge handoff" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput
from bot.core.text import parse_id, parse_user, rest_after, split_args
from bot.features.handoffs import notices
from bot.features.handoffs import service as handoffs
from bot.features.handoffs.blocks import HANDOFF_HELP
from bot.features.handoffs.service import HANDOFF_EXAMPLE
from bot.features.shifts import notices as shift_notices
from bot.features.shifts import service as shifts
from bot.slack.context import Req, check_person, ephemeral, wants_help
from bot.slack.ids import ActionId


def register(app: App) -> None:
    app.command("/handoff")(handoff_command)
    app.action(ActionId.HANDOFF_ACK.value)(handoff_ack_clicked)


def handoff_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    actor = command["user_id"]
    if wants_help(args):
        ack(**ephemeral(HANDOFF_HELP))
        return
    if not args:
        raise BadInput("`/handoff` needs the person taking over.", HANDOFF_EXAMPLE)
    to_user = parse_user(args[0])
    if to_user is None:
        raise BadInput(f"`{args[0]}` is not a Slack user; mention the person taking over with @.", HANDOFF_EXAMPLE)
    handoffs.check_not_to_oneself(actor, to_user)
    check_person(req, to_user, HANDOFF_EXAMPLE)
    notes = rest_after(text, 1) or None
    outcome = handoffs.manual(req.db, req.config, actor=actor, to_user=to_user, notes=notes, now=req.now)
    notices.announce(req.db, req.config, req.outbox, outcome)
    shift_notices.sync_usergroups(req.db, req.config, req.outbox, req.now)
    handoff = outcome.handoff
    carried = len(handoff.escalation_ids or [])
    current = shifts.on_shift(req.db, req.config, handoff.team, req.now)
    if current is None:
        shift = ""
    elif current.user == to_user:
        shift = f"<@{to_user}> is on shift now."
    else:
        shift = f"The shift stays with <@{current.user}>."
    ack(
        **ephemeral(
            f"Handoff #{handoff.id} to <@{to_user}> for {handoff.team} is posted; {carried} open "
            f"escalation{'s' if carried != 1 else ''} now assigned to them. {shift}".strip()
        )
    )


def handoff_ack_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    value = (body.get("actions") or [{}])[0].get("value") or ""
    number = parse_id(value)
    if number is None:
        raise BadInput("That button does not name a handoff.")
    outcome = handoffs.acknowledge(req.db, number, body["user"]["id"], req.now)
    notices.announce(req.db, req.config, req.outbox, outcome)
    req.outbox.dm(body["user"]["id"], f"You acknowledged handoff #{outcome.handoff.id}. Have a good shift!")
    ack()
