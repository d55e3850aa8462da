"""Who the bot is in Slack: its user and bot ids (from auth.test), which Bolt needs to ignore the
bot's own events and features need to tell the bot from a person.

Nothing ever waits for Slack to say who the bot is before acknowledging a request: the ids are
learned at start-up (`Runtime.check_token`, before the port is served), and if Slack could not be
asked then, in the background, started by a request and tried again at most once a minute. Until
they are known, requests go on without them."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("teambot")
RETRY_SECONDS = 60.0


class BotIdentity:
    def __init__(self, client: WebClient):
        self.client = client
        self._ids: dict[str, str] | None = None
        self._next_try = 0.0
        self._attempt: threading.Thread | None = None
        self._lock = threading.Lock()

    def remember(self, auth_test: Any) -> None:
        """Keep the ids from an auth.test answer."""
        self._ids = {"bot_id": auth_test.get("bot_id"), "bot_user_id": auth_test.get("user_id")}

    def ids(self) -> dict[str, str]:
        """The ids known now ({} while unknown); never waits, never calls Slack in this thread."""
        ids = self._ids
        if ids is None:
            self.learn_in_background()
        return dict(ids or {})

    def learn_in_background(self) -> None:
        """Start one auth.test in a daemon thread, unless the ids are known, a lookup is under way
        or the last one failed less than a minute ago."""
        with self._lock:
            busy = self._attempt is not None and self._attempt.is_alive()
            if self._ids is not None or busy or time.monotonic() < self._next_try:
                return
            self._attempt = threading.Thread(target=self._learn, name="teambot-identity", daemon=True)
            self._attempt.start()

    def wait(self, timeout: float) -> bool:
        """Wait for a lookup under way (start-up, tests); whether the ids are known."""
        attempt = self._attempt
        if attempt is not None:
            attempt.join(timeout)
        return self._ids is not None

    def _learn(self) -> None:
        try:
            self.remember(self.client.auth_test())
            log.info("learned the bot's identity from Slack")
        except (SlackApiError, OSError) as exc:
            log.warning("auth.test failed (%s); the bot's identity is asked again in a minute", exc.__class__.__name__)
            self._next_try = time.monotonic() + RETRY_SECONDS
