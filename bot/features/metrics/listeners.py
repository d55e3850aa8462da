"""/metrics: record a published post's figures by hand."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.text import split_args
from bot.features.metrics import service as metrics
from bot.features.metrics.blocks import METRICS_HELP, metrics_recorded
from bot.features.metrics.models import MetricSource
from bot.slack.context import Req, ephemeral, wants_help


def register(app: App) -> None:
    app.command("/metrics")(metrics_command)


def metrics_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    args = split_args(command.get("text"))
    if not args or wants_help(args):
        ack(**ephemeral(METRICS_HELP))
        return
    token, figures = metrics.parse_command(args)
    draft = metrics.resolve_draft(req.db, token)
    metric = metrics.record(req.db, draft, figures, req.now, by=command["user_id"], source=MetricSource.COMMAND)
    ack(**ephemeral(metrics_recorded(draft, metric)))
