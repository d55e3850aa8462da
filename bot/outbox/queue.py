"""The outbox: every Web API post teambot makes is written here first, in the same transaction as
the change that caused it, and sent afterwards by `bot.slack.sender`. So nothing is lost when
Slack is failing, nothing is sent for a change that rolled back, a listener never waits on Slack,
and a send with a `dedupe` key is stored once however often a job or a replica retries it.

This module knows the shape of Web API calls but imports nothing from Slack's SDK."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.outbox.models import OutboxMessage, SlackMessage

_wake_listeners: list[Callable[[], None]] = []
_wake_lock = threading.Lock()


# The outbox method of a file upload (slack-sdk's files_upload_v2: several Web API calls).
UPLOAD = "files.uploadV2"


def on_enqueue(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after every commit that added outbox rows (the sender's wake-up)."""
    with _wake_lock:
        _wake_listeners.append(listener)
    return listener


def remove_listener(listener: Callable[[], None]) -> None:
    with _wake_lock:
        if listener in _wake_listeners:
            _wake_listeners.remove(listener)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop("outbox_dirty", False):
        with _wake_lock:
            listeners = list(_wake_listeners)
        for listener in listeners:
            listener()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("outbox_dirty", None)


class Outbox:
    """Queues Web API calls on a session. `key` names a posted message for later updates."""

    def __init__(self, session: Session, now: datetime):
        self.session = session
        self.now = now

    def _add(
        self,
        method: str,
        channel: str,
        payload: dict[str, Any],
        *,
        dedupe: str | None = None,
        key: str | None = None,
        target_key: str | None = None,
    ) -> bool:
        """Queue one call; False when a call with the same `dedupe` key was queued before."""
        row = OutboxMessage(
            channel=channel,
            method=method,
            payload=payload,
            dedupe_key=dedupe,
            message_key=key,
            target_key=target_key,
            status="pending",
            attempts=0,
            not_before=self.now,
            created_at=self.now,
        )
        if dedupe is not None:
            if self.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe)):
                return False
            try:
                with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:
                return False
        else:
            self.session.add(row)
        self.session.info["outbox_dirty"] = True
        return True

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        key: str | None = None,
        dedupe: str | None = None,
        unfurl: bool = False,
        thread_key: str | None = None,
    ) -> bool:
        """Post a message; into a thread by its `thread_ts`, or by the key of a message posted
        through the outbox (`thread_key`: its ts is looked up when the call is sent, so this works
        while that message is still queued)."""
        payload: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if not unfurl:
            payload["unfurl_links"] = False
            payload["unfurl_media"] = False
        return self._add("chat.postMessage", channel, payload, dedupe=dedupe, key=key, target_key=thread_key)

    def dm(
        self, user: str, text: str, blocks: list[dict[str, Any]] | None = None, *, dedupe: str | None = None
    ) -> bool:
        """A direct message from the bot (posting to a user id opens the app's DM with them)."""
        return self.post(user, text, blocks, dedupe=dedupe)

    def update(
        self, key: str, text: str, blocks: list[dict[str, Any]] | None = None, *, channel: str | None = None
    ) -> bool:
        """Update the message posted under `key` (its ts is looked up when the call is sent, so
        this works even while the original post is still queued). Callers that know the message's
        channel pass it and save the look-up."""
        if channel is None:
            known = self.session.get(SlackMessage, key)
            channel = known.channel if known else self._channel_of_pending(key)
        if channel is None:
            return False
        payload: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        return self._add("chat.update", channel, payload, target_key=key)

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
    ) -> bool:
        payload: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        if thread_ts:
            payload["thread_ts"] = thread_ts
        return self._add("chat.postEphemeral", channel, payload)

    def upload(
        self,
        channel: str,
        filename: str,
        content: bytes,
        *,
        title: str,
        alt_text: str,
        dedupe: str | None = None,
    ) -> bool:
        """Share a file (a chart) in `channel` with Slack's external upload (files_upload_v2)."""
        payload: dict[str, Any] = {
            "channel": channel,
            "filename": filename,
            "title": title,
            "alt_txt": alt_text,
            "content_base64": base64.b64encode(content).decode("ascii"),
        }
        return self._add(UPLOAD, channel, payload, dedupe=dedupe)

    def publish_view(self, user: str, view: dict[str, Any]) -> None:
        """Publish `user`'s Home tab (views.publish). Each person's publishes go out in order on
        their own outbox channel, and a publish still waiting there is replaced rather than
        followed: only the newest view is worth sending."""
        channel = f"home:{user}"
        payload = {"user_id": user, "view": view}
        replaced = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == "pending",
                OutboxMessage.attempted_at.is_(None),
                OutboxMessage.lease_until.is_(None),
            )
            .values(payload=payload)
            .execution_options(synchronize_session=False)
        )
        if not replaced.rowcount:  # type: ignore[attr-defined]
            self._add("views.publish", channel, payload)
        else:
            self.session.info["outbox_dirty"] = True

    def posted(self, key: str) -> SlackMessage | None:
        """Where the message posted under `key` is, once Slack has taken it."""
        return self.session.get(SlackMessage, key)

    def call(self, method: str, payload: dict[str, Any], *, lane: str, dedupe: str | None = None) -> bool:
        """Any other Web API call. `lane` plays the channel's part: calls in one lane are sent in
        the order they were queued (so the last of several updates to one thing is the one that
        stays)."""
        return self._add(method, lane, payload, dedupe=dedupe)

    def _channel_of_pending(self, key: str) -> str | None:
        return self.session.scalar(select(OutboxMessage.channel).where(OutboxMessage.message_key == key).limit(1))
