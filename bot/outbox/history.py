"""What became of queued calls, for features that act on it: which posted message a Slack message is,
when a post reached Slack, and which keyed sends Slack took or refused. Features ask through these
functions, so their services never read the outbox's tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Subquery, and_, delete, select
from sqlalchemy.orm import Session

from bot.outbox.models import OutboxMessage, SlackMessage


def keys_of_message(session: Session, channel: str, ts: str, key_like: str) -> list[str]:
    """The keys (LIKE `key_like`) under which teambot posted the message at (channel, ts)."""
    return list(
        session.scalars(
            select(SlackMessage.key).where(
                SlackMessage.ts == ts, SlackMessage.channel == channel, SlackMessage.key.like(key_like)
            )
        )
    )


def posted_messages() -> Subquery:
    """Every keyed message teambot posted: `key`, `ts`, and `sent_at`, when the post reached Slack
    (None once its outbox row is gone, 30 days on). A query to join, so a feature selects over it in
    one statement."""
    return (
        select(SlackMessage.key, SlackMessage.ts, OutboxMessage.sent_at)
        .outerjoin(OutboxMessage, and_(OutboxMessage.message_key == SlackMessage.key, OutboxMessage.status == "sent"))
        .subquery("posted_messages")
    )


@dataclass
class Tally:
    """How the sends under some dedupe keys ended so far: how many reached Slack, how many still
    wait (queued, or retried after a rate limit or an outage), and Slack's error for each refused."""

    sent: int = 0
    waiting: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # dedupe key: Slack's error


def tally(session: Session, dedupe_like: str) -> Tally:
    """The `Tally` of the sends whose dedupe key is LIKE `dedupe_like`."""
    result = Tally()
    rows = session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.last_error).where(
            OutboxMessage.dedupe_key.like(dedupe_like)
        )
    )
    for key, status, error in rows:
        if status == "sent":
            result.sent += 1
        elif status != "failed":
            result.waiting += 1
        else:
            result.refused[key] = error or "refused"
    return result


def forget_refused(session: Session, dedupe_like: str) -> None:
    """Drop the refused sends whose dedupe key is LIKE `dedupe_like`, so the same keys can be queued
    again; sends that reached Slack keep their rows and so are never repeated."""
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.dedupe_key.like(dedupe_like), OutboxMessage.status == "failed")
    )
