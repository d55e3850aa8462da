"""Drives the real Bolt app the way Slack does: signed slash commands, events (with retry
headers), block actions, view submissions and message shortcuts. After each request the outbox is
drained into the fake Web API, so tests can assert on what the bot sent."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.outbox.sender import OutboxSender

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0TEAM"
_ids = itertools.count(1)


@dataclass
class Reply:
    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """What a person sees from a command's acknowledgement: its text and blocks."""
        if not self.body:
            return ""
        data = self.json
        return data.get("text", "") + "\n" + json.dumps(data.get("blocks", []), ensure_ascii=False)


def signed_headers(
    body: str,
    *,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    timestamp = timestamp if timestamp is not None else int(time.time())
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": signature,
    }


class SlackDriver:
    def __init__(self, app: App, sender: OutboxSender):
        self.app = app
        self.sender = sender

    def send(self, body: str, headers: dict[str, str], *, drain: bool = True) -> Reply:
        response: BoltResponse = self.app.dispatch(BoltRequest(body=body, headers=headers))
        if drain:
            self.sender.drain()
        return Reply(response.status, response.body or "")

    # -- slash commands --------------------------------------------------------------------------
    def command(
        self,
        name: str,
        text: str = "",
        *,
        user: str = "U0ANNA",
        channel: str = "C0GENERAL",
        trigger_id: str | None = None,
    ) -> Reply:
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": name,
                "text": text,
                "response_url": "https://hooks.slack.test/commands/1",
                "trigger_id": trigger_id or f"trigger-{next(_ids)}",
            }
        )
        return self.send(body, signed_headers(body))

    # -- events ----------------------------------------------------------------------------------
    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None, drain: bool = True
    ) -> Reply:
        payload = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
        body = json.dumps(payload)
        headers = signed_headers(body, content_type="application/json")
        if retry_num is not None:
            headers["x-slack-retry-num"] = str(retry_num)
            headers["x-slack-retry-reason"] = "http_timeout"
        return self.send(body, headers, drain=drain)

    def message(self, channel: str, user: str, text: str, ts: str, **extra: Any) -> Reply:
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "channel_type": "channel",
            **extra,
        }
        return self.event(event)

    def reaction(
        self,
        user: str,
        emoji: str,
        channel: str,
        ts: str,
        *,
        item_user: str | None = None,
        added: bool = True,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        event = {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user,
            "reaction": emoji,
            "item_user": item_user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event, event_id=event_id, retry_num=retry_num)

    # -- interactivity ---------------------------------------------------------------------------
    def _interactive(self, payload: dict[str, Any]) -> Reply:
        body = urlencode({"payload": json.dumps(payload)})
        return self.send(body, signed_headers(body))

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U0ANNA",
        channel: str = "C0GENERAL",
        message_ts: str = "1700000000.000001",
        block_id: str = "b",
        thread_ts: str | None = None,
        element: dict[str, Any] | None = None,
    ) -> Reply:
        action = {
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if element:
            action.update(element)
        message: dict[str, Any] = {"ts": message_ts, "type": "message", "text": "", "blocks": []}
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self._interactive(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0APP",
                "trigger_id": f"trigger-{next(_ids)}",
                "channel": {"id": channel},
                "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
                "message": message,
                "response_url": "https://hooks.slack.test/actions/1",
                "actions": [action],
            }
        )

    def submit_view(
        self,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        user: str = "U0ANNA",
        private_metadata: str = "",
        blocks: list[dict[str, Any]] | None = None,
    ) -> Reply:
        """`values` is Slack's state shape: {block_id: {action_id: {"type": ..., "value": ...}}}.
        Without `blocks`, the view holds one input block per entry of `values`, as Slack sends it."""
        if blocks is None:
            blocks = [{"type": "input", "block_id": block_id} for block_id in values]
        return self._interactive(
            {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "api_app_id": "A0APP",
                "trigger_id": f"trigger-{next(_ids)}",
                "view": {
                    "id": "V0VIEW",
                    "type": "modal",
                    "callback_id": callback_id,
                    "private_metadata": private_metadata,
                    "blocks": blocks,
                    "state": {"values": values},
                },
            }
        )

    def shortcut(self, callback_id: str, *, channel: str, message: dict[str, Any], user: str = "U0ANNA") -> Reply:
        return self._interactive(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "team": {"id": TEAM},
                "user": {"id": user},
                "channel": {"id": channel},
                "message": message,
                "message_ts": message["ts"],
                "trigger_id": f"trigger-{next(_ids)}",
                "response_url": "https://hooks.slack.test/actions/2",
            }
        )
