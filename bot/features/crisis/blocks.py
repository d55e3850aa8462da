"""Block Kit and texts of crisis mode (pure functions). Every piece of people's text (the reason,
updates, the summary) goes through `for_display` or `quoted` here and nowhere else."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.core.text import for_display, names_list, quoted, truncate
from bot.features.approvals.models import Draft
from bot.features.crisis.models import Crisis, CrisisUpdate
from bot.features.crisis.service import END_EXAMPLE, START_EXAMPLE, UPDATE_EXAMPLE, EndOutcome, Held, State
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    help_text,
    mention,
    modal,
    plain_input,
    section,
)
from bot.slack.ids import ActionId, ViewId

CRISIS_HELP = help_text(
    "/crisis",
    "crisis mode: hold the posts planned for the coming hours and keep stakeholders informed.",
    [
        "/crisis",
        START_EXAMPLE,
        UPDATE_EXAMPLE,
        END_EXAMPLE,
    ],
)
UPDATE_BLOCK = "update"


def when(moment: datetime) -> str:
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    return " ".join(parts)


def permalink(draft: Draft) -> str:
    return f"https://slack.com/archives/{draft.channel}/p{draft.ts.replace('.', '')}"


def draft_ref(draft: Draft) -> str:
    return f"<{permalink(draft)}|#{draft.id}>"


def drafts_line(ids: list[int]) -> str:
    return names_list([f"#{i}" for i in ids]) if ids else "none"


def _title(crisis: Crisis) -> str:
    started = f"started by {mention(crisis.started_by)} {when(crisis.started_at)}"
    return f"🚨 *Crisis mode is on* — crisis #{crisis.id}, {started}"


def _fallback(crisis: Crisis) -> str:
    return f"Crisis mode is on (crisis #{crisis.id}): {truncate(for_display(crisis.reason), 200)}"


# -- the start -----------------------------------------------------------------------------------
def held_lines(held: list[Held]) -> list[str]:
    """The held posts, at most 20 of them, then how many more."""
    lines = [f"• {draft_ref(h.draft)} {when(h.slot) if h.slot else ''}".rstrip() for h in held[:20]]
    if len(held) > 20:
        lines.append(f"…and {len(held) - 20} more")
    return lines


def started_post(crisis: Crisis, held: list[Held], hold_hours: float) -> tuple[str, list[Block]]:
    """The crisis's message in the escalations channel; its thread gets the updates."""
    lines = held_lines(held)
    held_text = (
        f"*{len(held)} post(s) planned in the next {hold_hours:g} h are on hold:*\n" + "\n".join(lines)
        if held
        else f"No post is planned in the next {hold_hours:g} h; any planned into that window is held."
    )
    origin = f" (from escalation #{crisis.escalation_id})" if crisis.escalation_id else ""
    return _fallback(crisis), [
        section(_title(crisis) + origin),
        section(truncate(quoted(crisis.reason), 2900)),
        section(held_text),
        context("Stakeholder updates go in this thread: `/crisis update TEXT`. `/crisis end [summary]` ends it."),
    ]


def ended_header(crisis: Crisis) -> tuple[str, list[Block]]:
    """The start message once the crisis is over."""
    assert crisis.ended_at is not None
    text = f"Crisis #{crisis.id} is over"
    return text, [
        section(
            f"✅ *Crisis #{crisis.id} is over* — started by {mention(crisis.started_by)} {when(crisis.started_at)}, "
            f"ended by {mention(crisis.ended_by)} {when(crisis.ended_at)}"
        ),
        section(truncate(quoted(crisis.reason), 2900)),
    ]


def started_dm(crisis: Crisis, held: list[Held]) -> str:
    return (
        f"🚨 {mention(crisis.started_by)} started crisis mode (crisis #{crisis.id}):\n"
        f"{truncate(quoted(crisis.reason), 1500)}\n"
        f"{len(held)} planned post(s) are on hold. Updates follow in the escalations channel and by DM."
    )


def publisher_dm(crisis: Crisis, held: list[Held]) -> str:
    lines = held_lines(held)
    return (
        f"🚨 Crisis mode is on (crisis #{crisis.id}, started by {mention(crisis.started_by)}). "
        "Do not publish these posts; they are on hold until the crisis ends:\n" + "\n".join(lines)
    )


def held_notice(crisis: Crisis) -> str:
    return (
        f"⏸️ On hold: crisis mode is on (crisis #{crisis.id}, started by {mention(crisis.started_by)}). "
        "Do not publish it; when the crisis ends it goes back to its final approvers."
    )


# -- updates -------------------------------------------------------------------------------------
def update_post(crisis: Crisis, update: CrisisUpdate) -> tuple[str, list[Block]]:
    text = f"Crisis #{crisis.id} update from {mention(update.by)}: {truncate(for_display(update.text), 200)}"
    return text, [
        section(f"📢 *Update* from {mention(update.by)} {when(update.at)}"),
        section(truncate(quoted(update.text), 2900)),
    ]


def update_dm(crisis: Crisis, update: CrisisUpdate) -> str:
    return (
        f"📢 Crisis #{crisis.id} update from {mention(update.by)}:\n{truncate(quoted(update.text), 3000)}\n"
        f"_What happened:_ {truncate(for_display(crisis.reason), 300)}"
    )


def update_recorded(crisis: Crisis) -> str:
    return f"Your update is posted in the crisis #{crisis.id} thread and sent to the leaders."


def prompt_dm(crisis: Crisis, number: int, since: timedelta) -> tuple[str, list[Block]]:
    text = f"Crisis #{crisis.id} has lasted {duration(since)}: time for a stakeholder update."
    return text, [
        section(f"⏱️ {text}"),
        actions(button("Post update", ActionId.CRISIS_POST_UPDATE, str(crisis.id), style="primary")),
        context(f"Or type it: `{UPDATE_EXAMPLE}`"),
    ]


def update_modal(crisis: Crisis) -> Block:
    return modal(
        ViewId.CRISIS_UPDATE,
        "Crisis update",
        [
            section(f"Crisis #{crisis.id}: {truncate(for_display(crisis.reason), 300)}"),
            plain_input(UPDATE_BLOCK, "What do stakeholders need to know?", multiline=True, max_length=2900),
        ],
        submit="Post update",
        private_metadata=json.dumps({"crisis": crisis.id}),
    )


# -- the end -------------------------------------------------------------------------------------
def summary_post(outcome: EndOutcome) -> tuple[str, list[Block]]:
    crisis = outcome.crisis
    assert crisis.ended_at is not None
    took = duration(crisis.ended_at - crisis.started_at)
    text = f"Crisis #{crisis.id} is over after {took}"
    lines = [
        f"*Started:* {when(crisis.started_at)} by {mention(crisis.started_by)}",
        f"*Ended:* {when(crisis.ended_at)} by {mention(crisis.ended_by)}",
        f"*Duration:* {took}",
        f"*Updates:* {outcome.updates}",
        f"*Escalations opened meanwhile:* {drafts_line(outcome.escalations)}",
        f"*Posts held:* {drafts_line(outcome.held_ids)}"
        + (f" ({len(outcome.released)} back with their final approvers)" if outcome.released else ""),
    ]
    blocks = [section(f"✅ *{text}*"), section(truncate(quoted(crisis.reason), 1500)), section("\n".join(lines))]
    if crisis.summary:
        blocks.append(section("*Summary:*\n" + truncate(quoted(crisis.summary), 2800)))
    return text, blocks


def summary_dm(outcome: EndOutcome) -> str:
    _, blocks = summary_post(outcome)
    return "\n".join(block["text"]["text"] for block in blocks)


def released_notice(crisis: Crisis, draft: Draft, approvers: list[str]) -> str:
    step = f"step {draft.current_step + 1} of {len(draft.chain_roles())}"
    who = ", ".join(mention(a) for a in approvers[:20]) or "nobody (add someone with that role)"
    return (
        f"▶️ Crisis #{crisis.id} is over: draft {draft_ref(draft)} is back, waiting for its final approval "
        f"({step}). Please confirm it still fits: {who}."
    )


# -- /crisis -------------------------------------------------------------------------------------
def state_view(view: State, now: datetime) -> tuple[str, list[Block]]:
    crisis = view.crisis
    if crisis is None:
        return "Crisis mode is off.", [section("Crisis mode is off. Start it with `/crisis start <what happened>`.")]
    if crisis.ongoing:
        last = view.updates[-1] if view.updates else None
        lines = [
            f"*Lasting:* {duration(now - crisis.started_at)}",
            f"*Posts held:* {drafts_line(view.held_ids)}",
            f"*Updates:* {len(view.updates)}" + (f", the last {when(last.at)} by {mention(last.by)}" if last else ""),
        ]
        return _fallback(crisis), [
            section(_title(crisis)),
            section(truncate(quoted(crisis.reason), 2900)),
            section("\n".join(lines)),
            context(f"`{UPDATE_EXAMPLE}` · `/crisis end [summary]`"),
        ]
    assert crisis.ended_at is not None
    return "Crisis mode is off.", [
        section(
            f"Crisis mode is off. The last crisis, #{crisis.id}, ended {when(crisis.ended_at)} "
            f"after {duration(crisis.ended_at - crisis.started_at)}."
        ),
        context("Start one with `/crisis start <what happened>`."),
    ]


def banner(crisis: Crisis) -> list[Block]:
    return [
        section(
            f"🚨 *Crisis mode is on* (crisis #{crisis.id}, since {when(crisis.started_at)}): "
            "planned posts are on hold. `/crisis` for more."
        )
    ]
