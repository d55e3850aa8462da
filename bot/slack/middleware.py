"""A database session per request, and event de-duplication.

Bolt runs its middleware one after the other and the listener after them all (`next()` does not
wrap the rest), so the session is opened and closed around `App.dispatch` itself."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.core import deadline
from bot.core.clock import utcnow
from bot.core.config import TeamConfig
from bot.core.db import insert_unless_present
from bot.core.text import escape_raw, without_nul
from bot.outbox.queue import Outbox
from bot.slack import outage
from bot.slack.models import ProcessedEvent
from bot.slack.signature import timestamp_is_a_number

log = logging.getLogger(__name__)
EVENT_MEMORY = timedelta(hours=24)
NUL_MARKERS = ("\x00", "%00", "\\u0000")


class SessionPerRequestApp(App):
    """A Bolt app that gives every request its own session (in `context["db"]`), committed after
    the listener and the error handler ran; the session only connects when first used."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        config: Callable[[datetime], TeamConfig],
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._session_factory = session_factory
        # The configuration in force when a request arrives (settings changed in Slack included).
        self._team_config = config

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        stamps = req.headers.get("x-slack-request-timestamp") or [""]
        if req.mode == "http" and not timestamp_is_a_number(stamps[0]):
            # Bolt's signature check raises on a timestamp that is not a number; refused here like
            # any other bad signature, before anything could answer the request.
            return BoltResponse(status=401, body='{"error": "invalid request"}')
        if any(marker in req.raw_body for marker in NUL_MARKERS):
            req.body = without_nul(req.body)  # type: ignore[assignment]
        now = utcnow()
        arrived = time.monotonic()
        # A database that does not answer is given up on in time for Slack's 3-second budget.
        with self._session_factory() as session, deadline.within(REQUEST_WAIT_SECONDS):
            req.context["arrived"] = arrived
            req.context["db"] = session
            req.context["now"] = now
            req.context["outbox"] = Outbox(session, now)
            req.context["config"] = self._team_config(now)
            response = super().dispatch(req)
            failure = req.context.get(DATABASE_FAILED)
            if failure is not None:
                _roll_back_quietly(session)
                return response
            if session.in_transaction():
                try:
                    session.commit()
                except IntegrityError:
                    # Two deliveries of one event raced past the check below: the loser's work is
                    # dropped, which is exactly what de-duplication wants.
                    session.rollback()
                    if req.body.get("type") != "event_callback":
                        raise
                    log.info("dropped a concurrent duplicate delivery of %s", req.body.get("event_id"))
                    return BoltResponse(status=200, body="")
                except DBAPIError as error:
                    if not outage.is_database_failure(error):
                        raise
                    _roll_back_quietly(session)
                    return outage.could_not_save(req.body, error)
            if response.status == 404:
                return _not_ours(req)
            return response


# Of Slack's 3 seconds, how long a request waits for one answer of the database (a statement, a
# commit, the check of a pooled connection); a new connection gives up after CONNECT_TIMEOUT_SECONDS.
REQUEST_WAIT_SECONDS = 2.0
# Set in the request's context by the error handler when the database failed the request.
DATABASE_FAILED = "database_failed"


def _roll_back_quietly(session: Session) -> None:
    """End a transaction the database already failed (the connection may be gone: nothing to say)."""
    with contextlib.suppress(DBAPIError):
        session.rollback()


def _not_ours(req: BoltRequest) -> BoltResponse:
    """A signed request no listener takes (an event type or a button teambot does not use, an
    `app_rate_limited` notice): Bolt answers 404, which Slack shows as an error or retries. It is
    acknowledged instead; an unknown command gets a word on what teambot does have."""
    body = req.body
    kind = body.get("command") or (body.get("event") or {}).get("type") or body.get("type") or "unknown"
    log.info("acknowledged a request no listener takes: %s", kind)
    if body.get("command"):
        text = f"teambot has no `{body['command']}` command. Try `/team help`, `/approve help` or `/escalate help`."
        payload = json.dumps({"response_type": "ephemeral", "text": escape_raw(text)})
        return BoltResponse(status=200, body=payload, headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")


def deduplicate_events(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
    """An Events API delivery is claimed by its `event_id` in the same transaction as its effects,
    so a Slack retry, a re-delivery over another Socket Mode connection or to another replica is
    acknowledged and ignored; if handling fails, the claim rolls back with it."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not claim_event(context["db"], event_id, context["now"]):
        return BoltResponse(status=200, body="")
    next()
    return None


def claim_event(session: Session, event_id: str, now: datetime) -> bool:
    """Record the event id; False if it was recorded before."""
    return insert_unless_present(session, ProcessedEvent, event_id=event_id, received_at=now)


def forget_old_events(session: Session, now: datetime) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_MEMORY))
    return result.rowcount or 0
