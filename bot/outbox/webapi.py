"""What Slack's Web API answered."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (`invalid_auth`, `ratelimited`, ...), or the HTTP status when the answer
    was not Slack's JSON."""
    data = exc.response.data
    return str(data.get("error") if isinstance(data, dict) else exc.response.status_code)
