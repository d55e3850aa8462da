"""Opening a modal. A trigger_id works once and only for 3 seconds, so views.open is called at
once and only once: no retries (a second try is refused or opens the form twice) and a timeout
that keeps the acknowledgement inside Slack's deadline."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.lookup import one_shot_client

log = logging.getLogger(__name__)
VIEWS_OPEN_TIMEOUT_SECONDS = 2.0
# The form is opened by this long after the request arrived, whatever came before it in the request
# (a permission check's users.info, a wait for the database): the acknowledgement follows it and
# must reach Slack inside its 3 seconds, when the trigger_id stops working too.
FORM_DEADLINE_SECONDS = 2.5
MIN_CALL_SECONDS = 0.1


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any], *, since: float | None = None) -> bool:
    """True when Slack opened the form; False when it refused or did not answer in time (the caller
    tells the person how to go on). `since` is when the request arrived (`time.monotonic()`)."""
    timeout = VIEWS_OPEN_TIMEOUT_SECONDS
    if since is not None:
        timeout = min(timeout, since + FORM_DEADLINE_SECONDS - time.monotonic())
    if timeout < MIN_CALL_SECONDS:
        log.warning("views.open not tried: the request had used up its time before it")
        return False
    try:
        one_shot_client(client, timeout).views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open refused: %s", exc.response.get("error"))
        return False
    except OSError as exc:
        log.warning("views.open failed: %s", exc.__class__.__name__)
        return False
    return True


def form_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A submitted form's private_metadata, the JSON object teambot put there when it opened the
    form; {} for anything else, so such a form is refused as out of date instead of failing."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
