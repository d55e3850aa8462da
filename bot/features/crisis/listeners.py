"""/crisis, the **Start crisis mode** button on a crisis escalation's post, and the **Post update**
button with its form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.orm import Session

from bot.core.errors import BadInput, Conflict
from bot.core.text import escape_raw, parse_id, rest_after, split_args
from bot.features.approvals.extensions import HeldPerDraft
from bot.features.approvals.models import Draft
from bot.features.crisis import blocks as ui
from bot.features.crisis import notices as notify
from bot.features.crisis import service as crisis_service
from bot.features.escalations import service as escalations
from bot.slack.context import Req, ephemeral, wants_help, wants_sub_help
from bot.slack.ids import ActionId, ViewId
from bot.slack.views import form_metadata


def register(app: App) -> None:
    app.command("/crisis")(crisis_command)
    app.action(ActionId.CRISIS_START)(start_clicked)
    app.action(ActionId.CRISIS_POST_UPDATE)(post_update_clicked)
    app.view(ViewId.CRISIS_UPDATE)(update_submitted)


def crisis_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = command.get("text") or ""
    args = split_args(text)
    user = command["user_id"]
    if wants_help(args) or wants_sub_help(args, ("start", "update", "end")):
        ack(**ephemeral(ui.CRISIS_HELP))
        return
    word = args[0].lower() if args else ""
    # Command text arrives in Slack's escaped form already: stored as it is.
    rest = rest_after(text, 1)
    if not word:
        ack(**ephemeral(*ui.state_view(crisis_service.state(req.db), req.now)))
    elif word == "start":
        outcome = crisis_service.start(req.db, req.config, reason=rest, by=user, now=req.now)
        notify.started(req.db, req.outbox, req.config, outcome)
        ack(**ephemeral(f"Crisis mode is on (crisis #{outcome.crisis.id}); {len(outcome.held)} post(s) held."))
    elif word == "update":
        update = crisis_service.post_update(req.db, req.config, text=rest, by=user, now=req.now)
        crisis = crisis_service.ongoing(req.db)
        assert crisis is not None
        notify.updated(req.outbox, req.config, crisis, update)
        ack(**ephemeral(ui.update_recorded(crisis)))
    elif word == "end":
        ended = crisis_service.end(req.db, req.config, summary=rest, by=user, now=req.now)
        notify.ended(req.db, req.outbox, req.config, ended)
        ack(**ephemeral(ui.summary_post(ended)[0] + f"; {len(ended.released)} post(s) back with their approvers."))
    else:
        raise BadInput(f"`/crisis {args[0]}` is not a /crisis command.", crisis_service.START_EXAMPLE)


def start_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """The button on a `crisis` escalation's post: crisis mode, with the escalation's text as what
    happened."""
    ack()
    req = Req.of(context)
    escalation_id = parse_id(body["actions"][0].get("value") or "")
    if escalation_id is None:
        raise BadInput("This button does not name an escalation.")
    esc = escalations.get(req.db, escalation_id)
    if esc.severity != "crisis":
        raise Conflict(f"Escalation #{esc.id} is not a crisis; start crisis mode with `/crisis start`.")
    reason = f"Escalation #{esc.id}: {esc.text}" if esc.text else f"Escalation #{esc.id}"
    outcome = crisis_service.start(
        req.db, req.config, reason=reason, by=body["user"]["id"], now=req.now, escalation_id=esc.id, via="button"
    )
    notify.started(req.db, req.outbox, req.config, outcome)


def post_update_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    crisis = crisis_service.ongoing(req.db)
    if crisis is None:
        raise Conflict("Crisis mode is not on any more: there is nothing to update.")
    crisis_service.check_may_update(req.db, req.config, crisis, body["user"]["id"])
    trigger_id = body.get("trigger_id")
    if not trigger_id or not req.open_view(trigger_id, ui.update_modal(crisis)):
        raise Conflict(f"Slack could not open the form just now. Type it instead: `{crisis_service.UPDATE_EXAMPLE}`")
    ack()


def update_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    values = (view.get("state") or {}).get("values") or {}
    raw = ((values.get(ui.UPDATE_BLOCK) or {}).get("value") or {}).get("value") or ""
    if not raw.strip():
        ack(response_action="errors", errors={ui.UPDATE_BLOCK: "Write the update."})
        return
    metadata = form_metadata(view)
    crisis = crisis_service.ongoing(req.db)
    if crisis is None or metadata.get("crisis") != crisis.id:
        ack(response_action="errors", errors={ui.UPDATE_BLOCK: "That crisis is over; the update was not posted."})
        return
    # Form text arrives raw: escaped once, here.
    update = crisis_service.post_update(req.db, req.config, text=escape_raw(raw), by=body["user"]["id"], now=req.now)
    notify.updated(req.outbox, req.config, crisis, update)
    ack()


class CrisisDrafts:
    """How crisis mode extends drafts (installed into approvals by the composition root): an edit
    puts a held draft back to pending, so while the crisis lasts it is held again."""

    def on_new_draft(self, req: Req, draft: Draft) -> None:
        return None

    def on_edited_draft(self, req: Req, draft: Draft) -> None:
        held = crisis_service.hold_if_due(req.db, req.config, draft, by=draft.author, now=req.now, via="edit")
        if held is not None:
            crisis = crisis_service.ongoing(req.db)
            assert crisis is not None
            notify.held_again(req.outbox, crisis, held)

    def holders(self, session: Session, draft: Draft, role: str) -> list[str] | None:
        return None

    def held_per_draft(self) -> dict[str, HeldPerDraft]:
        return {}

    def status_blocks(self, session: Session, draft: Draft) -> list[dict[str, Any]]:
        return []

    def export_fields(self, session: Session, draft_ids: list[int]) -> dict[int, dict[str, Any]]:
        return {}
