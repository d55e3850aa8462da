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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError
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
        _OUTBOX.c.lease_owner,
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
        or_(
            _OUTBOX.c.lease_until.is_(None),
            _OUTBOX.c.lease_until < bindparam("now", type_=_WHEN),
            # This sender's own lease (its outcome could not be recorded, or the claim's commit
            # was never confirmed): it knows nobody else is sending the row.
            _OUTBOX.c.lease_owner == bindparam("owner"),
        ),
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
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: WebClient,
        owner: str | None = None,
        config_keys: Callable[[str], list[str]] | None = None,
    ):
        self.session_factory = session_factory
        self.client = client
        self.owner = owner or worker_id()
        # The config keys naming a channel, for the log line of a channel Slack does not know.
        self.config_keys = config_keys or (lambda channel: [])
        # When the earliest pending row that could not be sent at the last look becomes due.
        self.earliest_held: datetime | None = None
        # Outcomes of calls made whose recording failed (the database went away meanwhile), by
        # row: written first when the database answers again, which also ends the row's lease,
        # so the channel goes on at once instead of waiting for the lease to run out.
        self._unrecorded: dict[int, Callable[[Session], None]] = {}
        # Rows a thread of this sender has claimed and not finished with.
        self._in_flight: set[int] = set()
        self._claiming = threading.Lock()

    def drain(self, now: datetime | None = None, max_rounds: int = 1000) -> int:
        """Send everything that is due; returns how many calls were made. Each round sends the
        head of every channel, so channels do not wait for each other."""
        self._record_unrecorded()
        sent = 0
        for _ in range(max_rounds):
            heads = self._claim_heads(now or utcnow())
            if not heads:
                break
            for claimed in heads:
                try:
                    self._send(claimed, now or utcnow())
                finally:
                    with self._claiming:
                        self._in_flight.discard(claimed.row_id)
                sent += 1
        return sent

    def _claim_heads(self, now: datetime) -> list[Claimed]:
        """Lease the oldest pending row of every channel that is due, and record the attempt, in
        one transaction: the attempt is on record before any call is made, so if this process
        dies before it learns the answer, the next sender checks before posting again."""
        # Claims of this sender's threads take turns, so that a row one of them is sending is
        # never taken back by another (its own lease would otherwise let it).
        with self._claiming:
            claimed = self._claim_heads_once(now)
            self._in_flight.update(c.row_id for c in claimed)
        return claimed

    def _claim_heads_once(self, now: datetime) -> list[Claimed]:
        with transaction(self.session_factory) as session:
            heads = session.execute(_HEADS).all()
            due = [h for h in heads if h.not_before <= now and self._lease_free(h, now)]
            # A head waits for its not_before (a 429 or a backoff) or for another sender's lease.
            held = [
                max(h.not_before, h.lease_until or h.not_before) if h.lease_owner != self.owner else h.not_before
                for h in heads
            ]
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
                if head.target_key and head.method == "chat.postMessage":
                    payload["thread_ts"] = head.target_ts  # a reply in the thread of that message
                elif head.target_key:
                    payload["channel"], payload["ts"] = head.target_channel, head.target_ts
                claimed.append(
                    Claimed(head.id, head.method, payload, head.message_key, head.attempted_at, head.attempts)
                )
            return claimed

    def _lease_free(self, head: Any, now: datetime) -> bool:
        if head.lease_until is None or head.lease_until < now:
            return True
        return head.lease_owner == self.owner and head.id not in self._in_flight

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
            self._handle_error(row_id, exc, now, claimed.attempts, payload.get("channel"))
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

    def _record(self, row_id: int, write: Callable[[Session], None]) -> None:
        """Record a row's outcome; if the database fails, keep it to record at the next drain."""
        self._unrecorded[row_id] = write
        with transaction(self.session_factory) as session:
            write(session)
        self._unrecorded.pop(row_id, None)

    def _record_unrecorded(self) -> None:
        for row_id, write in list(self._unrecorded.items()):
            self._record(row_id, write)

    def _record_sent(self, row_id: int, message_key: str | None, posted: dict[str, Any], now: datetime) -> None:
        def write(session: Session) -> None:
            if message_key and posted.get("ts"):
                upsert(session, SlackMessage, key=message_key, channel=posted["channel"], ts=posted["ts"])
            self._mark(session, row_id, "sent", now=now)

        self._record(row_id, write)

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

    def _handle_error(
        self, row_id: int, exc: SlackApiError, now: datetime, attempts: int, channel: str | None = None
    ) -> None:
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
            if error in ("channel_not_found", "not_in_channel", "is_archived") and channel:
                keys = self.config_keys(channel)
                where = f"set as {', '.join(keys)} in the config" if keys else "not a channel of the config"
                log.error(
                    "outbox: row %s to %s failed permanently: %s (%s); fix the channel id or invite teambot",
                    row_id,
                    channel,
                    error,
                    where,
                )
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
        self._record(
            row_id,
            lambda session: session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)),
        )

    def _finish(self, row_id: int, status: str, error: str | None = None) -> None:
        finished_at = utcnow()
        self._record(row_id, lambda session: self._mark(session, row_id, status, now=finished_at, error=error))

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
    """Background thread: drains the outbox when woken by a commit, or when a held row is due.
    While draining fails (the database is down), it waits longer each time, up to
    MAX_FAILING_WAIT, and says so once when it starts failing, once a minute while it goes on,
    and once when it works again."""

    def __init__(self, sender: OutboxSender):
        super().__init__(name="teambot-outbox", daemon=True)
        self.sender = sender
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.health = DrainHealth()
        outbox.on_enqueue(self._wake.set)

    def run(self) -> None:
        while not self._stop.is_set():
            timeout = self.drain_once()
            self._wake.wait(timeout)
            self._wake.clear()

    def drain_once(self) -> float:
        """One drain; returns how long to wait before the next (unless a commit wakes it)."""
        try:
            self.sender.drain()
        except Exception as exc:
            # The worker must outlive a database outage; the rows stay pending and are retried.
            return self.health.failed(exc, utcnow())
        self.health.succeeded(utcnow())
        timeout = IDLE_POLL_SECONDS
        due = self.sender.earliest_held
        if due is not None:
            timeout = min(max((due - utcnow()).total_seconds(), 0.05), IDLE_POLL_SECONDS)
        return timeout

    def stop(self) -> None:
        outbox.remove_listener(self._wake.set)
        self._stop.set()
        self._wake.set()


# While draining fails, the wait between tries doubles from IDLE_POLL_SECONDS up to this; low
# enough that posts resume within seconds of the database's return.
MAX_FAILING_WAIT = 4.0
STILL_FAILING_EVERY = timedelta(minutes=1)


class DrainHealth:
    """Whether the sender's drains fail, for one log line per change of state (not a traceback per
    try), and the back-off between tries while they do."""

    def __init__(self) -> None:
        self.failing_since: datetime | None = None
        self.last_said: datetime | None = None
        self.wait = IDLE_POLL_SECONDS

    def failed(self, exc: Exception, now: datetime) -> float:
        reason = _reason(exc)
        if self.failing_since is None:
            self.failing_since = self.last_said = now
            self.wait = IDLE_POLL_SECONDS
            if isinstance(exc, DBAPIError):
                log.error("outbox: the database cannot be reached (%s); posts wait and are retried", reason)
            else:
                # Not an outage but a defect: its traceback is needed, once.
                log.error("outbox: sending failed (%s); retrying with back-off", reason, exc_info=exc)
            return self.wait
        self.wait = min(self.wait * 2, MAX_FAILING_WAIT)
        if self.last_said is not None and now - self.last_said >= STILL_FAILING_EVERY:
            self.last_said = now
            log.error(
                "outbox: still failing after %d s (%s); posts wait and are retried",
                (now - self.failing_since).total_seconds(),
                reason,
            )
        return self.wait

    def succeeded(self, now: datetime) -> None:
        if self.failing_since is not None:
            log.warning("outbox: working again after %d s; sending resumes", (now - self.failing_since).total_seconds())
        self.failing_since = self.last_said = None
        self.wait = IDLE_POLL_SECONDS


def _reason(exc: Exception) -> str:
    """One line naming what failed, never a URL with its password (the driver's message is shown)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {detail[0]}" if detail else exc.__class__.__name__


__all__ = ["OutboxSender", "OutboxWorker"]
