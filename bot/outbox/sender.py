"""Sends the outbox. Each channel's messages go out in order; the head of a channel is claimed
with a short lease so two processes never send the same row; a 429 holds the channel until its
`Retry-After`, a 5xx backs off exponentially, and a permanent error (channel_not_found, ...) is
recorded and skipped so one bad row cannot block a channel forever. Connection errors are retried
inside slack-sdk by its retry handler.

Exactly once, also across a crash: every post carries its outbox id in Slack message metadata,
and the attempt is recorded before the call. A row whose earlier attempt never got an answer (the
process was killed, the connection broke, Slack answered 5xx) is looked up in the channel's
history before it is posted again."""

from __future__ import annotations

import base64
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.core.clock import utcnow
from bot.core.db import transaction, upsert
from bot.outbox import queue as outbox
from bot.outbox.models import OutboxMessage, SlackMessage
from bot.outbox.webapi import slack_error

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
METADATA_EVENT = "teambot_outbox"
MAX_BACKOFF = timedelta(minutes=10)
# A commit in this process wakes its sender at once; rows queued by other processes (web replicas
# running --no-sender, `teambot digest`) are found by this poll, which costs one indexed query.
IDLE_POLL_SECONDS = 0.25


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claimed:
    """A leased outbox row, ready to send (a chat.update's target ts already filled in)."""

    row_id: int
    method: str
    payload: dict[str, Any]
    message_key: str | None
    previous_attempt: datetime | None
    attempts: int = 0


# The sender's statements are built once: it runs for every message, and building SQLAlchemy
# statements anew each time cost more than executing them.
_OUTBOX = OutboxMessage.__table__
_MESSAGES = SlackMessage.__table__
_WHEN = _OUTBOX.c.not_before.type

# Each channel's oldest pending row, with the stored message a chat.update or reaction targets.
_HEADS = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.method,
        _OUTBOX.c.payload,
        _OUTBOX.c.message_key,
        _OUTBOX.c.target_key,
        _OUTBOX.c.attempts,
        _OUTBOX.c.attempted_at,
        _OUTBOX.c.not_before,
        _OUTBOX.c.lease_until,
        _MESSAGES.c.channel.label("target_channel"),
        _MESSAGES.c.ts.label("target_ts"),
    )
    .select_from(_OUTBOX.outerjoin(_MESSAGES, _MESSAGES.c.key == _OUTBOX.c.target_key))
    .where(
        _OUTBOX.c.id.in_(
            select(func.min(_OUTBOX.c.id)).where(_OUTBOX.c.status == "pending").group_by(_OUTBOX.c.channel)
        )
    )
    .order_by(_OUTBOX.c.id)
)

# Leases the given heads unless another sender got there first (on PostgreSQL the losing UPDATE
# waits for the winner and then no longer matches); the attempt is recorded with the lease.
_CLAIM = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.status == "pending",
        _OUTBOX.c.not_before <= bindparam("now", type_=_WHEN),
        or_(_OUTBOX.c.lease_until.is_(None), _OUTBOX.c.lease_until < bindparam("now", type_=_WHEN)),
    )
    .values(
        lease_owner=bindparam("owner"),
        lease_until=bindparam("until", type_=_WHEN),
        attempted_at=func.coalesce(_OUTBOX.c.attempted_at, bindparam("now", type_=_WHEN)),
    )
    .returning(_OUTBOX.c.id)
)

_FINISH = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        status=bindparam("new_status"),
        sent_at=bindparam("finished_at", type_=_WHEN),
        attempts=_OUTBOX.c.attempts + 1,
        lease_owner=None,
        lease_until=None,
        last_error=bindparam("error"),
    )
)


class OutboxSender:
    def __init__(self, session_factory: sessionmaker[Session], client: WebClient, owner: str | None = None):
        self.session_factory = session_factory
        self.client = client
        self.owner = owner or worker_id()
        # When the earliest pending row that could not be sent at the last look becomes due.
        self.earliest_held: datetime | None = None

    def drain(self, now: datetime | None = None, max_rounds: int = 1000) -> int:
        """Send everything that is due; returns how many calls were made. Each round sends the
        head of every channel, so channels do not wait for each other."""
        sent = 0
        for _ in range(max_rounds):
            heads = self._claim_heads(now or utcnow())
            if not heads:
                break
            for claimed in heads:
                self._send(claimed, now or utcnow())
                sent += 1
        return sent

    def _claim_heads(self, now: datetime) -> list[Claimed]:
        """Lease the oldest pending row of every channel that is due, and record the attempt, in
        one transaction: the attempt is on record before any call is made, so if this process
        dies before it learns the answer, the next sender checks before posting again."""
        with transaction(self.session_factory) as session:
            heads = session.execute(_HEADS).all()
            due = [h for h in heads if h.not_before <= now and (h.lease_until is None or h.lease_until < now)]
            # A head waits for its not_before (a 429 or a backoff) or for another sender's lease.
            held = [max(h.not_before, h.lease_until or h.not_before) for h in heads]
            self.earliest_held = min((when for when in held if when > now), default=None)
            if not due:
                return []
            params = {"ids": [h.id for h in due], "now": now, "until": now + LEASE, "owner": self.owner}
            won = set(session.execute(_CLAIM, params).scalars())
            claimed: list[Claimed] = []
            for head in due:
                if head.id not in won:
                    continue
                payload = dict(head.payload)
                if head.target_key and head.target_ts is None:
                    self._mark(session, head.id, "failed", now=now, error=f"no message stored under {head.target_key}")
                    continue
                if head.target_key:
                    payload["channel"], payload["ts"] = head.target_channel, head.target_ts
                claimed.append(
                    Claimed(head.id, head.method, payload, head.message_key, head.attempted_at, head.attempts)
                )
            return claimed

    def next_due(self) -> datetime | None:
        with self.session_factory() as session:
            return session.scalar(select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending"))

    def _send(self, claimed: Claimed, now: datetime) -> None:
        row_id, payload = claimed.row_id, claimed.payload
        if claimed.method == "chat.postMessage":
            payload["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row_id}}
            if claimed.previous_attempt is not None:
                try:
                    found = self._find_posted(row_id, payload, claimed.previous_attempt)
                except (SlackApiError, OSError) as exc:
                    self._retry_later(row_id, now + timedelta(seconds=5), f"checking an earlier attempt: {exc}")
                    return
                if found is not None:
                    self._record_sent(row_id, claimed.message_key, found, now)
                    return
        try:
            if claimed.method == outbox.UPLOAD:
                self._upload(payload)
                self._record_sent(row_id, claimed.message_key, {}, now)
                return
            response = self.client.api_call(claimed.method, json=payload)
        except SlackApiError as exc:
            self._handle_error(row_id, exc, now, claimed.attempts)
            return
        except OSError as exc:
            # Connection errors were already retried by slack-sdk; the post may or may not have
            # arrived, so the attempt stays recorded and is checked before the next try.
            self._retry_later(
                row_id, now + timedelta(seconds=5), f"connection: {exc.__class__.__name__}", keep_attempt=True
            )
            return
        self._record_sent(
            row_id,
            claimed.message_key,
            {"channel": response.get("channel") or payload.get("channel"), "ts": response.get("ts")},
            now,
        )

    def _upload(self, payload: dict[str, Any]) -> None:
        self.client.files_upload_v2(
            channel=payload["channel"],
            content=base64.b64decode(payload["content_base64"]),
            filename=payload["filename"],
            title=payload["title"],
            alt_txt=payload["alt_txt"],
            # The uploaded file's details are not needed: one call fewer.
            request_file_info=False,
        )

    def _record_sent(self, row_id: int, message_key: str | None, posted: dict[str, Any], now: datetime) -> None:
        with transaction(self.session_factory) as session:
            if message_key and posted.get("ts"):
                upsert(session, SlackMessage, key=message_key, channel=posted["channel"], ts=posted["ts"])
            self._mark(session, row_id, "sent", now=now)

    def _find_posted(self, row_id: int, payload: dict[str, Any], attempted_at: datetime) -> dict[str, Any] | None:
        """Look in the channel (or thread) for a message carrying this row's id in its metadata."""
        channel = payload["channel"]
        if channel.startswith(("U", "W")):
            channel = self.client.conversations_open(users=channel)["channel"]["id"]
        oldest = f"{attempted_at.timestamp() - 60:.6f}"
        if payload.get("thread_ts"):
            response = self.client.conversations_replies(
                channel=channel, ts=payload["thread_ts"], oldest=oldest, include_all_metadata=True, limit=200
            )
        else:
            response = self.client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("outbox_id") == row_id
            ):
                log.info("outbox: row %s had been posted before a restart; not posting it again", row_id)
                return {"channel": channel, "ts": message.get("ts")}
        return None

    def _handle_error(self, row_id: int, exc: SlackApiError, now: datetime, attempts: int) -> None:
        status = exc.response.status_code
        error = slack_error(exc)
        if status == 429:
            # Slack refused the call outright: nothing was posted.
            retry_after = int(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
            self._retry_later(row_id, now + timedelta(seconds=max(retry_after, 1)), f"429 {error}", keep_attempt=False)
        elif status >= 500 or error in (
            "ratelimited",
            "internal_error",
            "fatal_error",
            "service_unavailable",
        ):
            backoff = min(timedelta(seconds=2 ** min(attempts, 10)), MAX_BACKOFF)
            # A server error leaves it open whether the post went through: keep the attempt.
            self._retry_later(row_id, now + backoff, f"{status} {error}", keep_attempt=True)
        else:
            log.warning("outbox: %s failed permanently: %s", row_id, error)
            self._finish(row_id, "failed", error=error)

    def _retry_later(self, row_id: int, when: datetime, error: str, *, keep_attempt: bool = True) -> None:
        values: dict[str, Any] = {
            "not_before": when,
            "attempts": OutboxMessage.attempts + 1,
            "lease_owner": None,
            "lease_until": None,
            "last_error": error,
        }
        if not keep_attempt:
            values["attempted_at"] = None
        with transaction(self.session_factory) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))

    def _finish(self, row_id: int, status: str, error: str | None = None) -> None:
        with transaction(self.session_factory) as session:
            self._mark(session, row_id, status, now=utcnow(), error=error)

    @staticmethod
    def _mark(session: Session, row_id: int, status: str, now: datetime, error: str | None = None) -> None:
        session.execute(
            _FINISH,
            {"row_id": row_id, "new_status": status, "finished_at": now if status == "sent" else None, "error": error},
        )

    def pending_count(self) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
                or 0
            )


class OutboxWorker(threading.Thread):
    """Background thread: drains the outbox when woken by a commit, or when a held row is due."""

    def __init__(self, sender: OutboxSender):
        super().__init__(name="teambot-outbox", daemon=True)
        self.sender = sender
        self._wake = threading.Event()
        self._stop = threading.Event()
        outbox.on_enqueue(self._wake.set)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sender.drain()
                timeout = IDLE_POLL_SECONDS
                due = self.sender.earliest_held
                if due is not None:
                    timeout = min(max((due - utcnow()).total_seconds(), 0.05), IDLE_POLL_SECONDS)
            except Exception:
                # The worker must outlive a database blip; the rows stay pending and are retried.
                log.exception("outbox worker: drain failed")
                timeout = IDLE_POLL_SECONDS
            self._wake.wait(timeout)
            self._wake.clear()

    def stop(self) -> None:
        outbox.remove_listener(self._wake.set)
        self._stop.set()
        self._wake.set()


__all__ = ["OutboxSender", "OutboxWorker"]
