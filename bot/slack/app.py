"""Builds the Bolt app: settings in, listeners registered, one error handler for all of them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult

from bot.core.errors import DomainError, InvalidFields
from bot.outbox.queue import Outbox
from bot.slack import outage
from bot.slack.middleware import DATABASE_FAILED, SessionPerRequestApp, claim_event, deduplicate_events
from bot.slack.runtime import Runtime

log = logging.getLogger(__name__)

UNEXPECTED = "Sorry, teambot could not do that because of an error on its side; nothing was changed. Try again."


def create_app(runtime: Runtime, register: Callable[[App], None]) -> App:
    """The Bolt app for `runtime`; `register` adds the features' listeners (see `bot.app`)."""
    secret = runtime.settings.slack_signing_secret
    identity = runtime.identity
    bolt_logger = logging.getLogger("teambot.bolt")

    # Bolt passes arguments by their names, so this is a plain function, not a bound method. It
    # runs before every acknowledgement, so it never calls Slack (see bot/slack/identity.py).
    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=runtime.client.token, **identity.ids()
        )

    # Bolt warns that SLACK_BOT_TOKEN is unused when a client and `authorize` are given; that is
    # the intended set-up (the client carries the token), so those start-up warnings are muted.
    level = bolt_logger.level
    bolt_logger.setLevel(logging.ERROR)
    app = SessionPerRequestApp(
        session_factory=runtime.session_factory,
        config=runtime.current_config,
        client=runtime.client,
        signing_secret=secret.get_secret_value() if secret else "",
        # Listeners run inside the request, in its database session; they only touch the database
        # and the outbox, so the acknowledgement stays fast.
        process_before_response=True,
        authorize=authorize,
        logger=bolt_logger,
    )
    bolt_logger.setLevel(level)
    app.use(deduplicate_events)
    app.error(handle_error)
    register(app)
    return app


def handle_error(error: Exception, body: dict[str, Any], context: BoltContext) -> BoltResponse:
    """The one place listener errors become a message to the person who acted.

    Domain errors say what was wrong; anything else is logged and answered with an apology. The
    request's transaction is rolled back either way, and Slack gets a 200 (a 5xx would show
    "dispatch_failed" or make Slack retry the event) unless the database could not save the
    request: see `bot.slack.outage`."""
    session = context.get("db")
    body = body if isinstance(body, dict) else {}
    if outage.is_database_failure(error):
        # Nothing more is asked of the database: the answer says nothing was saved.
        context[DATABASE_FAILED] = error
        return outage.could_not_save(body, error)
    if session is not None:
        session.rollback()
        # The rollback took the event's claim with it: claim it again with this answer, so a
        # retry or a re-delivery of the same event is not answered twice.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id and not claim_event(session, event_id, context["now"]):
            return BoltResponse(status=200, body="")
    if isinstance(error, DomainError):
        message = error.render()
    else:
        log.error("unhandled error in a listener", exc_info=error)
        message = UNEXPECTED

    if body.get("command"):
        return _json_response({"response_type": "ephemeral", "text": message})
    if body.get("type") == "view_submission":
        if isinstance(error, InvalidFields):
            return _json_response({"response_action": "errors", "errors": error.fields})
        blocks = _obj(body.get("view")).get("blocks")
        input_block = next(
            (b.get("block_id") for b in _list(blocks) if isinstance(b, dict) and b.get("type") == "input"), None
        )
        if isinstance(input_block, str):
            return _json_response({"response_action": "errors", "errors": {input_block: message[:150]}})
        return BoltResponse(status=200, body="")

    where = _where(body)
    if where is not None and session is not None:
        channel, user, thread_ts = where
        outbox: Outbox = context["outbox"]
        if channel:
            outbox.ephemeral(channel, user, message, thread_ts=thread_ts)
        else:
            outbox.dm(user, message)
    return BoltResponse(status=200, body="")


def _obj(value: Any) -> dict[str, Any]:
    """A field that should be an object, or {}: the error handler must answer whatever the shape."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _where(body: dict[str, Any]) -> tuple[str | None, str, str | None] | None:
    """(channel, user, thread) to tell the acting person about an error in an event or click."""
    if body.get("type") == "event_callback":
        event = _obj(body.get("event"))
        user = _text(event.get("user"))
        channel = _text(_obj(event.get("item")).get("channel")) or _text(event.get("channel"))
        if not user:
            return None
        return channel, user, None
    user = _text(_obj(body.get("user")).get("id"))
    if not user:
        return None
    if body.get("type") in ("message_action", "shortcut"):
        # Shortcuts work in channels teambot is not in, where an ephemeral cannot be posted: a DM.
        return None, user, None
    channel = _text(_obj(body.get("channel")).get("id"))
    thread_ts = _text(_obj(body.get("message")).get("thread_ts"))
    return channel, user, thread_ts


def _json_response(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
