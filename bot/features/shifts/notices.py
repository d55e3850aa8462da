"""Messages about shifts: reminders before a shift, requests for cover and who took them, and the
on-shift user groups kept to whoever is on shift."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.shifts import service as shifts
from bot.features.shifts.blocks import occurrence_label, swap_message
from bot.features.shifts.service import AwayNoted, Occurrence, SwapAsked, SwapTaken
from bot.outbox.queue import Outbox
from bot.slack.blocks import bounded_lines

log = logging.getLogger(__name__)


def swap_key(swap_id: int) -> str:
    return f"shift-swap:{swap_id}"


def reminder_key(occurrence: Occurrence) -> str:
    return f"shift-reminder:{occurrence.team}:{occurrence.key}:{occurrence.person}"


def team_channel(config: TeamConfig, team: str) -> str:
    return config.team(team).channel or config.channels.escalations


def remind(config: TeamConfig, outbox: Outbox, occurrence: Occurrence) -> bool:
    """One DM per person and occurrence, ever (the dedupe key); False when already sent."""
    return outbox.dm(
        occurrence.person,
        f"Heads-up: you are on the {occurrence_label(occurrence, config.tz)} (team time). "
        f"Cannot make it? `/shift swap {occurrence.day.isoformat()}` asks for cover.",
        dedupe=reminder_key(occurrence),
    )


def ask_swap(config: TeamConfig, outbox: Outbox, asked: SwapAsked) -> None:
    swap = asked.override
    text, blocks = swap_message(swap, asked.occurrence, config.tz)
    where = swap.asked_user or team_channel(config, asked.occurrence.team)
    outbox.post(where, text, blocks, key=swap_key(swap.id), dedupe=f"{swap_key(swap.id)}:post")


def swap_taken(config: TeamConfig, outbox: Outbox, taken: SwapTaken) -> None:
    """The request loses its button; both people are told."""
    swap, occurrence = taken.override, taken.occurrence
    text, blocks = swap_message(swap, occurrence, config.tz)
    outbox.update(swap_key(swap.id), text, blocks)
    label = occurrence_label(occurrence, config.tz)
    outbox.dm(swap.from_user, f"<@{swap.to_user}> takes your {label} (swap #{swap.id}).")
    outbox.dm(swap.to_user or "", f"You hold <@{swap.from_user}>'s {label} now (swap #{swap.id}). Thank you!")


def away_noted(config: TeamConfig, outbox: Outbox, noted: AwayNoted) -> None:
    """Whoever covers a shift of the person away is told."""
    for occurrence in noted.covered:
        outbox.dm(
            occurrence.person,
            f"<@{occurrence.covers_for}> is away: you cover their {occurrence_label(occurrence, config.tz)}.",
        )


def away_summary(config: TeamConfig, noted: AwayNoted) -> str:
    absence = noted.absence
    days = (
        absence.first_day.isoformat()
        if absence.first_day == absence.last_day
        else f"{absence.first_day.isoformat()} to {absence.last_day.isoformat()}"
    )
    lines = [f"You are away {days}: escalations are not assigned to you and the rota skips you."]
    entries = [f"• <@{o.person}> covers the {occurrence_label(o, config.tz)}" for o in noted.covered]
    entries += [
        f"• Nobody else in the rotation is free for the {occurrence_label(o, config.tz)}: it stays yours; "
        f"ask with `/shift swap {o.day.isoformat()} @person`."
        for o in noted.uncovered
    ]
    entries += [
        f"• You are still on the {team} shift you started by hand: nobody on the rota can take it; "
        "hand it over with `/handoff @next`."
        for team in noted.still_on
    ]
    entries += [f"• Your {c.team} shift under way is handed over to <@{c.to_user}> now." for c in noted.changes]
    lines += bounded_lines(entries)
    return "\n".join(lines)


def sync_usergroups(session: Session, config: TeamConfig, outbox: Outbox, now: datetime) -> None:
    """Each team's on-shift user group is set to whoever is on that team's shift now. Sent
    through the outbox: an error is logged there and retried, and never holds the change back.
    With nobody on shift the group keeps its last person (Slack refuses an empty user group)."""
    for team in config.team_names():
        group = config.team(team).usergroup
        if group is None:
            continue
        current = shifts.on_shift(session, config, team, now)
        if current is None:
            log.info("usergroup %s: nobody is on the %s shift at %s; left as it is", group, team, now)
            continue
        outbox.call("usergroups.users.update", {"usergroup": group, "users": current.user}, lane=group)
