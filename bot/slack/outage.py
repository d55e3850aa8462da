"""What a request is answered when the database cannot save it (unreachable, too slow, read-only,
full disk, its file deleted): nothing was changed, and the person or Slack is told so in the way
that gets the request made again, without a raw 500 (which Slack shows as `dispatch_failed`)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import BoltResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

log = logging.getLogger("teambot")

COULD_NOT_SAVE = (
    "teambot could not save that: its database is not available right now. Nothing changed; try again in a minute."
)
COULD_NOT_SAVE_SHORT = "Could not save: teambot's database is not available. Nothing changed; try again."


def is_database_failure(error: BaseException) -> bool:
    """The database could not do the work (connection, time, read-only, disk), as opposed to a
    defect in teambot's own statements (which is logged with its traceback)."""
    return isinstance(error, DBAPIError) and not isinstance(error, (IntegrityError, ProgrammingError, DataError))


def reason(error: BaseException) -> str:
    """One line; the driver's message, never the URL (it may hold a password)."""
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{error.__class__.__name__}: {detail[0]}" if detail else error.__class__.__name__


def could_not_save(body: dict[str, Any], error: BaseException) -> BoltResponse:
    """The answer to a request whose work the database could not save, and one log line."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    kind = str(body.get("command") or event.get("type") or body.get("type") or "request")
    if body.get("type") == "event_callback":
        # Slack delivers the event again (up to three times, minutes apart); nothing of it was kept.
        log.error("database unavailable: %s not handled, Slack will retry it (%s)", kind, reason(error))
        return BoltResponse(status=503, body="")
    log.error("database unavailable: %s not saved, the person was told (%s)", kind, reason(error))
    if body.get("command"):
        payload = {"response_type": "ephemeral", "text": COULD_NOT_SAVE}
        return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
    if body.get("type") == "view_submission":
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        input_block = next(
            (b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input"), None
        )
        if input_block:
            payload = {"response_action": "errors", "errors": {input_block: COULD_NOT_SAVE_SHORT}}
            return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
    # A click: Slack offers no retry and the reply would need the outbox; the button stays as it
    # was, so the person can click again.
    return BoltResponse(status=200, body="")
