"""Events API routing. Bolt runs only the first listener that matches an event, so each event type
has one listener here that hands the event to every feature; each feature ignores what is not
its own (wrong emoji, wrong channel) cheaply."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.listeners import approvals, escalations, ideas
from bot.listeners.common import Req

REACTION_FEATURES = (approvals, escalations, ideas)


def register(app: App) -> None:
    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)
    app.event("message")(message)


def reaction_added(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
    ack()
    _reaction(event, context, added=True)


def reaction_removed(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
    ack()
    _reaction(event, context, added=False)


def _reaction(event: dict[str, Any], context: BoltContext, *, added: bool) -> None:
    if event.get("item", {}).get("type") != "message":
        return
    req = Req.of(context)
    for feature in REACTION_FEATURES:
        feature.on_reaction(req, event, added)


def message(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
    ack()
    approvals.on_message(Req.of(context), event)
