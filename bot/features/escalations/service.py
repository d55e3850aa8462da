"""Escalations: opened from a command, the modal, the escalation emoji or the message shortcut;
assigned to whoever is on shift (else the lead); climbing the configured levels while nobody
acknowledges (see `bot.services.escalation_jobs`); acknowledged, resolved and reassigned.

Everything lives in the database: the next climb is `next_climb_at`, selected by the scheduler
over `now`, and a climb is a conditional update on the level it climbs from, so a retried tick or
a second replica climbs (and notifies) once."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.config import SEVERITIES, TeamConfig
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import names_list, parse_id, rest_after, split_args, unwrap_link
from bot.features.escalations.blocks import ESCALATE_EXAMPLE, escalation_dm, escalation_message
from bot.features.escalations.models import Escalation, EscalationNotice
from bot.features.roles import service as roles
from bot.features.shifts import service as shifts
from bot.outbox.queue import Outbox

SUBCOMMANDS = ("list", "ack", "resolve", "reassign")
_LINK = re.compile(r"<((?:https?)://[^>|]+)(?:\|[^>]*)?>")


def message_key(escalation_id: int) -> str:
    return f"escalation:{escalation_id}"


def level_name(config: TeamConfig, esc: Escalation) -> str:
    return esc.level_name


def ack_timeout(config: TeamConfig, severity: str) -> timedelta:
    return timedelta(minutes=getattr(config.escalation.ack_timeout_minutes, severity))


# -- parsing ------------------------------------------------------------------------------------
def parse_new(config: TeamConfig, text: str) -> tuple[str, str, str]:
    """`[TEAM] [SEVERITY] <text>` (case-insensitive) to (team, severity, text). Whatever is not a
    team or a severity is the complaint itself: "Urgent: customer threatens to sue" and "Very high
    volume of replies" are escalated as written, with the default team and severity. But a first
    word that is nearly a team's name, followed by a severity ("suport crisis …"), is a mistyped
    team: refused, so a crisis never goes out as a normal escalation to the wrong team."""
    args = split_args(text)
    team, severity, used = config.escalation.default_team, "normal", 0
    # "PR: crisis in the comments" names the team too.
    if args and shifts.parse_team(config, args[0].rstrip(":,.")):
        team = args[0].rstrip(":,.").lower()
        used = 1
    elif len(args) > 1 and args[1].lower() in SEVERITIES and (near := _near_name(args[0], config.team_names())):
        raise BadInput(
            f"`{args[0]}` is not a team; did you mean `{near}`? Teams: {names_list(config.team_names())}.",
            f"/escalate {near} {args[1].lower()} Customer threatens to go to the press",
        )
    if used < len(args) and args[used].lower() in SEVERITIES:
        severity = args[used].lower()
        used += 1
    elif used == 1 and used < len(args) and (near := _near_name(args[used], SEVERITIES)):
        # After a team, a mistyped severity ("pr crisi …") would send a crisis as a normal one.
        raise BadInput(
            f"`{args[used]}` is not a severity; did you mean `{near}`? Severities: {', '.join(SEVERITIES)}.",
            f"/escalate {team} {near} Customer threatens to go to the press",
        )
    rest = rest_after(text, used)
    if not rest:
        raise BadInput("Say what happened, or paste a link to it.", ESCALATE_EXAMPLE)
    return team, severity, rest


def _near_name(word: str, names: list[str] | tuple[str, ...]) -> str | None:
    """The name `word` is a typo of ("suport", "legl", "crisi"): a name of four letters or more,
    one letter more or less at most, and not inside the word, so real words ("Illegal",
    "Supporting", "Pro") stay part of the complaint."""
    word = word.lower()
    for name in difflib.get_close_matches(word, list(names), n=3, cutoff=0.75):
        if len(name) >= 4 and abs(len(name) - len(word)) <= 1 and name not in word:
            return name
    return None


def parse_number(word: str | None, example: str) -> int:
    number = parse_id(word) if word else None
    if number is None:
        shown = f"`{word}` is not" if word else "Give"
        raise BadInput(f"{shown} an escalation number (like 12 or #12).", example)
    return number


def first_link(text: str) -> str | None:
    match = _LINK.search(text)
    return unwrap_link(match.group(0)) if match else None


# -- who is who ---------------------------------------------------------------------------------
def team_people(config: TeamConfig, team: str) -> set[str]:
    conf = config.team(team)
    people = set(conf.members)
    if conf.lead:
        people.add(conf.lead)
    for shift in shifts.team_shifts(config, team):
        people.update(shift.members)
    return people


def level_people(session: Session, config: TeamConfig, team: str, level: str, now: datetime) -> list[str]:
    if level == "on_shift":
        current = shifts.on_shift(session, config, team, now)
        return [current.user] if current else []
    if level == "lead":
        lead = config.team(team).lead
        return [lead] if lead else []
    return roles.holders(session, "strategist")


def default_assignee(session: Session, config: TeamConfig, team: str, now: datetime) -> str | None:
    """Whoever is on shift, else the team's lead, else the first strategist."""
    current = shifts.on_shift(session, config, team, now)
    if current is not None:
        return current.user
    if config.team(team).lead:
        return config.team(team).lead
    strategists = roles.holders(session, "strategist")
    return strategists[0] if strategists else None


def first_staffed_level(session: Session, config: TeamConfig, team: str, now: datetime) -> tuple[int, list[str]]:
    """The first level with someone in it, and its people: with nobody on shift an escalation
    starts at the lead, so its first climb goes on to the strategists instead of back to the lead."""
    for index, level in enumerate(config.escalation.levels):
        people = level_people(session, config, team, level, now)
        if people:
            return index, people
    return 0, []


def was_notified(session: Session, esc: Escalation, user: str) -> bool:
    return session.get(EscalationNotice, (esc.id, user)) is not None


def may_acknowledge(session: Session, config: TeamConfig, esc: Escalation, user: str) -> bool:
    return (
        user == esc.assignee
        or was_notified(session, esc, user)
        or user in team_people(config, esc.team)
        or roles.has_role(session, user, "strategist")
    )


def may_manage(session: Session, config: TeamConfig, esc: Escalation, user: str) -> bool:
    """Resolve and reassign: the assignee, the team's lead or a strategist."""
    return user in (esc.assignee, config.team(esc.team).lead) or roles.has_role(session, user, "strategist")


# -- messages -----------------------------------------------------------------------------------
def refresh_message(config: TeamConfig, outbox: Outbox, esc: Escalation) -> None:
    text, blocks = escalation_message(esc, level_name(config, esc))
    outbox.update(message_key(esc.id), text, blocks)


def notify(
    session: Session,
    config: TeamConfig,
    outbox: Outbox,
    esc: Escalation,
    users: list[str],
    reason: str,
    now: datetime,
    *,
    dedupe_prefix: str | None = None,
) -> list[str]:
    """DM each person once per call and remember they were told (they may acknowledge)."""
    told = []
    text, blocks = escalation_dm(esc, level_name(config, esc), reason)
    for user in dict.fromkeys(u for u in users if u):
        dedupe = f"{dedupe_prefix}:{user}" if dedupe_prefix else None
        if outbox.dm(user, text, blocks, dedupe=dedupe):
            told.append(user)
        if session.get(EscalationNotice, (esc.id, user)) is None:
            session.add(EscalationNotice(escalation_id=esc.id, user_id=user, level=esc.level, notified_at=now))
    session.flush()
    return told


# -- actions ------------------------------------------------------------------------------------
def get(session: Session, number: int, *, lock: bool = False) -> Escalation:
    esc = session.get(Escalation, number, with_for_update=lock)
    if esc is None:
        raise NotFound(f"There is no escalation #{number}.", "/escalate list")
    return esc


def create(
    session: Session,
    config: TeamConfig,
    outbox: Outbox,
    *,
    team: str,
    severity: str,
    text: str,
    reporter: str,
    via: str,
    now: datetime,
    link: str | None = None,
    source: tuple[str, str] | None = None,
    source_author: str | None = None,
) -> Escalation:
    """Open an escalation; `text` and `link` are in Slack's escaped form."""
    if team not in config.team_names():
        raise shifts.unknown_team(config, team, ESCALATE_EXAMPLE)
    if severity not in SEVERITIES:
        raise BadInput(f"`{severity}` is not a severity. Severities: {', '.join(SEVERITIES)}.", ESCALATE_EXAMPLE)
    source_key = f"{source[0]}:{source[1]}" if source else None
    if source_key:
        existing = session.scalar(select(Escalation).where(Escalation.source_key == source_key))
        if existing is not None:
            raise Conflict(f"That message is already escalated as #{existing.id} ({existing.status}).")
    levels = config.escalation.levels
    start, first_level = first_staffed_level(session, config, team, now)
    esc = Escalation(
        team=team,
        severity=severity,
        status="open",
        text=text,
        link=link or first_link(text),
        via=via,
        reporter=reporter,
        source_channel=source[0] if source else None,
        source_ts=source[1] if source else None,
        source_author=source_author,
        source_key=source_key,
        assignee=default_assignee(session, config, team, now),
        level=start,
        level_name=levels[start],
        next_climb_at=now + ack_timeout(config, severity) if start + 1 < len(levels) else None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(esc)
    except IntegrityError:
        # Someone escalated the same message at the same moment.
        raise Conflict("That message was just escalated by someone else.") from None
    text_out, blocks = escalation_message(esc, level_name(config, esc))
    outbox.post(config.channels.escalations, text_out, blocks, key=message_key(esc.id))
    notify(session, config, outbox, esc, [esc.assignee] if esc.assignee else [], "You are assigned:", now)
    notify(session, config, outbox, esc, [u for u in first_level if u != esc.assignee], "Please look at:", now)
    if severity == "crisis":
        notify(
            session,
            config,
            outbox,
            esc,
            roles.holders(session, "strategist"),
            ":rotating_light: *Crisis* — every strategist is told at once:",
            now,
        )
    return esc


def acknowledge(
    session: Session, config: TeamConfig, outbox: Outbox, number: int, actor: str, now: datetime
) -> Escalation:
    esc = get(session, number, lock=True)
    if esc.status == "resolved":
        raise Conflict(f"Escalation #{esc.id} is already resolved.")
    if esc.status == "acknowledged":
        raise Conflict(f"Escalation #{esc.id} was already acknowledged by <@{esc.acknowledged_by}>.")
    if not may_acknowledge(session, config, esc, actor):
        raise NotAllowed(
            f"Only the people told about #{esc.id}, members of team {esc.team} or a strategist may acknowledge it."
        )
    previous = esc.assignee
    esc.status = "acknowledged"
    esc.acknowledged_at = now
    esc.acknowledged_by = actor
    esc.assignee = actor
    esc.next_climb_at = None
    session.flush()
    refresh_message(config, outbox, esc)
    if previous and previous != actor:
        outbox.dm(previous, f"<@{actor}> acknowledged escalation #{esc.id} and took it over.")
    return esc


def resolve(
    session: Session, config: TeamConfig, outbox: Outbox, number: int, actor: str, note: str | None, now: datetime
) -> Escalation:
    esc = get(session, number, lock=True)
    if esc.status == "resolved":
        raise Conflict(f"Escalation #{esc.id} is already resolved.")
    if not may_manage(session, config, esc, actor):
        raise NotAllowed(f"Only the assignee of #{esc.id}, the {esc.team} lead or a strategist may resolve it.")
    if esc.acknowledged_at is None:
        # Resolving it is the strongest acknowledgement there is.
        esc.acknowledged_at = now
        esc.acknowledged_by = actor
    esc.status = "resolved"
    esc.resolved_at = now
    esc.resolved_by = actor
    esc.resolution_note = note or None
    esc.next_climb_at = None
    esc.source_key = None  # the message may be escalated again if it flares up
    session.flush()
    refresh_message(config, outbox, esc)
    if esc.reporter != actor:
        outbox.dm(esc.reporter, f"Escalation #{esc.id} you reported was resolved by <@{actor}>.")
    return esc


def check_may_reassign(session: Session, config: TeamConfig, esc: Escalation, actor: str) -> None:
    if esc.status == "resolved":
        raise Conflict(f"Escalation #{esc.id} is already resolved.")
    if not may_manage(session, config, esc, actor):
        raise NotAllowed(f"Only the assignee of #{esc.id}, the {esc.team} lead or a strategist may reassign it.")


def reassign(
    session: Session, config: TeamConfig, outbox: Outbox, number: int, actor: str, to_user: str, now: datetime
) -> Escalation:
    esc = get(session, number, lock=True)
    check_may_reassign(session, config, esc, actor)
    if to_user == esc.assignee:
        raise Conflict(f"<@{to_user}> already has escalation #{esc.id}.")
    assign_to(session, config, outbox, esc, to_user, f"<@{actor}> assigned this to you:", now)
    return esc


def assign_to(
    session: Session, config: TeamConfig, outbox: Outbox, esc: Escalation, to_user: str, reason: str, now: datetime
) -> None:
    """Give the escalation to someone else; an unacknowledged one starts its level's timer again."""
    esc.assignee = to_user
    if esc.status == "open" and esc.next_climb_at is not None:
        esc.next_climb_at = now + ack_timeout(config, esc.severity)
    session.flush()
    refresh_message(config, outbox, esc)
    notify(session, config, outbox, esc, [to_user], reason, now)


def not_resolved(session: Session, team: str | None = None) -> list[Escalation]:
    query = select(Escalation).where(Escalation.status != "resolved").order_by(Escalation.id)
    if team:
        query = query.where(Escalation.team == team)
    return list(session.scalars(query))


def open_assigned_to(session: Session, team: str, user: str) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation)
            .where(Escalation.team == team, Escalation.assignee == user, Escalation.status != "resolved")
            .order_by(Escalation.id)
        )
    )


# -- climbing (run by the scheduler) ------------------------------------------------------------
def due_climbs(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Escalation.id)
            .where(Escalation.status == "open", Escalation.next_climb_at.is_not(None), Escalation.next_climb_at <= now)
            .order_by(Escalation.next_climb_at, Escalation.id)
        )
    )


def climb(session: Session, config: TeamConfig, number: int, now: datetime) -> bool:
    """Climb one due escalation one level; False if it is not due any more (acknowledged, or
    climbed by another tick or replica first)."""
    esc = session.get(Escalation, number)
    if esc is None or esc.status != "open" or esc.next_climb_at is None or esc.next_climb_at > now:
        return False
    levels = config.escalation.levels
    old_level = esc.level
    # The next level with someone in it (a team without a lead, say): an empty level would tell
    # nobody and hold the escalation there for a whole timeout.
    new_level = old_level
    for candidate in range(old_level + 1, len(levels)):
        new_level = candidate
        if level_people(session, config, esc.team, levels[candidate], now):
            break
    waited = ack_timeout(config, esc.severity)
    # Counted from when this climb was due, not from now: after the scheduler was down, the levels
    # it missed follow one another at once instead of a full timeout apart.
    next_climb = esc.next_climb_at + waited if new_level + 1 < len(levels) else None
    # The claim: only one transaction moves the escalation off `old_level`.
    claimed = session.execute(
        update(Escalation)
        .where(
            Escalation.id == number,
            Escalation.status == "open",
            Escalation.level == old_level,
            Escalation.next_climb_at.is_not(None),
            Escalation.next_climb_at <= now,
        )
        .values(level=new_level, level_name=levels[new_level], next_climb_at=next_climb)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    session.refresh(esc)
    outbox = Outbox(session, now)
    if new_level == old_level:
        return True
    level = levels[new_level]
    within = _wait_text(waited)
    people = level_people(session, config, esc.team, level, now)
    dedupe = f"escalation:{esc.id}:level:{new_level}"
    # The lead may already hold it (nobody was on shift): for them it is a reminder, not news.
    holder = [u for u in people if u == esc.assignee]
    reminder = f"Nobody has acknowledged this within {within}; it is still yours ({level}):"
    notify(session, config, outbox, esc, holder, reminder, now, dedupe_prefix=dedupe)
    others = [u for u in people if u != esc.assignee]
    reason = f"Nobody acknowledged this within {within}, so it climbed to you ({level}):"
    notify(session, config, outbox, esc, others, reason, now, dedupe_prefix=dedupe)
    refresh_message(config, outbox, esc)
    return True


def _wait_text(waited: timedelta) -> str:
    seconds = waited.total_seconds()
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes == int(minutes) else f"{minutes:.1f} min"


# -- export -------------------------------------------------------------------------------------
def export_escalations(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(Escalation).order_by(Escalation.id), Escalation.created_at, since)
    return [
        {
            "id": esc.id,
            "team": esc.team,
            "severity": esc.severity,
            "status": esc.status,
            "assignee": esc.assignee,
            "level": esc.level_name,
            "created_at": iso(esc.created_at),
            "acknowledged_at": iso(esc.acknowledged_at),
            "resolved_at": iso(esc.resolved_at),
            "acknowledged_by": esc.acknowledged_by,
            "resolved_by": esc.resolved_by,
            "reporter": esc.reporter,
            "via": esc.via,
            "link": esc.link,
            "text": esc.text,
            "resolution_note": esc.resolution_note,
        }
        for esc in session.scalars(query)
    ]
