"""/guide: the style guide's topics, or the section that best matches some words."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.text import split_args
from bot.features.guide import blocks
from bot.features.guide import service as guide
from bot.slack.context import Req, ephemeral, wants_help


def register(app: App) -> None:
    app.command("/guide")(guide_command)


def guide_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    if wants_help(args):
        ack(**ephemeral(blocks.GUIDE_HELP))
        return
    if not args:
        ack(**ephemeral(*blocks.topics(guide.require_guide(req.config))))
        return
    ack(**ephemeral(*blocks.found(guide.look_up(req.config, text))))
