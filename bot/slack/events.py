"""Events API routing. Bolt runs only the first listener that matches an event, so each event type
has one listener here that hands the event to every feature; each feature ignores what is not
its own (wrong emoji, wrong channel) cheaply."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.context import Req

ReactionHandler = Callable[[Req, dict[str, Any], bool], None]
MessageHandler = Callable[[Req, dict[str, Any]], None]


def register(
    app: App, reaction_handlers: Sequence[ReactionHandler], message_handlers: Sequence[MessageHandler]
) -> None:
    """One listener per event type, handing each event to every feature's handler in turn."""

    def reaction_added(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        _reaction(reaction_handlers, event, context, added=True)

    def reaction_removed(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        _reaction(reaction_handlers, event, context, added=False)

    def message(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        _message(message_handlers, event, context)

    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)
    app.event("message")(message)


def _reaction(handlers: Sequence[ReactionHandler], event: dict[str, Any], context: BoltContext, *, added: bool) -> None:
    if event.get("item", {}).get("type") != "message":
        return
    req = Req.of(context)
    for handler in handlers:
        handler(req, event, added)


def _message(handlers: Sequence[MessageHandler], event: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    for handler in handlers:
        handler(req, event)
