"""Block Kit for shifts and handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.text import for_display, truncate
from bot.features.escalations.blocks import SEVERITY_ICON
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.shifts.models import ShiftNote
from bot.slack.blocks import Block, actions, button, context, help_text, list_sections, mention, section
from bot.slack.ids import ActionId

SHIFT_HELP = help_text(
    "/shift",
    "who is on shift for each team and who is next; start or end a shift by hand (it overrides the "
    "rota); keep notes on ongoing conversations for the next person.",
    [
        "/shift",
        "/shift who",
        "/shift start support",
        "/shift end",
        "/shift note Waiting for the customer's reply in the refund thread",
    ],
)

HANDOFF_EXAMPLE = "/handoff @ben Two open complaints, see the thread on the outage"
HANDOFF_HELP = help_text(
    "/handoff",
    "hand your shift over: your open escalations go to the next person, with the drafts waiting "
    "on you and the shift's notes; they get an *Acknowledge handoff* button.",
    ["/handoff @ben", HANDOFF_EXAMPLE],
)


@dataclass(frozen=True)
class TeamShiftStatus:
    team: str
    now_user: str | None
    now_label: str  # e.g. "weekday rota until Fri 17:00" or "started by hand"
    next_user: str | None
    next_at: datetime | None
    next_shift: str | None


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %H:%M")


def shift_status(statuses: list[TeamShiftStatus], tz: ZoneInfo) -> list[Block]:
    lines = []
    for status in statuses:
        now = f"{mention(status.now_user)} ({status.now_label})" if status.now_user else "nobody"
        if status.next_user and status.next_at:
            upcoming = f"{mention(status.next_user)} from {local_time(status.next_at, tz)} ({status.next_shift})"
        else:
            upcoming = "no rota"
        lines.append(f"*{status.team}* — on shift: {now} · next: {upcoming}")
    return list_sections(f"*Shifts* (team time, {tz.key})", lines, "No teams are configured.")


def handoff_message(
    handoff: Handoff,
    escalations: list[Escalation],
    drafts: list[tuple[int, str | None]],
    notes: list[ShiftNote],
    *,
    with_button: bool,
    tz: ZoneInfo,
) -> tuple[str, list[Block]]:
    how = f"scheduled shift change ({handoff.shift_name})" if handoff.kind == "scheduled" else "handoff"
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
        for e in escalations
    ]
    blocks += list_sections("*Open escalations, now assigned to the incoming person*", esc_lines, "None.", max_blocks=4)
    draft_lines = [f"*#{number}* {link or ''}".strip() for number, link in drafts]
    blocks += list_sections("*Drafts waiting on the outgoing person's approval*", draft_lines, "None.", max_blocks=4)
    note_lines = [
        f"{mention(n.author)} ({local_time(n.created_at, tz)}): {truncate(for_display(n.text), 400)}" for n in notes
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
