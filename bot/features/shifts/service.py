"""Who is on shift: the configured rota on the team's wall clock, overridden by shifts started and
ended by hand; and shift notes, carried to the next person by the next handoff.

A rota shift starts on each of its `days` at `start` (team time) and ends at `end` the same day,
or the next day when `end` is not after `start`. Its person is
`members[whole weeks from rotation_start to the start date, mod len(members)]`. Wall times are put
on the real timeline by `bot.core.calendar.to_instant`, like every scheduled time (a start
that clocks skip over is right after the gap; one that happens twice is the first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.core.calendar import to_instant
from bot.core.config import WEEKDAYS, Shift, TeamConfig
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict
from bot.core.export import iso, since_filter
from bot.core.text import names_list
from bot.features.shifts.models import ShiftEarlyEnd, ShiftNote, ShiftSession

START_EXAMPLE = "/shift start support"
NOTE_EXAMPLE = "/shift note Waiting for @maria's reply on the refund thread"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Occurrence:
    """One run of a rota shift."""

    team: str
    shift: str
    wall_start: datetime  # naive, team time
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    person: str

    @property
    def key(self) -> str:
        return f"{self.shift}:{self.wall_start:%Y-%m-%dT%H:%M}"


class ShiftSource(StrEnum):
    ROTA = "rota"
    MANUAL = "manual"  # started by hand, or taken over by a handoff


@dataclass(frozen=True)
class OnShift:
    team: str
    user: str
    source: ShiftSource
    shift: str | None = None
    occurrence: Occurrence | None = None
    until: datetime | None = None


def person_for(shift: Shift, start_date: date) -> str:
    weeks = (start_date - shift.rotation_start).days // 7
    return shift.members[weeks % len(shift.members)]


def occurrence_of(config: TeamConfig, shift: Shift, day: date) -> Occurrence:
    tz = config.tz
    wall_start = datetime.combine(day, shift.start)
    end_day = day if shift.end > shift.start else day + timedelta(days=1)
    wall_end = datetime.combine(end_day, shift.end)
    return Occurrence(
        team=shift.team,
        shift=shift.name,
        wall_start=wall_start,
        start=to_instant(wall_start, tz),
        end=to_instant(wall_end, tz),
        person=person_for(shift, day),
    )


def team_shifts(config: TeamConfig, team: str) -> list[Shift]:
    return [s for s in config.shifts if s.team == team]


def occurrences(config: TeamConfig, team: str, start: datetime, end: datetime) -> list[Occurrence]:
    """The team's rota occurrences that overlap [start, end), in start order."""
    tz = config.tz
    first = start.astimezone(tz).date() - timedelta(days=2)
    last = end.astimezone(tz).date() + timedelta(days=1)
    result = []
    for shift in team_shifts(config, team):
        day = first
        while day <= last:
            if WEEKDAYS[day.weekday()] in shift.days:
                occurrence = occurrence_of(config, shift, day)
                if occurrence.start < end and occurrence.end > start:
                    result.append(occurrence)
            day += timedelta(days=1)
    return sorted(result, key=lambda o: (o.start, o.shift))


def next_occurrence(config: TeamConfig, team: str, now: datetime) -> Occurrence | None:
    """The team's next rota shift to start after `now`."""
    upcoming = [o for o in occurrences(config, team, now, now + timedelta(days=8)) if o.start > now]
    return upcoming[0] if upcoming else None


def _active_sessions(session: Session, team: str, now: datetime) -> list[ShiftSession]:
    return list(
        session.scalars(
            select(ShiftSession)
            .where(
                ShiftSession.team == team,
                ShiftSession.started_at <= now,
                ShiftSession.ended_at.is_(None),
                or_(ShiftSession.ends_at.is_(None), ShiftSession.ends_at > now),
            )
            .order_by(ShiftSession.started_at.desc(), ShiftSession.id.desc())
        )
    )


def rota_on_shift(session: Session, config: TeamConfig, team: str, now: datetime) -> Occurrence | None:
    running = [o for o in occurrences(config, team, now, now + _TICK) if o.start <= now < o.end]
    if not running:
        return None
    ended = set(
        session.scalars(
            select(ShiftEarlyEnd.occurrence).where(
                ShiftEarlyEnd.team == team, ShiftEarlyEnd.occurrence.in_([o.key for o in running])
            )
        )
    )
    running = [o for o in running if o.key not in ended]
    return running[-1] if running else None


def on_shift(session: Session, config: TeamConfig, team: str, now: datetime) -> OnShift | None:
    """Who is on shift for `team` at `now`: a shift started by hand wins over the rota."""
    manual = _active_sessions(session, team, now)
    if manual:
        return OnShift(team=team, user=manual[0].user_id, source=ShiftSource.MANUAL, until=manual[0].ends_at)
    occurrence = rota_on_shift(session, config, team, now)
    if occurrence is None:
        return None
    return OnShift(
        team=team,
        user=occurrence.person,
        source=ShiftSource.ROTA,
        shift=occurrence.shift,
        occurrence=occurrence,
        until=occurrence.end,
    )


def person_before(session: Session, config: TeamConfig, team: str, at: datetime) -> str | None:
    """Who had the team's shift last before `at` (a shift started by hand, else the latest rota
    shift that started before it, even if its person ended it early)."""
    manual = _active_sessions(session, team, at - _TICK)
    if manual:
        return manual[0].user_id
    earlier = [o for o in occurrences(config, team, at - timedelta(days=8), at) if o.start < at]
    if not earlier:
        return None
    previous = earlier[-1]
    # Someone who took that shift over (a /handoff mid-shift) and held it to its end covered it
    # last: they hand over now, with what they were given.
    cover = session.scalar(
        select(ShiftSession.user_id)
        .where(
            ShiftSession.team == team,
            ShiftSession.started_at >= previous.start,
            ShiftSession.started_at < previous.end,
            ShiftSession.ended_at.is_(None),
            ShiftSession.ends_at <= at,
        )
        .order_by(ShiftSession.started_at.desc())
        .limit(1)
    )
    return cover or previous.person


def teams_of(config: TeamConfig, user: str) -> list[str]:
    """Teams the person belongs to: as lead, member, or on a rota."""
    result = []
    for name in config.team_names():
        team = config.team(name)
        in_rota = any(user in s.members for s in team_shifts(config, name))
        if user == team.lead or user in team.members or in_rota:
            result.append(name)
    return result


def current_team_of(session: Session, config: TeamConfig, user: str, now: datetime) -> str | None:
    """The team the person is on shift for now, else the first team they belong to."""
    for name in config.team_names():
        current = on_shift(session, config, name, now)
        if current is not None and current.user == user:
            return name
    teams = teams_of(config, user)
    return teams[0] if teams else None


def parse_team(config: TeamConfig, word: str) -> str | None:
    word = word.lower()
    return word if word in config.team_names() else None


def unknown_team(config: TeamConfig, word: str, example: str) -> BadInput:
    return BadInput(f"`{word}` is not a team. Teams: {names_list(config.team_names())}.", example)


# -- changing who is on shift -------------------------------------------------------------------
def _end_sessions(session: Session, team: str, now: datetime, user: str | None = None) -> int:
    condition = [
        ShiftSession.team == team,
        ShiftSession.ended_at.is_(None),
        or_(ShiftSession.ends_at.is_(None), ShiftSession.ends_at > now),
    ]
    if user is not None:
        condition.append(ShiftSession.user_id == user)
    result = session.execute(update(ShiftSession).where(*condition).values(ended_at=now))
    return result.rowcount or 0


def take_over(
    session: Session, config: TeamConfig, team: str, user: str, now: datetime, *, relieve_rota: bool = False
) -> datetime | None:
    """`user` is on shift for `team` from now until ended by hand, or until the rota shift in
    progress ends (they cover the rest of it), or outside rota hours until the next one starts.

    With `relieve_rota` (a handoff) the rota person is done for the rest of their shift: if the
    cover ends early, the shift falls to nobody, not back to whoever handed it over. Without it
    (`/shift start`, someone stepping in), ending the cover gives the shift back to the rota."""
    _end_sessions(session, team, now)
    replaced = rota_on_shift(session, config, team, now) if relieve_rota else None
    if replaced is not None and replaced.person != user:
        insert_unless_present(
            session, ShiftEarlyEnd, team=team, occurrence=replaced.key, user_id=replaced.person, ended_at=now
        )
    running = [o for o in occurrences(config, team, now, now + _TICK) if o.start <= now < o.end]
    if running:
        until: datetime | None = running[-1].end
    else:
        upcoming = next_occurrence(config, team, now)
        until = upcoming.start if upcoming else None
    session.add(ShiftSession(team=team, user_id=user, started_at=now, ends_at=until))
    session.flush()
    return until


@dataclass(frozen=True)
class Started:
    team: str
    before: OnShift | None  # who was on shift
    ends_at: datetime | None  # when the shift ends by itself (None: only by `/shift end`)


def start(session: Session, config: TeamConfig, user: str, team_word: str | None, now: datetime) -> Started:
    """`/shift start [team]`: without a team, the person's first team (else the default team)."""
    if team_word is not None:
        team = parse_team(config, team_word)
        if team is None:
            raise unknown_team(config, team_word, START_EXAMPLE)
    else:
        team = (teams_of(config, user) or [config.escalation.default_team])[0]
    current = on_shift(session, config, team, now)
    if current is not None and current.user == user:
        raise Conflict(f"You are already on shift for {team}.", "/shift end")
    return Started(team, current, take_over(session, config, team, user, now))


@dataclass(frozen=True)
class TeamStatus:
    team: str
    current: OnShift | None
    upcoming: Occurrence | None


def team_statuses(session: Session, config: TeamConfig, now: datetime) -> list[TeamStatus]:
    """Who is on shift for each team, and who is next."""
    return [
        TeamStatus(team, on_shift(session, config, team, now), next_occurrence(config, team, now))
        for team in config.team_names()
    ]


def end(session: Session, config: TeamConfig, user: str, now: datetime) -> list[str]:
    """`/shift end`: ends the person's shifts (by hand or from the rota) now; returns the teams."""
    ended = []
    for team in config.team_names():
        current = on_shift(session, config, team, now)
        if current is None or current.user != user:
            continue
        if current.source == ShiftSource.MANUAL:
            _end_sessions(session, team, now, user)
        else:
            assert current.occurrence is not None
            session.add(ShiftEarlyEnd(team=team, occurrence=current.occurrence.key, user_id=user, ended_at=now))
        ended.append(team)
    if not ended:
        raise BadInput("You are not on shift for any team right now.", START_EXAMPLE)
    session.flush()
    return ended


# -- notes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoteAdded:
    team: str
    pending: int  # notes of the team waiting for the next handoff, this one included


def note(session: Session, config: TeamConfig, user: str, team: str | None, text: str, now: datetime) -> NoteAdded:
    """`/shift note [team] <text>`: without a team, for the team the person is on shift for (else
    their first team)."""
    team = team or current_team_of(session, config, user, now)
    if team is None:
        raise BadInput(
            "You are not on shift or in a team; name the team the note is for.",
            f"/shift note {config.escalation.default_team} Waiting for the customer's reply",
        )
    if not text:
        raise BadInput("`/shift note` needs the note's text.", NOTE_EXAMPLE)
    add_note(session, team, user, text, now)
    return NoteAdded(team, len(pending_notes(session, team)))


def add_note(session: Session, team: str, user: str, text: str, now: datetime) -> ShiftNote:
    note = ShiftNote(team=team, author=user, text=text, created_at=now)
    session.add(note)
    session.flush()
    return note


def pending_notes(session: Session, team: str) -> list[ShiftNote]:
    return list(
        session.scalars(
            select(ShiftNote)
            .where(ShiftNote.team == team, ShiftNote.handoff_id.is_(None))
            .order_by(ShiftNote.created_at, ShiftNote.id)
        )
    )


def notes_of_handoff(session: Session, handoff_id: int) -> list[ShiftNote]:
    return list(session.scalars(select(ShiftNote).where(ShiftNote.handoff_id == handoff_id).order_by(ShiftNote.id)))


def export_notes(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(ShiftNote).order_by(ShiftNote.id), ShiftNote.created_at, since)
    return [
        {
            "id": n.id,
            "team": n.team,
            "author": n.author,
            "text": n.text,
            "created_at": iso(n.created_at),
            "handoff_id": n.handoff_id,
        }
        for n in session.scalars(query)
    ]
