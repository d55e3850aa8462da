"""Reading Slack inside a request. Reaction events carry no message text, so the escalation and
idea reactions look the message (and its permalink) up before the acknowledgement. These reads
share one small time budget, use no retries, and fall back instead of failing, so a slow or
failing Slack can never push the acknowledgement past Slack's 3-second deadline."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outbox.webapi import slack_error

log = logging.getLogger(__name__)
BUDGET_SECONDS = 1.5
MIN_CALL_SECONDS = 0.1


class NoSuchUser(Exception):
    """Slack says there is no such user."""


def one_shot_client(client: WebClient, timeout: float) -> WebClient:
    """A client for one call inside a request: the same token and API, no retries, a short timeout."""
    return WebClient(token=client.token, base_url=client.base_url, timeout=timeout, retry_handlers=[])


class Lookup:
    def __init__(self, client: WebClient, budget: float = BUDGET_SECONDS, *, since: float | None = None):
        """`since` is when the request arrived (`time.monotonic()`): the budget counts from then, so
        a request that waited for the database (on SQLite, behind another request's slow Slack
        read) has that much less time for its own reads, and its acknowledgement stays in time."""
        self.client = client
        self.deadline = (time.monotonic() if since is None else since) + budget

    def _call(self, method: str, params: dict[str, str]) -> dict[str, Any] | None:
        remaining = self.deadline - time.monotonic()
        if remaining < MIN_CALL_SECONDS:
            return None
        reader = one_shot_client(self.client, remaining)
        try:
            # Form-encoded, which every Web API method accepts.
            return reader.api_call(method, data=params).data  # type: ignore[return-value]
        except (SlackApiError, OSError):
            return None

    def user(self, user_id: str) -> dict[str, Any] | None:
        """users.info: the user's record, or None when Slack cannot say within the budget. Raises
        NoSuchUser when Slack answers that the user does not exist."""
        remaining = self.deadline - time.monotonic()
        if remaining < MIN_CALL_SECONDS:
            return None
        try:
            return one_shot_client(self.client, remaining).users_info(user=user_id).get("user") or {}
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in ("user_not_found", "users_not_found"):
                raise NoSuchUser(user_id) from None
            log.warning("users.info failed (%s)", error)
        except OSError as exc:
            log.warning("users.info failed (%s)", exc.__class__.__name__)
        return None

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message at (channel, ts): from the channel's history, or its thread if it is a reply."""
        window = {"channel": channel, "latest": ts, "oldest": ts, "inclusive": "true", "limit": "1"}
        for method, params in (("conversations.history", window), ("conversations.replies", {**window, "ts": ts})):
            response = self._call(method, params) or {}
            found = next((m for m in response.get("messages") or [] if m.get("ts") == ts), None)
            if found is not None:
                return found
        return None

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        response = self._call("chat.getPermalink", {"channel": channel, "message_ts": ts}) or {}
        return response.get("permalink") or generic_permalink(channel, ts, thread_ts)


def generic_permalink(channel: str, ts: str, thread_ts: str | None = None) -> str:
    """A link to a message that works in every workspace (Slack redirects it), built without a call."""
    link = f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link
