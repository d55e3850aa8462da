"""Socket Mode's first connection. Slack not answering (no network yet, an outage) is waited out
with back-off and one line per try, as HTTP mode waits for Slack's requests; only a token Slack
refuses stops teambot (exit 2). Once connected, slack-sdk's client reconnects by itself."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.core.errors import ConfigError
from bot.outbox.webapi import slack_error

log = logging.getLogger("teambot")

# What Slack answers for an app-level token it will never accept.
REFUSED_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"}
)
FIRST_WAIT = 1.0
MAX_WAIT = 60.0


def connect_with_retry(connect: Callable[[], None], wait: Callable[[float], bool]) -> bool:
    """Call `connect` until it works; between tries, `wait(seconds)`, which returns True when
    teambot is asked to stop meanwhile. True when connected, False when stopped first."""
    delay = FIRST_WAIT
    while True:
        try:
            connect()
            return True
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in REFUSED_TOKEN:
                raise ConfigError(f"SLACK_APP_TOKEN was refused by Slack ({error})") from None
            reason = f"Slack answered {error}"
        except Exception as exc:  # the network, DNS, TLS or the WebSocket: all mean "try again"
            reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'}"
        log.warning("Socket Mode: cannot connect to Slack (%s); trying again in %d s", reason, delay)
        if wait(delay):
            return False
        delay = min(delay * 2, MAX_WAIT)
