"""The **Explain** button of a standout post's author, and its form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput, Conflict
from bot.core.text import escape_raw, parse_id
from bot.features.report import blocks, notices
from bot.features.report import service as report
from bot.slack.context import Req
from bot.slack.ids import ActionId, ViewId


def register(app: App) -> None:
    app.action(ActionId.REPORT_EXPLAIN)(explain_clicked)
    app.view(ViewId.REPORT_EXPLANATION)(explanation_submitted)


def _week_and_draft(value: object) -> tuple[str, int]:
    """The week and draft an **Explain** button (or its form) carries, as `2026-W05:12`."""
    week, _, draft = (value if isinstance(value, str) else "").partition(":")
    draft_id = parse_id(draft)
    try:
        if draft_id is None:
            raise BadInput("no draft")
        report.parse_week(week)
    except BadInput:
        raise BadInput("That *Explain* button is not one teambot sent: nothing was recorded.") from None
    return week, draft_id


def explain_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    action = (body.get("actions") or [{}])[0]
    week, draft_id = _week_and_draft(action.get("value"))
    report.explanation_asked(req.db, week, draft_id, body["user"]["id"])
    trigger_id = body.get("trigger_id")
    if not trigger_id or not req.open_view(trigger_id, blocks.explanation_modal(week, draft_id)):
        raise Conflict("Slack could not open the form just now. Click *Explain* again in a moment.")
    ack()


def explanation_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    week, draft_id = _week_and_draft(view.get("private_metadata"))
    user = body["user"]["id"]
    # A form that names another draft, or another week, is refused before its text is looked at.
    report.explanation_asked(req.db, week, draft_id, user)
    values = ((view.get("state") or {}).get("values") or {}).get("explanation") or {}
    text = escape_raw(next(iter(values.values()), {}).get("value") or "").strip()
    if not text:
        ack(response_action="errors", errors={"explanation": "Say in a sentence or two what made it stand out."})
        return
    explanation = report.record_explanation(req.db, week, draft_id, user, text, req.now)
    ack()
    notices.explanation_posted(req.outbox, req.config, explanation)
