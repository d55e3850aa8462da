"""Messages about drafts: the status message in the draft's thread and the notices under it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.features.approvals import blocks as ui
from bot.features.approvals import extensions
from bot.features.approvals import service as approvals
from bot.features.approvals.models import DECISIONS, Draft, DraftAction
from bot.features.approvals.service import Outcome
from bot.features.roles import service as roles
from bot.outbox.models import SlackMessage
from bot.outbox.queue import Outbox

STATUS_KEY = "draft:{}:status"


def status_key(draft: Draft) -> str:
    return STATUS_KEY.format(draft.id)


def draft_of_status_message(session: Session, channel: str, ts: str) -> Draft | None:
    """The draft whose status message is at (channel, ts), locked for update; None for any other message."""
    key = session.scalar(
        select(SlackMessage.key).where(
            SlackMessage.channel == channel, SlackMessage.ts == ts, SlackMessage.key.like(STATUS_KEY.format("%"))
        )
    )
    draft_id = key.split(":")[1] if key else ""
    return approvals.lock(session, int(draft_id)) if draft_id.isdigit() else None


def _status(session: Session, draft: Draft) -> tuple[str, list[dict[str, object]]]:
    text, blocks = ui.status_message(draft, approvals.steps_view(session, draft))
    extra = [block for extension in extensions.installed for block in extension.status_blocks(session, draft)]
    # After the header and the steps, before the buttons.
    return text, [*blocks[:2], *extra, *blocks[2:]]


def post_status(session: Session, outbox: Outbox, draft: Draft) -> None:
    """The first status message, in the draft's thread; it mentions who may take step 1."""
    text, blocks = _status(session, draft)
    # Posted once: a draft is created once per message (unique channel and ts).
    outbox.post(draft.channel, text, blocks, thread_ts=draft.ts, key=status_key(draft))


def refresh_status(session: Session, outbox: Outbox, draft: Draft) -> None:
    text, blocks = _status(session, draft)
    outbox.update(status_key(draft), text, blocks, channel=draft.channel)


def announce(session: Session, outbox: Outbox, outcome: Outcome) -> None:
    """Everything people should hear about an action on a draft (nothing for a duplicate)."""
    if outcome.duplicate:
        return
    draft = outcome.draft
    refresh_status(session, outbox, draft)
    notice = _notice(session, outcome)
    if notice:
        outbox.post(draft.channel, notice, thread_ts=draft.ts)
    if outcome.offer_reason and outcome.by:
        text, blocks = ui.add_reason_prompt(draft, outcome.action)
        outbox.ephemeral(draft.channel, outcome.by, text, blocks, thread_ts=draft.ts)


def _notice(session: Session, outcome: Outcome) -> str | None:
    draft = outcome.draft
    chain = draft.chain_roles()
    if outcome.action == DraftAction.APPROVED and outcome.final:
        return ui.approved_notice(draft, outcome.by or "", roles.holders(session, "community_manager"))
    if outcome.action == DraftAction.APPROVED:
        return ui.next_step_notice(
            draft, outcome.by or "", outcome.step or 0, chain[draft.current_step], outcome.next_approvers
        )
    if outcome.action in DECISIONS:
        return ui.decision_notice(draft, outcome.action, outcome.by or "", outcome.note)
    if outcome.action == DraftAction.REASON_ADDED:
        return ui.reason_added_notice(draft, outcome.by or "", outcome.note or "")
    if outcome.action == DraftAction.RESET:
        return ui.reset_notice(draft, outcome.next_approvers)
    if outcome.action == DraftAction.WITHDRAWN:
        return ui.withdrawn_notice(draft)
    if outcome.action == DraftAction.APPROVAL_WITHDRAWN:
        return ui.approval_withdrawn_notice(
            draft, outcome.by or "", outcome.step or 0, chain[outcome.step or 0], outcome.next_approvers, outcome.reset
        )
    return None
