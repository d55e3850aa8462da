"""Block Kit for handoffs: the message in the team's channel and the one to the incoming person."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.text import for_display, truncate
from bot.features.approvals.models import Draft
from bot.features.escalations.blocks import SEVERITY_ICON
from bot.features.handoffs.models import Handoff, HandoffKind
from bot.features.handoffs.service import HANDOFF_EXAMPLE, Contents
from bot.features.shifts.blocks import local_time
from bot.slack.blocks import Block, actions, button, context, help_text, list_sections, mention, section
from bot.slack.ids import ActionId

HANDOFF_HELP = help_text(
    "/handoff",
    "hand your shift over: your open escalations go to the next person, with the drafts waiting "
    "on you and the shift's notes; they get an *Acknowledge handoff* button.",
    ["/handoff @ben", HANDOFF_EXAMPLE],
)


def draft_link(draft: Draft) -> str:
    return f"https://slack.com/archives/{draft.channel}/p{draft.ts.replace('.', '')}"


def handoff_message(
    handoff: Handoff, contents: Contents, *, with_button: bool, tz: ZoneInfo
) -> tuple[str, list[Block]]:
    rest = f"the rest of the {handoff.shift_name} shift" if handoff.shift_name else "the rest of the shift"
    how = {
        HandoffKind.SCHEDULED: f"scheduled shift change ({handoff.shift_name})",
        HandoffKind.SWAP: f"swap: {rest}",
        HandoffKind.AWAY: f"time away: {rest}",
    }.get(handoff.kind, "handoff")
    title = (
        f":handshake: *Handoff #{handoff.id}* · team *{handoff.team}* · {how}\n"
        f"{mention(handoff.from_user)} → {mention(handoff.to_user)}"
    )
    blocks: list[Block] = [section(title)]
    if handoff.notes:
        blocks.append(section(f"*Notes:* {truncate(for_display(handoff.notes), 2500)}"))
    esc_lines = [
        f"*#{e.id}* {SEVERITY_ICON.get(e.severity, '')} {e.severity} · {e.status} — "
        f"{truncate(for_display(e.text), 150)}"
        for e in contents.escalations
    ]
    blocks += list_sections("*Open escalations, now assigned to the incoming person*", esc_lines, "None.", max_blocks=4)
    draft_lines = [f"*#{number}* {draft_link(draft) if draft else ''}".strip() for number, draft in contents.drafts]
    blocks += list_sections("*Drafts waiting on the outgoing person's approval*", draft_lines, "None.", max_blocks=4)
    note_lines = [
        f"{mention(n.author)} ({local_time(n.created_at, tz)}): {truncate(for_display(n.text), 400)}"
        for n in contents.notes
    ]
    blocks += list_sections("*Shift notes (ongoing conversations)*", note_lines, "None.", max_blocks=4)
    if handoff.acknowledged_at is not None:
        blocks.append(context(f":white_check_mark: Acknowledged by {mention(handoff.to_user)}"))
    elif with_button:
        blocks.append(
            actions(
                button("Acknowledge handoff", ActionId.HANDOFF_ACK, str(handoff.id), style="primary"),
                block_id=f"handoff:{handoff.id}",
            )
        )
    else:
        blocks.append(context(f"Waiting for {mention(handoff.to_user)} to acknowledge."))
    text = f"Handoff #{handoff.id} for {handoff.team}: {mention(handoff.from_user)} → {mention(handoff.to_user)}"
    return text, blocks
