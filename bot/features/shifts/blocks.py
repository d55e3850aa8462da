"""Block Kit for shifts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.features.shifts.models import ShiftOverride
from bot.features.shifts.service import Occurrence, OnShift, ShiftSource, TeamStatus
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
        "/shift swap 2026-03-02  (asks the team for cover of your shift that starts that day)",
        "/shift swap fri @ben  (asks one person; a day is 2026-03-02, today, tomorrow or a weekday)",
        "/shift away 2026-03-02..2026-03-06  (the rota skips you those days; one day: /shift away tomorrow)",
    ],
)


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %H:%M")


def _on_shift_label(current: OnShift, tz: ZoneInfo) -> str:
    """E.g. "weekday rota until Fri 17:00" or "started by hand"."""
    if current.source == ShiftSource.MANUAL:
        return "started by hand" + (f" until {local_time(current.until, tz)}" if current.until else "")
    assert current.until is not None
    return f"{current.shift} rota until {local_time(current.until, tz)}"


def shift_status(statuses: list[TeamStatus], tz: ZoneInfo) -> list[Block]:
    lines = []
    for status in statuses:
        current, coming = status.current, status.upcoming
        now = f"{mention(current.user)} ({_on_shift_label(current, tz)})" if current else "nobody"
        if coming:
            upcoming = f"{mention(coming.person)} from {local_time(coming.start, tz)} ({coming.shift})"
        else:
            upcoming = "no rota"
        lines.append(f"*{status.team}* — on shift: {now} · next: {upcoming}")
    return list_sections(f"*Shifts* (team time, {tz.key})", lines, "No teams are configured.")


def occurrence_label(occurrence: Occurrence, tz: ZoneInfo) -> str:
    """E.g. "support weekday shift, Mon 02 Mar 09:00 – Mon 02 Mar 17:00"."""
    return (
        f"{occurrence.team} {occurrence.shift} shift, "
        f"{local_time(occurrence.start, tz)} – {local_time(occurrence.end, tz)}"
    )


def swap_message(swap: ShiftOverride, occurrence: Occurrence, tz: ZoneInfo) -> tuple[str, list[Block]]:
    """The request for cover; the button is gone once someone took it."""
    label = occurrence_label(occurrence, tz)
    if swap.to_user is None:
        who = f"{mention(swap.asked_user)}, can you" if swap.asked_user else "Can anyone"
        text = f"{who} cover {mention(swap.from_user)}'s {label}? (swap #{swap.id})"
        take = button("Take shift", ActionId.SHIFT_SWAP_TAKE.value, str(swap.id), style="primary")
        return text, [section(text), actions(take)]
    text = f"{mention(swap.to_user)} took {mention(swap.from_user)}'s {label} (swap #{swap.id})."
    return text, [section(text), context("Taken: the rota, escalations and handoffs follow.")]
