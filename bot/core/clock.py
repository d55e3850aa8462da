"""The process clock. Every timestamp teambot stores comes from here, in UTC, never from the database
server's now(), so replicas and tests (freezegun) agree on time."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
