"""What every listener needs: the request's dependencies and small reply helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.core.errors import BadInput, NotFound
from bot.outbox.queue import Outbox
from bot.slack import views
from bot.slack.lookup import Lookup, NoSuchUser

HELP_WORDS = {"help", "-h", "--help", "?"}


@dataclass
class Req:
    db: Session
    now: datetime
    outbox: Outbox
    config: TeamConfig
    client: WebClient
    bot_user_id: str | None
    bot_id: str | None
    # Slack reads inside this request share one time budget (see bot/slack/lookup.py).
    lookup: Lookup
    # When the request arrived (`time.monotonic()`), for what must be done before its acknowledgement.
    arrived: float | None = None

    @classmethod
    def of(cls, context: BoltContext) -> Req:
        return cls(
            db=context["db"],
            now=context["now"],
            outbox=context["outbox"],
            config=context["config"],
            client=context.client,
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
            lookup=Lookup(context.client, since=context.get("arrived")),
            arrived=context.get("arrived"),
        )

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        """views.open, within what is left of the request's time (see bot/slack/views.py)."""
        return views.open_view(self.client, trigger_id, view, since=self.arrived)


def wants_help(args: list[str]) -> bool:
    return bool(args) and args[0].lower() in HELP_WORDS


def wants_sub_help(args: list[str], subs: tuple[str, ...]) -> bool:
    """`SUB help` (nothing after it): how one of `subs` works is asked, never done with "help" as
    its argument (`/crisis end help` must not end the crisis)."""
    return len(args) == 2 and args[0].lower() in subs and args[1].lower() in HELP_WORDS


def ephemeral(text: str, blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Keyword arguments for `ack(**...)` answering a slash command privately."""
    reply: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if blocks is not None:
        reply["blocks"] = blocks
    return reply


def check_person(req: Req, user: str, example: str, *, not_the_bot: str = "teambot cannot take this over") -> None:
    """A real, active person (not a bot, not gone). If Slack cannot say right now, the person is
    taken as given: an urgent handover must not wait for Slack's user directory."""
    if user == req.bot_user_id:
        raise BadInput(f"{not_the_bot}; name a person.", example)
    try:
        info = req.lookup.user(user)
    except NoSuchUser:
        raise NotFound(f"<@{user}> is not a user of this workspace.", example) from None
    if info is None:
        return
    if info.get("is_bot") or info.get("is_app_user"):
        raise BadInput(f"<@{user}> is a bot; name a person.", example)
    if info.get("deleted"):
        raise NotFound(f"<@{user}> has left the workspace; name someone else.", example)
