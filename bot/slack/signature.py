"""What is checked about a request before Slack's signature: its timestamp, and whether it is
Slack's unsigned certificate check."""

from __future__ import annotations

from urllib.parse import parse_qs


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
