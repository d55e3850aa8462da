"""/idea, the idea modal, the idea emoji and the vote emoji, the "Submit as idea" shortcut, the
content managers' Accept / Decline buttons and `/idea assign`, and drafts that name an idea."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext

from bot.core.errors import BadInput, Conflict
from bot.core.text import emoji_base, escape_raw, parse_id, split_args
from bot.features.approvals import notices as draft_notices
from bot.features.approvals.extensions import HeldPerDraft
from bot.features.calendar import service as calendar
from bot.features.ideas import blocks, notices
from bot.features.ideas import service as ideas
from bot.slack.context import Req, check_person, ephemeral, wants_help, wants_sub_help
from bot.slack.ids import ActionId, ShortcutId, ViewId

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.features.approvals.models import Draft

EXAMPLE = ideas.IDEA_EXAMPLE


def register(app: App) -> None:
    app.command("/idea")(idea_command)
    app.view(ViewId.IDEA)(idea_modal_submitted)
    app.view(ViewId.IDEA_DECLINE)(decline_modal_submitted)
    app.action(ActionId.IDEA_ACCEPT)(accept_clicked)
    app.action(ActionId.IDEA_DECLINE)(decline_clicked)
    app.shortcut(ShortcutId.SUBMIT_IDEA)(submit_shortcut)


# -- /idea ---------------------------------------------------------------------------------------
def idea_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    text = (command.get("text") or "").strip()
    args = split_args(text)
    user = command["user_id"]
    if wants_help(args) or wants_sub_help(args, ("list", "accept", "decline", "assign")):
        ack(**ephemeral(blocks.IDEA_HELP))
        return
    if not args:
        _open_view(req, command.get("trigger_id"), blocks.idea_modal(command.get("channel_id")))
        ack()
        return
    sub = args[0].lower()
    if sub == "list":
        if len(args) == 1:
            rows, total = ideas.open_ideas(req.db), ideas.count_ideas(req.db, ideas.OPEN)
            ack(**ephemeral("Open ideas", blocks.idea_list("*Open ideas*", rows, "No open ideas.", total)))
        elif len(args) == 2 and args[1].lower() == "top":
            rows, total = ideas.top_ideas(req.db), ideas.count_ideas(req.db, ideas.NOT_DECLINED)
            ack(**ephemeral("Most-voted ideas", blocks.idea_list("*Most-voted ideas*", rows, "No ideas yet.", total)))
        else:
            raise BadInput("`/idea list` takes nothing or `top`.", "/idea list top")
        return
    if sub in ("accept", "decline"):
        if len(args) < 2:
            raise BadInput(f"`/idea {sub}` needs an idea id.", f"/idea {sub} 12")
        if sub == "accept" and len(args) > 2:
            raise BadInput(
                f"`/idea accept` takes only the idea id; `{' '.join(args[2:])}` is extra (a reason goes with decline).",
                "/idea accept 12",
            )
        idea_id = parse_id(args[1])
        if idea_id is None:
            raise BadInput(f"`{args[1]}` is not an idea id; ideas are numbered like #12.", f"/idea {sub} 12")
        if sub == "accept":
            decided = ideas.accept(req.db, idea_id, user, req.now)
        else:
            reason = text.split(None, 2)[2] if len(args) > 2 else None
            decided = ideas.decline(req.db, idea_id, user, reason, req.now)
        notices.decided(req.outbox, req.config, decided)
        idea = decided.idea
        ack(**ephemeral(f"Idea #{idea.id} is now {idea.status}; <@{idea.submitted_by}> is told."))
        return
    if sub == "assign":
        ack(**ephemeral(_assign(req, args[1:], user)))
        return
    result = ideas.submit(req.db, req.now, author=user, submitted_by=user, text=text)
    notices.post(req.outbox, req.config, result)
    ack(**ephemeral(blocks.submitted_notice(result.idea, result.new)))


def _assign(req: Req, args: list[str], user: str) -> str:
    assignment = ideas.parse_assignment(req.config, args, calendar.today_of(req.config, req.now))
    ideas.check_may_assign(req.db, user)
    check_person(req, assignment.owner, ideas.ASSIGN_EXAMPLE, not_the_bot="teambot cannot own an idea")
    outcome = ideas.assign(req.db, assignment, user, req.now)
    told = notices.assigned(req.outbox, req.config, outcome)
    return blocks.assign_reply(outcome.idea, changed=outcome.changed, told=told)


def _open_view(req: Req, trigger_id: str | None, view: dict[str, Any]) -> None:
    """views.open is called at once (a trigger_id lives 3 s and works once), never queued."""
    if not trigger_id:
        raise BadInput("Slack did not send what teambot needs to open the form.", EXAMPLE)
    if not req.open_view(trigger_id, view):
        raise Conflict(f"Slack could not open the form just now. Try again, or type the idea: `{EXAMPLE}`")


def _value(view: dict[str, Any], block_id: str) -> str:
    state = view.get("state", {}).get("values", {}).get(block_id, {})
    for element in state.values():
        return (element.get("value") or "").strip()
    return ""


def idea_modal_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    user = body["user"]["id"]
    try:
        form = ideas.read_form(
            _value(view, "title"), _value(view, "details"), _value(view, "network"), _value(view, "link")
        )
    except ideas.InvalidForm as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    result = ideas.submit_form(req.db, req.now, user, form)
    notices.post(req.outbox, req.config, result)
    ack()
    notices.confirm_by_dm(req.outbox, user, result)


# -- reactions and the shortcut ------------------------------------------------------------------
def on_reaction(req: Req, event: dict[str, Any], added: bool) -> None:
    emoji = emoji_base(event.get("reaction") or "")
    item = event.get("item") or {}
    channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
    if not (channel and ts and user) or emoji not in (req.config.ideas.emoji, req.config.ideas.vote_emoji):
        return
    if emoji == req.config.ideas.vote_emoji and channel == req.config.channels.ideas:
        idea = notices.idea_of_message(req.db, channel, ts)
        if idea is not None:
            voted = ideas.vote(req.db, idea, user, added, req.now, reaction=event.get("reaction"))
            notices.voted(req.outbox, req.config, voted)
            return
    if emoji == req.config.ideas.emoji and added:
        _submit_reacted(req, channel, ts, user, event.get("item_user"))


def _submit_reacted(req: Req, channel: str, ts: str, reactor: str, item_user: str | None) -> None:
    if item_user and item_user == req.bot_user_id:
        return
    existing = ideas.by_source(req.db, channel, ts)
    if existing is not None:
        if reactor != existing.submitted_by:
            notices.confirm_in_channel(req.outbox, channel, reactor, ideas.Submitted(existing, new=False))
        return
    message = _fetch_message(req, channel, ts)
    author = ideas.author_of_reacted(message.get("user"), item_user, message.get("bot_id"), req.bot_user_id)
    if author is None:
        if (message.get("user") or item_user) != req.bot_user_id:
            # Another app's message: the reactor hears why nothing happened (teambot's own stay quiet).
            req.outbox.ephemeral(channel, reactor, blocks.NOT_A_PERSONS_MESSAGE)
        return
    result = ideas.submit(
        req.db, req.now, author=author, submitted_by=reactor, text=message.get("text") or "", source=(channel, ts)
    )
    notices.post(req.outbox, req.config, result)
    notices.confirm_in_channel(req.outbox, channel, reactor, result)


def _fetch_message(req: Req, channel: str, ts: str) -> dict[str, Any]:
    """The reacted message (reaction events carry no text)."""
    found = req.lookup.message(channel, ts)
    if found is None:
        raise Conflict(
            "teambot could not read that message, so it was not submitted as an idea. "
            "Try the *Submit as idea* message shortcut, or `/idea <text>`."
        )
    return found


def submit_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    user = body["user"]["id"]
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    author = ideas.author_of_shortcut(message.get("user"), req.bot_user_id)
    result = ideas.submit(
        req.db,
        req.now,
        author=author,
        submitted_by=user,
        text=message.get("text") or "",
        source=(channel, message["ts"]) if channel and message.get("ts") else None,
    )
    notices.post(req.outbox, req.config, result)
    notices.confirm_by_dm(req.outbox, user, result)


# -- triage ---------------------------------------------------------------------------------------
def _clicked_id(body: dict[str, Any]) -> int:
    value = (body.get("actions") or [{}])[0].get("value") or ""
    idea_id = parse_id(value)
    if idea_id is None:
        raise BadInput("That button does not name an idea.")
    return idea_id


def accept_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    notices.decided(req.outbox, req.config, ideas.accept(req.db, _clicked_id(body), body["user"]["id"], req.now))


def decline_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = Req.of(context)
    idea = ideas.to_decline(req.db, _clicked_id(body), body["user"]["id"])
    _open_view(req, body.get("trigger_id"), blocks.decline_modal(idea))


def decline_modal_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = Req.of(context)
    idea_id = parse_id(view.get("private_metadata") or "")
    if idea_id is None:
        raise BadInput("That form does not name an idea.")
    reason = escape_raw(_value(view, "reason")) or None
    decided = ideas.decline(req.db, idea_id, body["user"]["id"], reason, req.now)
    notices.decided(req.outbox, req.config, decided)
    ack()


# -- drafts that carry out an idea ---------------------------------------------------------------
class IdeaDrafts:
    """How ideas extend drafts (installed into approvals by the composition root): a draft whose
    text says `idea #N` is linked to that idea, the link follows its edits, its status message
    names the idea and the export carries the idea's id."""

    def on_new_draft(self, req: Req, draft: Draft) -> None:
        linked = ideas.link_draft(req.db, draft.id, draft.text, req.now)
        if linked.missing:
            # The text means to name an idea, but none of them exists: the author hears it once.
            req.outbox.ephemeral(draft.channel, draft.author, blocks.no_such_idea(linked.missing), thread_ts=draft.ts)

    def on_edited_draft(self, req: Req, draft: Draft) -> None:
        linked = ideas.link_draft(req.db, draft.id, draft.text, req.now)
        if linked.changed:
            draft_notices.refresh_status(req.db, req.outbox, draft)
            if linked.missing:
                req.outbox.ephemeral(
                    draft.channel, draft.author, blocks.no_such_idea(linked.missing), thread_ts=draft.ts
                )

    def holders(self, session: Session, draft: Draft, role: str) -> list[str] | None:
        return None

    def held_per_draft(self) -> dict[str, HeldPerDraft]:
        return {}

    def status_blocks(self, session: Session, draft: Draft) -> list[dict[str, Any]]:
        return notices.draft_status_blocks(session, draft.id)

    def export_fields(self, session: Session, draft_ids: list[int]) -> dict[int, dict[str, Any]]:
        return ideas.draft_export_fields(session, draft_ids)
