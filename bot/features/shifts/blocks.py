"""Block Kit for shifts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.features.shifts.service import OnShift, ShiftSource, TeamStatus
from bot.slack.blocks import Block, help_text, list_sections, mention

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
