"""Drafts and approvals: draft messages, approval reactions, the status buttons, /approve."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput, Conflict
from bot.core.text import escape_raw, parse_id, split_args
from bot.features.approvals import blocks as ui
from bot.features.approvals import extensions
from bot.features.approvals import notices as notify
from bot.features.approvals import service as approvals
from bot.features.approvals.models import DECISIONS, DraftStatus, Via
from bot.features.approvals.service import Content
from bot.slack.blocks import MAX_LIST
from bot.slack.context import Req, ephemeral, wants_help
from bot.slack.ids import ActionId, ViewId
from bot.slack.views import form_metadata

# Slackbot posts reminders (`/remind #channel`) and the workspace's auto-responses as itself, with no
# subtype and no bot_id, like a person would.
SLACKBOT = "USLACKBOT"

DECISION_OF_ACTION: dict[str, DraftStatus] = {
    ActionId.REJECT: DraftStatus.REJECTED,
    ActionId.REQUEST_CHANGES: DraftStatus.CHANGES_REQUESTED,
}


def register(app: App) -> None:
    app.command("/approve")(approve_command)
    app.action(ActionId.APPROVE)(approve_button)
    app.action(ActionId.REJECT)(decision_button)
    app.action(ActionId.REQUEST_CHANGES)(decision_button)
    app.action(ActionId.ADD_REASON)(add_reason_button)
    app.view(ViewId.DRAFT_REASON)(reason_submitted)


# -- /approve ------------------------------------------------------------------------------------
def approve_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    args = split_args(command.get("text"))
    user = command["user_id"]
    if wants_help(args):
        ack(**ephemeral(ui.APPROVE_HELP))
        return
    if not args or (len(args) == 1 and args[0].lower() == "list"):
        waiting = approvals.waiting_for(req.db, user, limit=MAX_LIST)
        ack(**ephemeral(f"{waiting.total} draft(s) waiting for you", ui.waiting_list(waiting.drafts, waiting.total)))
        return
    draft = approvals.resolve(req.db, args[0])
    note = " ".join(args[1:]) or None
    outcome = approvals.approve(req.db, draft, by=user, via=Via.COMMAND, now=req.now, note=note)
    notify.announce(req.db, req.outbox, outcome)
    ack(**ephemeral(ui.approve_reply(outcome)))


# -- buttons and the reason modal -----------------------------------------------------------------
def _draft_id(body: dict[str, Any]) -> int:
    draft_id = parse_id(body["actions"][0].get("value") or "")
    if draft_id is None:
        raise BadInput("This button does not name a draft.")
    return draft_id


def approve_button(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    draft = approvals.lock(req.db, _draft_id(body))
    outcome = approvals.approve(req.db, draft, by=body["user"]["id"], via=Via.BUTTON, now=req.now)
    notify.announce(req.db, req.outbox, outcome)


def decision_button(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Reject / Request changes: the reason modal opens at once; the step is recorded on submit."""
    ack()
    req = Req.of(context)
    decision = DECISION_OF_ACTION[body["actions"][0]["action_id"]]
    draft = approvals.lock(req.db, _draft_id(body))
    approvals.check_may_decide(req.db, draft, body["user"]["id"], decision)
    _open_modal(req, body["trigger_id"], ui.reason_modal(draft, decision))


def add_reason_button(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    draft = approvals.lock(req.db, _draft_id(body))
    approvals.check_reason_applies(draft)
    _open_modal(req, body["trigger_id"], ui.reason_modal(draft, ui.ADD_REASON_FORM))


def _open_modal(req: Req, trigger_id: str, view: dict[str, Any]) -> None:
    # A trigger_id works once and only for 3 seconds: call views.open now, never queue or retry it.
    if not req.open_view(trigger_id, view):
        raise Conflict("Slack could not open the form just now; please click the button again.")


def reason_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    metadata = form_metadata(view)
    draft_id = parse_id(str(metadata.get("draft", "")))
    if draft_id is None:
        raise BadInput("This form is out of date; open it again.")
    user = body["user"]["id"]
    raw = (view["state"]["values"].get(ui.REASON_BLOCK, {}).get("value", {}).get("value") or "").strip()
    note = escape_raw(raw) or None
    draft = approvals.lock(req.db, draft_id)
    form = metadata.get("decision")
    if form == ui.ADD_REASON_FORM:
        outcome = approvals.add_reason(req.db, draft, by=user, note=note, now=req.now)
    elif form in DECISIONS:
        decision = DraftStatus(form)
        outcome = approvals.decide(req.db, draft, decision=decision, by=user, via=Via.BUTTON, now=req.now, note=note)
    else:
        raise BadInput("This form is out of date; open it again.")
    notify.announce(req.db, req.outbox, outcome)
    ack()


# -- events --------------------------------------------------------------------------------------
def _files_signature(message: dict[str, Any]) -> str:
    return ",".join(sorted(f.get("id", "") for f in message.get("files") or []))


def _content(message: dict[str, Any]) -> Content:
    return Content(message.get("text") or "", _files_signature(message))


def on_message(req: Req, event: dict[str, Any]) -> None:
    channel = event.get("channel")
    if not req.config.is_drafts_channel(channel):
        return
    subtype = event.get("subtype")
    if subtype in (None, "file_share"):
        _new_draft(req, event)
    elif subtype == "message_changed":
        _changed(req, channel, event.get("message") or {}, event.get("previous_message") or {})
    elif subtype == "message_deleted":
        draft = approvals.by_message(req.db, channel, event.get("deleted_ts", ""), for_update=True)
        if draft is not None:
            outcome = approvals.withdraw(
                req.db, draft, by=(event.get("previous_message") or {}).get("user"), now=req.now
            )
            if outcome:
                notify.announce(req.db, req.outbox, outcome)


def _new_draft(req: Req, event: dict[str, Any]) -> None:
    if event.get("bot_id") or event.get("user") in (None, "", SLACKBOT):
        return  # only people write drafts: not integrations, not Slackbot's reminders and auto-responses
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        return  # a reply in a thread, not a draft
    draft = approvals.submit(
        req.db,
        channel=event["channel"],
        ts=event["ts"],
        author=event["user"],
        text=event.get("text") or "",
        files_signature=_files_signature(event),
        chain=list(req.config.approval.chain),
        now=req.now,
    )
    if draft is not None:
        for extension in extensions.installed:
            extension.on_new_draft(req, draft)
        notify.post_status(req.db, req.outbox, draft)


def _changed(req: Req, channel: str, message: dict[str, Any], previous: dict[str, Any]) -> None:
    ts = message.get("ts") or previous.get("ts")
    if not ts:
        return
    draft = approvals.by_message(req.db, channel, ts, for_update=True)
    if draft is None:
        return
    if message.get("subtype") == "tombstone":
        # The draft had a thread (ours) and was deleted: Slack leaves a tombstone in its place.
        outcome = approvals.withdraw(req.db, draft, by=previous.get("user"), now=req.now)
    else:
        outcome = approvals.edit(
            req.db,
            draft,
            content=_content(message),
            previous=_content(previous),
            by=message.get("user") or draft.author,
            now=req.now,
        )
        for extension in extensions.installed:
            extension.on_edited_draft(req, draft)
    if outcome:
        notify.announce(req.db, req.outbox, outcome)


def on_reaction(req: Req, event: dict[str, Any], added: bool) -> None:
    item = event.get("item") or {}
    if not req.config.is_drafts_channel(item.get("channel")):
        return
    ts, user = item.get("ts", ""), event["user"]
    draft = approvals.by_message(req.db, item["channel"], ts, for_update=True)
    on_draft = draft is not None
    # Approvers also react on the status message in the draft's thread, which asks them to react.
    if draft is None and not (draft := notify.draft_of_status_message(req.db, item["channel"], ts)):
        return
    outcome = approvals.react(
        req.db,
        draft,
        user=user,
        reaction=event.get("reaction", ""),
        message_ts=ts,
        on_draft=on_draft,
        added=added,
        emojis=req.config.approval,
        now=req.now,
    )
    if outcome:
        notify.announce(req.db, req.outbox, outcome)
