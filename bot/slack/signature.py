"""The request timestamp check that comes before Slack's signature check."""

from __future__ import annotations


def timestamp_is_a_number(stamp: str) -> bool:
    """Whether `X-Slack-Request-Timestamp` can be checked at all: the SDK's signature check raises,
    instead of refusing, on one that is not a plain number."""
    stamp = stamp.strip()
    # ASCII only: str.isdigit() also accepts digits like "²" that int() refuses; and a Unix time
    # has 10 digits, while int() refuses more than 4,300.
    return stamp.isascii() and stamp.isdigit() and len(stamp) <= 20
