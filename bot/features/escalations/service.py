"""Escalations: opened from a command, the modal, the escalation emoji or the message shortcut;
assigned to whoever is on shift (else the lead); climbing the configured levels while nobody
acknowledges (see `jobs.py`); acknowledged, resolved and reassigned. Every action returns an
`Outcome`; `notices.py` turns it into the channel message and the direct messages.

Everything lives in the database: the next climb is `next_climb_at`, selected by the scheduler
over `now`, and a climb is a conditional update on the level it climbs from, so a retried tick or
a second replica climbs (and notifies) once."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.config import SEVERITIES, TeamConfig
from bot.core.errors import BadInput, Conflict, InvalidFields, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import escape_raw, names_list, parse_id, rest_after, split_args, unwrap_link
from bot.features.escalations.models import Escalation, EscalationNotice, EscalationStatus, EscalationVia
from bot.features.roles import service as roles
from bot.features.shifts import service as shifts

ESCALATE_EXAMPLE = "/escalate support high Angry customer thread on Instagram: https://instagram.com/p/xyz"
_LINK = re.compile(r"<((?:https?)://[^>|]+)(?:\|[^>]*)?>")


class Action(StrEnum):
    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REASSIGNED = "reassigned"
    CLIMBED = "climbed"


@dataclass(frozen=True)
class Tell:
    """People to send a direct message about the escalation, and why (once per person per Tell;
    with `dedupe_prefix`, once per person ever, however often a job retries)."""

    users: list[str]
    reason: str
    dedupe_prefix: str | None = None


@dataclass
class Outcome:
    """What an action did to an escalation, for the notices."""

    escalation: Escalation
    action: Action
    by: str | None = None
    tell: list[Tell] = field(default_factory=list)
    # Who held it before someone else acknowledged it (they are told it was taken over).
    previous_assignee: str | None = None
    # Nothing to say: a climb that found no level with anyone left in it.
    silent: bool = False


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
        # Someone away keeps a shift nobody in the rotation could cover, but gets no escalation.
        current = shifts.on_shift(session, config, team, now)
        return _not_away(session, config, [current.user], now) if current else []
    if level == "lead":
        lead = config.team(team).lead
        people = [lead] if lead else []
    else:
        people = roles.holders(session, "strategist")
    return _not_away(session, config, people, now)


def _not_away(session: Session, config: TeamConfig, people: list[str], now: datetime) -> list[str]:
    """`people` less whoever is away today (`/shift away`, team time)."""
    away = shifts.away_on(session, people, now.astimezone(config.tz).date())
    return [p for p in people if p not in away]


def default_assignee(session: Session, config: TeamConfig, team: str, now: datetime) -> str | None:
    """Whoever is on shift (unless away), else the team's lead, else the first strategist."""
    current = shifts.on_shift(session, config, team, now)
    if current is not None and _not_away(session, config, [current.user], now):
        return current.user
    fallback = _not_away(session, config, [config.team(team).lead or "", *roles.holders(session, "strategist")], now)
    fallback = [p for p in fallback if p]
    return fallback[0] if fallback else None


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


def reported_by_a_person(esc: Escalation) -> bool:
    """Whether a person reported it; an alert posted by an integration has its bot id as reporter."""
    return esc.reporter[:1] in ("U", "W")


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


# -- who is told --------------------------------------------------------------------------------
def tell(
    session: Session, esc: Escalation, users: list[str], reason: str, now: datetime, dedupe_prefix: str | None = None
) -> Tell:
    """Remember that these people were told about the escalation (so they may acknowledge it)."""
    people = list(dict.fromkeys(u for u in users if u))
    for user in people:
        if session.get(EscalationNotice, (esc.id, user)) is None:
            session.add(EscalationNotice(escalation_id=esc.id, user_id=user, level=esc.level, notified_at=now))
    session.flush()
    return Tell(people, reason, dedupe_prefix)


# -- actions ------------------------------------------------------------------------------------
def get(session: Session, number: int, *, lock: bool = False) -> Escalation:
    esc = session.get(Escalation, number, with_for_update=lock)
    if esc is None:
        raise NotFound(f"There is no escalation #{number}.", "/escalate list")
    return esc


def create(
    session: Session,
    config: TeamConfig,
    *,
    team: str,
    severity: str,
    text: str,
    reporter: str,
    via: EscalationVia,
    now: datetime,
    link: str | None = None,
    source: tuple[str, str] | None = None,
    source_author: str | None = None,
) -> Outcome:
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
        status=EscalationStatus.OPEN,
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
    told = [
        tell(session, esc, [esc.assignee] if esc.assignee else [], "You are assigned:", now),
        tell(session, esc, [u for u in first_level if u != esc.assignee], "Please look at:", now),
    ]
    if severity == "crisis":
        crisis = ":rotating_light: *Crisis* — every strategist is told at once:"
        told.append(tell(session, esc, roles.holders(session, "strategist"), crisis, now))
    return Outcome(esc, Action.OPENED, reporter, told)


def create_from_form(
    session: Session,
    config: TeamConfig,
    *,
    team: str,
    severity: str,
    description: str,
    link: str,
    reporter: str,
    now: datetime,
) -> Outcome:
    """The escalation form: `description` and `link` as typed (raw). Every field that is wrong is
    refused at once, each with its own message."""
    errors = {}
    if team not in config.team_names():
        errors["team"] = f"Pick one of: {names_list(config.team_names())}"[:150]
    if severity not in SEVERITIES:
        errors["severity"] = f"Pick one of: {', '.join(SEVERITIES)}"
    if link and (not link.startswith(("https://", "http://")) or any(c.isspace() for c in link)):
        errors["link"] = "A link starts with https:// (copy it from the post or the message)."
    if not description and not link:
        errors["description"] = "Say what happened, or give a link."
    if errors:
        raise InvalidFields(errors)
    return create(
        session,
        config,
        team=team,
        severity=severity,
        text=escape_raw(description) if description else escape_raw(link),
        link=escape_raw(link) if link else None,
        reporter=reporter,
        via=EscalationVia.MODAL,
        now=now,
    )


def create_from_message(
    session: Session,
    config: TeamConfig,
    *,
    channel: str,
    ts: str,
    text: str,
    link: str | None,
    author: str | None,
    reporter: str,
    via: EscalationVia,
    now: datetime,
) -> Outcome:
    """A message escalated by the emoji or the shortcut: for the default team, at normal severity
    (a reaction or a shortcut has nowhere to say more); `text` as Slack sent it, escaped."""
    return create(
        session,
        config,
        team=config.escalation.default_team,
        severity="normal",
        text=text or "_(message text not available)_",
        link=link,
        reporter=reporter,
        via=via,
        now=now,
        source=(channel, ts),
        source_author=author,
    )


def acknowledge(session: Session, config: TeamConfig, number: int, actor: str, now: datetime) -> Outcome:
    esc = get(session, number, lock=True)
    if esc.status == EscalationStatus.RESOLVED:
        raise Conflict(f"Escalation #{esc.id} is already resolved.")
    if esc.status == EscalationStatus.ACKNOWLEDGED:
        raise Conflict(f"Escalation #{esc.id} was already acknowledged by <@{esc.acknowledged_by}>.")
    if not may_acknowledge(session, config, esc, actor):
        raise NotAllowed(
            f"Only the people told about #{esc.id}, members of team {esc.team} or a strategist may acknowledge it."
        )
    previous = esc.assignee
    esc.status = EscalationStatus.ACKNOWLEDGED
    esc.acknowledged_at = now
    esc.acknowledged_by = actor
    esc.assignee = actor
    esc.next_climb_at = None
    session.flush()
    return Outcome(esc, Action.ACKNOWLEDGED, actor, previous_assignee=previous)


def resolve(session: Session, config: TeamConfig, number: int, actor: str, note: str | None, now: datetime) -> Outcome:
    esc = get(session, number, lock=True)
    if esc.status == EscalationStatus.RESOLVED:
        raise Conflict(f"Escalation #{esc.id} is already resolved.")
    if not may_manage(session, config, esc, actor):
        raise NotAllowed(f"Only the assignee of #{esc.id}, the {esc.team} lead or a strategist may resolve it.")
    if esc.acknowledged_at is None:
        # Resolving it is the strongest acknowledgement there is.
        esc.acknowledged_at = now
        esc.acknowledged_by = actor
    esc.status = EscalationStatus.RESOLVED
    esc.resolved_at = now
    esc.resolved_by = actor
    esc.resolution_note = note or None
    esc.next_climb_at = None
    esc.source_key = None  # the message may be escalated again if it flares up
    session.flush()
    return Outcome(esc, Action.RESOLVED, actor)


def check_may_reassign(session: Session, config: TeamConfig, esc: Escalation, actor: str) -> None:
    if esc.status == EscalationStatus.RESOLVED:
        raise Conflict(f"Escalation #{esc.id} is already resolved.")
    if not may_manage(session, config, esc, actor):
        raise NotAllowed(f"Only the assignee of #{esc.id}, the {esc.team} lead or a strategist may reassign it.")


def reassign(session: Session, config: TeamConfig, number: int, actor: str, to_user: str, now: datetime) -> Outcome:
    esc = get(session, number, lock=True)
    check_may_reassign(session, config, esc, actor)
    if to_user == esc.assignee:
        raise Conflict(f"<@{to_user}> already has escalation #{esc.id}.")
    return assign_to(session, config, esc, to_user, f"<@{actor}> assigned this to you:", now, by=actor)


def assign_to(
    session: Session,
    config: TeamConfig,
    esc: Escalation,
    to_user: str,
    reason: str,
    now: datetime,
    *,
    by: str | None = None,
) -> Outcome:
    """Give the escalation to someone else; an unacknowledged one starts its level's timer again."""
    esc.assignee = to_user
    if esc.status == EscalationStatus.OPEN and esc.next_climb_at is not None:
        esc.next_climb_at = now + ack_timeout(config, esc.severity)
    session.flush()
    return Outcome(esc, Action.REASSIGNED, by, [tell(session, esc, [to_user], reason, now)])


def not_resolved(session: Session, team: str | None = None) -> list[Escalation]:
    query = select(Escalation).where(Escalation.status != EscalationStatus.RESOLVED).order_by(Escalation.id)
    if team:
        query = query.where(Escalation.team == team)
    return list(session.scalars(query))


def open_assigned_to(session: Session, team: str, user: str) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation)
            .where(Escalation.team == team, Escalation.assignee == user, Escalation.status != EscalationStatus.RESOLVED)
            .order_by(Escalation.id)
        )
    )


# -- climbing (run by the scheduler) ------------------------------------------------------------
def due_climbs(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Escalation.id)
            .where(
                Escalation.status == EscalationStatus.OPEN,
                Escalation.next_climb_at.is_not(None),
                Escalation.next_climb_at <= now,
            )
            .order_by(Escalation.next_climb_at, Escalation.id)
        )
    )


def climb(session: Session, config: TeamConfig, number: int, now: datetime) -> Outcome | None:
    """Climb one due escalation one level; None if it is not due any more (acknowledged, or
    climbed by another tick or replica first). An outcome without `tell` climbed into nobody (the
    last level was empty) and says nothing."""
    esc = session.get(Escalation, number)
    if esc is None or esc.status != EscalationStatus.OPEN or esc.next_climb_at is None or esc.next_climb_at > now:
        return None
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
            Escalation.status == EscalationStatus.OPEN,
            Escalation.level == old_level,
            Escalation.next_climb_at.is_not(None),
            Escalation.next_climb_at <= now,
        )
        .values(level=new_level, level_name=levels[new_level], next_climb_at=next_climb)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    session.refresh(esc)
    if new_level == old_level:
        return Outcome(esc, Action.CLIMBED, silent=True)
    level = levels[new_level]
    within = _wait_text(waited)
    people = level_people(session, config, esc.team, level, now)
    dedupe = f"escalation:{esc.id}:level:{new_level}"
    # The lead may already hold it (nobody was on shift): for them it is a reminder, not news.
    holder = [u for u in people if u == esc.assignee]
    reminder = f"Nobody has acknowledged this within {within}; it is still yours ({level}):"
    others = [u for u in people if u != esc.assignee]
    reason = f"Nobody acknowledged this within {within}, so it climbed to you ({level}):"
    told = [
        tell(session, esc, holder, reminder, now, dedupe_prefix=dedupe),
        tell(session, esc, others, reason, now, dedupe_prefix=dedupe),
    ]
    return Outcome(esc, Action.CLIMBED, tell=told)


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
