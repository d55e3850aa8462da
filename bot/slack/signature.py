"""What is checked about a request before Slack's signature: its timestamp, and whether it is
Slack's unsigned certificate check; and the warning when signatures keep failing."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

log = logging.getLogger("teambot")


def timestamp_is_a_number(stamp: str) -> bool:
    """Whether `X-Slack-Request-Timestamp` can be checked at all: the SDK's signature check raises,
    instead of refusing, on one that is not a plain number."""
    stamp = stamp.strip()
    # ASCII only: str.isdigit() also accepts digits like "²" that int() refuses; and a Unix time
    # has 10 digits, while int() refuses more than 4,300.
    return stamp.isascii() and stamp.isdigit() and len(stamp) <= 20


def is_ssl_check(raw_body: bytes, content_type: str) -> bool:
    """Slack's `ssl_check=1` request, a form sent unsigned to a slash command's URL to test its
    certificate; it is answered with an empty 200 and nothing runs."""
    if not content_type.startswith("application/x-www-form-urlencoded") or b"ssl_check" not in raw_body:
        return False
    return parse_qs(raw_body.decode(errors="replace")).get("ssl_check") == ["1"]


FRESH_SECONDS = 5 * 60  # Slack's own limit on a request's age
WARN_EVERY_SECONDS = 10 * 60


class MismatchWarning:
    """A wrong SLACK_SIGNING_SECRET refuses every request (401) while Slack keeps sending them: said
    once in the log, then at most every ten minutes with a count, so an operator sees why nothing
    works and a flood of forged requests cannot flood the log. Only requests that carry a signature
    and a current timestamp count: an unsigned probe is not a sign of a wrong secret."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last_warning: float | None = None
        self._since_warning = 0

    def refused(self, timestamp: str, signed: str) -> None:
        if not signed.startswith("v0=") or not timestamp_is_a_number(timestamp):
            return
        if abs(self._clock() - int(timestamp)) > FRESH_SECONDS:
            return
        with self._lock:
            self._since_warning += 1
            now = self._monotonic()
            if self._last_warning is not None and now - self._last_warning < WARN_EVERY_SECONDS:
                return
            count, self._since_warning, self._last_warning = self._since_warning, 0, now
        log.warning(
            "%d request(s) arrived with a Slack signature that does not match SLACK_SIGNING_SECRET "
            "(refused with 401); check it against the Slack app's Basic Information page",
            count,
        )
