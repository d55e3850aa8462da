"""Block Kit for drafts and approvals (pure functions)."""

from __future__ import annotations

import json
from datetime import datetime

from bot.features.approvals.models import DECISIONS, Draft, DraftStatus
from bot.features.approvals.service import Outcome, StepView
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    help_text,
    list_sections,
    mention,
    mentions,
    modal,
    plain_input,
    quote,
    section,
)
from bot.slack.ids import ActionId, ViewId

APPROVE_HELP = help_text(
    "/approve",
    "approve a draft post at your step of the approval chain, or list the drafts waiting for you.",
    [
        "/approve",
        "/approve #12",
        "/approve 12 looks good",
        "/approve https://acme.slack.com/archives/C0DRAFTS/p1700000000000100",
    ],
)
STATUS_LABEL = {
    DraftStatus.PENDING: "waiting for approval",
    DraftStatus.APPROVED: "approved ✅",
    DraftStatus.REJECTED: "rejected ❌",
    DraftStatus.CHANGES_REQUESTED: "changes requested 📝",
    DraftStatus.WITHDRAWN: "withdrawn",
    DraftStatus.EXPIRED: "expired ⌛ (not approved in time for its slot)",
    DraftStatus.ON_HOLD: "on hold ⏸️ (crisis mode: not to be published now)",
    DraftStatus.PUBLISHED: "published 📣",
}
REASON_BLOCK = "reason"
# The reason form opens for a decision (a DraftStatus in DECISIONS) or, after a decision by
# reaction, to add its reason: the form's kind travels in the view's metadata.
ADD_REASON_FORM = "reason"


def when(moment: datetime | None) -> str:
    """A time every reader sees in their own zone."""
    if moment is None:
        return ""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def permalink(draft: Draft) -> str:
    return f"https://slack.com/archives/{draft.channel}/p{draft.ts.replace('.', '')}"


def draft_link(draft: Draft) -> str:
    return f"<{permalink(draft)}|draft #{draft.id}>"


def status_message(draft: Draft, steps: list[StepView]) -> tuple[str, list[Block]]:
    """The status message in the draft's thread: every step, who took it or who may, and the buttons."""
    total = len(steps)
    header = f"*Draft #{draft.id}* by {mention(draft.author)} — {STATUS_LABEL.get(draft.status, draft.status)}"
    lines = []
    for step in steps:
        number = f"{step.index + 1}/{total}"
        if step.approved_by:
            lines.append(
                f"✅ {number} *{step.role}* — approved by {mention(step.approved_by)} {when(step.approved_at)}"
            )
        elif draft.status == DraftStatus.PENDING and step.index == draft.current_step:
            if step.approvers:
                lines.append(f"⏳ {number} *{step.role}* — waiting for {mentions(step.approvers)}")
            else:
                lines.append(
                    f"⏳ {number} *{step.role}* — nobody can take this step yet (add someone with `/team add`)"
                )
        elif step.approvers:
            lines.append(f"▫️ {number} *{step.role}* — then {mentions(step.approvers)}")
        else:
            lines.append(f"▫️ {number} *{step.role}*")
    blocks: list[Block] = [section(header), section("\n".join(lines))]
    if draft.status == DraftStatus.PENDING:
        value = str(draft.id)
        blocks.append(
            actions(
                button("Approve", ActionId.APPROVE, value, style="primary"),
                button("Request changes", ActionId.REQUEST_CHANGES, value),
                button("Reject", ActionId.REJECT, value, style="danger"),
                block_id=f"draft:{draft.id}",
            )
        )
    if draft.status == DraftStatus.PENDING:
        blocks.append(context(f"React with the approve, changes or reject emoji, or use `/approve {draft.id}`."))
    elif draft.status in DECISIONS:
        blocks.append(context("Edit the draft message to send it through approval again."))
    return f"Draft #{draft.id}: {STATUS_LABEL.get(draft.status, draft.status)}", blocks


def _please_review(approvers: list[str], role: str) -> str:
    """Who should review; when nobody can (all wrote it or took an earlier step), how to fix that."""
    if approvers:
        return f"{mentions(approvers)}, please review"
    return f"nobody can take this step yet (add a {role} with `/team add @name {role}`), then review"


def next_step_notice(draft: Draft, by: str, step: int, role: str, approvers: list[str]) -> str:
    return (
        f"Step {step + 1} approved by {mention(by)}. Next: *{role}* — {_please_review(approvers, role)} "
        f"{draft_link(draft)}."
    )


def approved_notice(draft: Draft, by: str, community_managers: list[str]) -> str:
    who = mentions([u for u in community_managers if u != draft.author])
    return (
        f"{draft_link(draft)} is approved ✅ (final approval by {mention(by)}). "
        f"{mention(draft.author)}, it can go out; community managers: {who}."
    )


def decision_notice(draft: Draft, decision: str, by: str, note: str | None) -> str:
    verb = "rejected ❌" if decision == DraftStatus.REJECTED else "sent back for changes 📝"
    text = f"{mention(draft.author)}, {draft_link(draft)} was {verb} by {mention(by)}."
    if note:
        text += f"\nReason:\n{quote(note)}"
    return text


def reason_added_notice(draft: Draft, by: str, note: str) -> str:
    return f"{mention(draft.author)}, {mention(by)} added a reason for {draft_link(draft)}:\n{quote(note)}"


def reset_notice(draft: Draft, approvers: list[str]) -> str:
    if draft.status == "on_hold":  # edited while crisis mode holds it: nobody is asked to review yet
        return (
            f"{draft_link(draft)} was edited after review, so its approval starts again from step 1 "
            "once crisis mode releases it."
        )
    return (
        f"{draft_link(draft)} was edited after review, so its approval starts again from step 1. "
        f"{_please_review(approvers, draft.chain_roles()[0])} the new version."
    )


def approval_withdrawn_notice(
    draft: Draft, by: str, step: int, role: str, approvers: list[str], reset: list[str]
) -> str:
    text = f"{mention(by)} took back their approval of step {step + 1} (*{role}*) of {draft_link(draft)}."
    if reset:
        text += f" The later approval(s) by {mentions(reset)} no longer count and are needed again."
    if draft.status == DraftStatus.PENDING:
        text += f" Step {step + 1} now waits for {mentions(approvers)}."
    return text


def withdrawn_notice(draft: Draft) -> str:
    return f"{draft_link(draft)} was deleted, so it is withdrawn."


def reminder(draft: Draft, role: str, approvers: list[str], waited_since: datetime) -> str:
    return (
        f"⏰ {draft_link(draft)} by {mention(draft.author)} has waited for a *{role}* since {when(waited_since)}: "
        f"{_please_review(approvers, role)} it."
    )


def add_reason_prompt(draft: Draft, decision: str) -> tuple[str, list[Block]]:
    what = "rejection" if decision == DraftStatus.REJECTED else "change request"
    text = f"Your {what} of draft #{draft.id} is recorded. Add a reason so the author knows what to change?"
    return text, [section(text, accessory=button("Add reason", ActionId.ADD_REASON, str(draft.id)))]


def reason_modal(draft: Draft, decision: str) -> Block:
    titles = {
        DraftStatus.REJECTED: "Reject draft",
        DraftStatus.CHANGES_REQUESTED: "Request changes",
        ADD_REASON_FORM: "Add a reason",
    }
    label = "What should change?" if decision == DraftStatus.CHANGES_REQUESTED else "Reason"
    metadata = json.dumps({"draft": draft.id, "decision": decision})
    blocks = [
        section(f"Draft #{draft.id} by {mention(draft.author)}"),
        plain_input(REASON_BLOCK, label, multiline=True, optional=decision != ADD_REASON_FORM, max_length=1500),
    ]
    return modal(ViewId.DRAFT_REASON, titles.get(decision, "Reason"), blocks, submit="Send", private_metadata=metadata)


def waiting_list(drafts: list[Draft], total: int) -> list[Block]:
    lines = [
        f"• {draft_link(d)} by {mention(d.author)} — step {d.current_step + 1}: *{d.chain_roles()[d.current_step]}*"
        for d in drafts
    ]
    return list_sections("*Drafts waiting for you*", lines, "Nothing is waiting for you. 🎉", total=total)


def approve_reply(outcome: Outcome) -> str:
    """The answer to /approve for the person who approved."""
    draft_id = outcome.draft.id
    if outcome.duplicate:
        return f"You already approved draft #{draft_id}; nothing changed."
    if outcome.final:
        return f"Draft #{draft_id} is approved ✅ — you gave the final approval."
    return f"You approved step {(outcome.step or 0) + 1} of draft #{draft_id}."
