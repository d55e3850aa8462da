"""Who is on shift: the configured rota on the team's wall clock, overridden by shifts started and
ended by hand; and shift notes, carried to the next person by the next handoff.

A rota shift starts on each of its `days` at `start` (team time) and ends at `end` the same day,
or the next day when `end` is not after `start`. Its person is
`members[whole weeks from rotation_start to the start date, mod len(members)]`. Wall times are put
on the real timeline by `bot.core.calendar.to_instant`, like every scheduled time (a start
that clocks skip over is right after the gap; one that happens twice is the first)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.core import dates
from bot.core.calendar import to_instant
from bot.core.config import WEEKDAYS, Shift, TeamConfig
from bot.core.db import insert_unless_present
from bot.core.errors import BadInput, Conflict, NotAllowed, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import names_list
from bot.features.shifts.models import OverrideKind, ShiftEarlyEnd, ShiftNote, ShiftOverride, ShiftSession

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
    person: str  # who holds it: the rota's person unless a swap or time away says otherwise
    covers_for: str | None = None  # the rota's person, when someone else holds it

    @property
    def day(self) -> date:
        return self.wall_start.date()

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


def occurrences(session: Session, config: TeamConfig, team: str, start: datetime, end: datetime) -> list[Occurrence]:
    """The team's occurrences that overlap [start, end), in start order, held by whoever the
    overrides (swaps taken, time away) say."""
    return with_overrides(session, config, rota_occurrences(config, team, start, end))


def rota_occurrences(config: TeamConfig, team: str, start: datetime, end: datetime) -> list[Occurrence]:
    """The team's rota occurrences that overlap [start, end), in start order, as the rota has them."""
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


def next_occurrence(session: Session, config: TeamConfig, team: str, now: datetime) -> Occurrence | None:
    """The team's next rota shift to start after `now`."""
    upcoming = [o for o in occurrences(session, config, team, now, now + timedelta(days=8)) if o.start > now]
    return upcoming[0] if upcoming else None


def _active_sessions(session: Session, team: str, now: datetime) -> list[ShiftSession]:
    return _active_sessions_of(session, [team], now).get(team, [])


def rota_on_shift(session: Session, config: TeamConfig, team: str, now: datetime) -> Occurrence | None:
    running = [o for o in occurrences(session, config, team, now, now + _TICK) if o.start <= now < o.end]
    ended = _ended_early(session, running)
    running = [o for o in running if (team, o.key) not in ended]
    return running[-1] if running else None


def on_shift(session: Session, config: TeamConfig, team: str, now: datetime) -> OnShift | None:
    """Who is on shift for `team` at `now`: a shift started by hand wins over the rota."""
    manual = _active_sessions(session, team, now)
    if manual:
        return _by_hand(team, manual[0])
    return _on_rota(team, rota_on_shift(session, config, team, now))


def _by_hand(team: str, started: ShiftSession) -> OnShift:
    return OnShift(team=team, user=started.user_id, source=ShiftSource.MANUAL, until=started.ends_at)


def _on_rota(team: str, occurrence: Occurrence | None) -> OnShift | None:
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
    earlier = [o for o in occurrences(session, config, team, at - timedelta(days=8), at) if o.start < at]
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


# The next shift of a team is looked for this far ahead (as next_occurrence does).
NEXT_SHIFT_WINDOW = timedelta(days=8)


@dataclass(frozen=True)
class TeamNow:
    team: str
    now: OnShift | None
    next: Occurrence | None


@dataclass(frozen=True)
class Overview:
    teams: list[TeamNow]  # in config order
    own_next: Occurrence | None  # the person's next shift in any team, within the horizon


def overview(session: Session, config: TeamConfig, user: str, now: datetime, horizon: timedelta) -> Overview:
    """Every team's person on shift now and next shift (as on_shift and next_occurrence say), and
    `user`'s own next shift to start within `horizon` (as occurrences say), in three queries
    whatever the number of teams: the shifts started by hand, the overrides of the days ahead, and
    the early ends of the shifts running now. The rota is laid out once per team."""
    teams = config.team_names()
    end = now + max(horizon, NEXT_SHIFT_WINDOW)
    rota = {team: rota_occurrences(config, team, now, end) for team in teams}
    days = [o.day for found in rota.values() for o in found]
    rows = _overrides_between(session, min(days), max(days)) if days else []
    held = {team: _overridden(found, rows) if found else found for team, found in rota.items()}
    started = _active_sessions_of(session, teams, now)
    running = {team: [o for o in found if o.start <= now < o.end] for team, found in held.items()}
    ended = _ended_early(session, [o for found in running.values() for o in found])
    result: list[TeamNow] = []
    own: list[Occurrence] = []
    for team in teams:
        if started.get(team):
            current: OnShift | None = _by_hand(team, started[team][0])
        else:
            still = [o for o in running[team] if (team, o.key) not in ended]
            current = _on_rota(team, still[-1] if still else None)
        ahead = [o for o in held[team] if o.start > now]
        upcoming = next((o for o in ahead if o.start < now + NEXT_SHIFT_WINDOW), None)
        result.append(TeamNow(team, current, upcoming))
        mine = next((o for o in ahead if o.start < now + horizon and o.person == user), None)
        if mine is not None:
            own.append(mine)
    return Overview(result, min(own, key=lambda o: o.start) if own else None)


def _active_sessions_of(session: Session, teams: list[str], now: datetime) -> dict[str, list[ShiftSession]]:
    """_active_sessions of every one of `teams`, in one query."""
    found: dict[str, list[ShiftSession]] = {}
    if not teams:
        return found
    rows = session.scalars(
        select(ShiftSession)
        .where(
            ShiftSession.team.in_(teams),
            ShiftSession.started_at <= now,
            ShiftSession.ended_at.is_(None),
            or_(ShiftSession.ends_at.is_(None), ShiftSession.ends_at > now),
        )
        .order_by(ShiftSession.started_at.desc(), ShiftSession.id.desc())
    )
    for row in rows:
        found.setdefault(row.team, []).append(row)
    return found


def _ended_early(session: Session, running: list[Occurrence]) -> set[tuple[str, str]]:
    """Which of the `running` occurrences (of any team) their person ended early: (team, key)."""
    if not running:
        return set()
    rows = session.execute(
        select(ShiftEarlyEnd.team, ShiftEarlyEnd.occurrence).where(
            ShiftEarlyEnd.team.in_(sorted({o.team for o in running})),
            ShiftEarlyEnd.occurrence.in_(sorted({o.key for o in running})),
        )
    )
    return {(team, key) for team, key in rows}


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
    running = [o for o in occurrences(session, config, team, now, now + _TICK) if o.start <= now < o.end]
    if running:
        until: datetime | None = running[-1].end
    else:
        upcoming = next_occurrence(session, config, team, now)
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
        TeamStatus(team, on_shift(session, config, team, now), next_occurrence(session, config, team, now))
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


# -- overrides: swaps and time away -------------------------------------------------------------
@dataclass(frozen=True)
class ChangeOfHands:
    """A shift under way that passes to someone else now (a swap taken, time away): the rest of it
    is handed over as at a shift change. `key` names this change, so that however often it is
    attempted (a retried command, two requests at once) one handoff is written for it."""

    team: str
    shift: str | None
    from_user: str
    to_user: str
    key: str


_KEY_LIMIT = 200  # handoffs.boundary_key's length


def _change_key(*parts: object) -> str:
    key = "takeover:" + ":".join(str(p) for p in parts)
    if len(key) <= _KEY_LIMIT:
        return key
    return "takeover:" + hashlib.sha256(key.encode()).hexdigest()


def _latest_cover(session: Session, occurrence: Occurrence) -> int:
    """The id of the latest override that gave `occurrence` to someone (0: nobody, the rota's
    person holds it). A change made from that state is keyed by it: two requests that both start
    from it make the same change, and a later change (the shift given back, then away again)
    starts from another."""
    found = session.scalar(
        select(func.max(ShiftOverride.id)).where(
            ShiftOverride.team == occurrence.team,
            ShiftOverride.shift == occurrence.shift,
            ShiftOverride.first_day == occurrence.day,
            ShiftOverride.to_user.is_not(None),
        )
    )
    return int(found or 0)


def _on_shift_as(session: Session, config: TeamConfig, user: str, now: datetime) -> dict[str, OnShift]:
    """The teams `user` is on shift for at `now`."""
    found = {}
    for team in config.team_names():
        current = on_shift(session, config, team, now)
        if current is not None and current.user == user:
            found[team] = current
    return found


SWAP_EXAMPLE = "/shift swap 2026-03-02"
AWAY_EXAMPLE = "/shift away 2026-03-02..2026-03-06"
MAX_AWAY_DAYS = 366


def _overrides_between(session: Session, first: date, last: date) -> list[ShiftOverride]:
    return list(
        session.scalars(
            select(ShiftOverride)
            .where(ShiftOverride.first_day <= last, ShiftOverride.last_day >= first)
            .order_by(ShiftOverride.id)
        )
    )


def _is_away(ranges: list[ShiftOverride], user: str, day: date) -> bool:
    return any(a.from_user == user and a.first_day <= day <= a.last_day for a in ranges)


def _absences(rows: list[ShiftOverride]) -> list[ShiftOverride]:
    return [r for r in rows if r.kind == OverrideKind.AWAY and r.team is None]


def _cover(config: TeamConfig, occurrence: Occurrence, ranges: list[ShiftOverride], day: date) -> str | None:
    """The next member of the shift's rotation after its holder who is not away on `day`."""
    members = next(s.members for s in team_shifts(config, occurrence.team) if s.name == occurrence.shift)
    start = members.index(occurrence.person) if occurrence.person in members else -1
    for step in range(1, len(members) + 1):
        candidate = members[(start + step) % len(members)]
        if candidate != occurrence.person and not _is_away(ranges, candidate, day):
            return candidate
    return None


def with_overrides(session: Session, config: TeamConfig, found: list[Occurrence]) -> list[Occurrence]:
    """Who holds each occurrence: the one the latest override of it names (a swap's taker, or who
    covers for a person away), else its rota person."""
    if not found:
        return found
    return _overridden(found, _overrides_between(session, min(o.day for o in found), max(o.day for o in found)))


def _overridden(found: list[Occurrence], rows: list[ShiftOverride]) -> list[Occurrence]:
    """`found` held as the override rows (covering their days, in id order) say."""
    holders = {(r.team, r.shift, r.first_day): r.to_user for r in rows if r.team is not None and r.to_user is not None}
    if not holders:
        return found
    result = []
    for occurrence in found:
        holder = holders.get((occurrence.team, occurrence.shift, occurrence.day), occurrence.person)
        if holder != occurrence.person:
            occurrence = replace(occurrence, person=holder, covers_for=occurrence.person)
        result.append(occurrence)
    return result


def holder_of(session: Session, config: TeamConfig, occurrence: Occurrence) -> Occurrence:
    return with_overrides(session, config, [occurrence])[0]


def away_on(session: Session, users: list[str], day: date) -> set[str]:
    """Which of `users` are away (`/shift away`) on `day`."""
    if not users:
        return set()
    return set(
        session.scalars(
            select(ShiftOverride.from_user).where(
                ShiftOverride.kind == OverrideKind.AWAY,
                ShiftOverride.from_user.in_(users),
                ShiftOverride.first_day <= day,
                ShiftOverride.last_day >= day,
            )
        )
    )


def _held_on(session: Session, config: TeamConfig, user: str, day: date) -> list[Occurrence]:
    """The occurrences starting on `day` (team time) that `user` holds, in start order."""
    start = to_instant(datetime.combine(day, time()), config.tz)
    end = to_instant(datetime.combine(day + timedelta(days=1), time()), config.tz)
    held = [
        o
        for team in config.team_names()
        for o in occurrences(session, config, team, start, end)
        if o.day == day and o.person == user
    ]
    return sorted(held, key=lambda o: (o.start, o.team, o.shift))


@dataclass(frozen=True)
class SwapAsked:
    override: ShiftOverride
    occurrence: Occurrence


def ask_swap(
    session: Session, config: TeamConfig, user: str, day_word: str, asked: str | None, now: datetime
) -> SwapAsked:
    """`/shift swap DATE [@person]`: asks for cover of the user's shift that starts that day."""
    day = dates.parse_date(day_word, now.astimezone(config.tz).date(), example=SWAP_EXAMPLE)
    if asked == user:
        raise BadInput("You cannot ask yourself to cover your shift; name someone else, or nobody.", SWAP_EXAMPLE)
    held = [o for o in _held_on(session, config, user, day) if o.end > now]
    if not held:
        upcoming = next_shift_of(session, config, user, now)
        hint = f"/shift swap {upcoming.day.isoformat()}" if upcoming else SWAP_EXAMPLE
        raise BadInput(f"You do not hold a shift that starts on {day.isoformat()}.", hint)
    occurrence = held[0]
    open_swap = session.scalar(
        select(ShiftOverride.id).where(
            ShiftOverride.kind == OverrideKind.SWAP,
            ShiftOverride.team == occurrence.team,
            ShiftOverride.shift == occurrence.shift,
            ShiftOverride.first_day == day,
            ShiftOverride.from_user == user,
            ShiftOverride.to_user.is_(None),
        )
    )
    if open_swap is not None:
        raise Conflict(f"You already asked for cover of that shift (swap #{open_swap}); wait for a taker.")
    override = ShiftOverride(
        kind=OverrideKind.SWAP,
        team=occurrence.team,
        shift=occurrence.shift,
        first_day=day,
        last_day=day,
        from_user=user,
        asked_user=asked,
        created_at=now,
    )
    session.add(override)
    session.flush()
    return SwapAsked(override, occurrence)


@dataclass(frozen=True)
class SwapTaken:
    override: ShiftOverride
    occurrence: Occurrence  # as held now, by the taker
    running: bool  # the shift is in progress
    change: ChangeOfHands | None = None  # its giver was on shift: it changes hands now


def take_swap(session: Session, config: TeamConfig, number: int, user: str, now: datetime) -> SwapTaken:
    """The **Take shift** button: one taker, however many click at once (the row is locked, and
    the update only applies while nobody has taken it)."""
    override = session.get(ShiftOverride, number, with_for_update=True)
    if override is None or override.kind != OverrideKind.SWAP:
        raise NotFound(f"There is no swap #{number}.")
    if override.from_user == user:
        raise BadInput("This is your own swap; someone else takes it.")
    if override.to_user is not None:
        raise Conflict(f"<@{override.to_user}> already took this shift.")
    if override.asked_user is not None and override.asked_user != user:
        raise NotAllowed(f"This swap asks <@{override.asked_user}> to cover; only they may take it.")
    occurrence = _occurrence_of_swap(session, config, override)
    if occurrence is None or occurrence.end <= now:
        raise Conflict("This shift is over; there is nothing left to take.")
    if occurrence.person != override.from_user:
        raise Conflict(f"<@{override.from_user}> no longer holds this shift; <@{occurrence.person}> does.")
    before = on_shift(session, config, occurrence.team, now)
    prior = _latest_cover(session, occurrence)
    won = session.execute(
        update(ShiftOverride)
        .where(ShiftOverride.id == number, ShiftOverride.to_user.is_(None))
        .values(to_user=user, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        raise Conflict("Someone else took this shift a moment ago.")
    session.refresh(override)
    held = _occurrence_of_swap(session, config, override)
    assert held is not None
    change = None
    after = on_shift(session, config, held.team, now)
    if before is not None and before.user == override.from_user and after is not None and after.user == user:
        change = ChangeOfHands(held.team, held.shift, override.from_user, user, _change_key(held.team, held.key, prior))
    return SwapTaken(override, held, held.start <= now < held.end, change)


def _occurrence_of_swap(session: Session, config: TeamConfig, override: ShiftOverride) -> Occurrence | None:
    assert override.team is not None
    shift = next((s for s in team_shifts(config, override.team) if s.name == override.shift), None)
    if shift is None:
        return None
    return holder_of(session, config, occurrence_of(config, shift, override.first_day))


@dataclass(frozen=True)
class AwayNoted:
    absence: ShiftOverride
    covered: list[Occurrence]  # the person's shifts on those days, now held by others
    uncovered: list[Occurrence]  # theirs still: every other member of the rotation is away too
    # Shifts under way that the person held and that pass to someone else now.
    changes: list[ChangeOfHands] = field(default_factory=list)
    # Teams whose shift the person started by hand and still holds: nobody on the rota takes it.
    still_on: list[str] = field(default_factory=list)


def away(session: Session, config: TeamConfig, user: str, range_word: str, now: datetime) -> AwayNoted:
    """`/shift away FROM[..TO]` (days, team time, both included). The absence keeps escalations
    from being assigned to the person and rotations from choosing them as cover; each of their
    shifts on those days goes to the next member of its rotation who is not away, recorded as an
    override of that occurrence (as a swap taken would be). When the days include today, the
    person is away from now on: a shift of theirs under way (even one that began the day before)
    passes now to whoever covers it, and a shift they started by hand goes back to the rota's
    person; each such change is returned, for its handoff."""
    first_word, _, last_word = range_word.partition("..")
    today = now.astimezone(config.tz).date()
    first = dates.parse_date(first_word, today, example=AWAY_EXAMPLE)
    last = dates.parse_date(last_word, today, example=AWAY_EXAMPLE) if last_word else first
    if last < first:
        raise BadInput(f"The range ends ({last}) before it starts ({first}); put the earlier day first.", AWAY_EXAMPLE)
    if last < today:
        raise BadInput(f"{last} is in the past; name days to come.", AWAY_EXAMPLE)
    if (last - first).days >= MAX_AWAY_DAYS:
        raise BadInput(f"That is more than {MAX_AWAY_DAYS} days; name a shorter range.", AWAY_EXAMPLE)
    away_now = first <= today <= last
    was_on = _on_shift_as(session, config, user, now)
    absence = ShiftOverride(kind=OverrideKind.AWAY, first_day=first, last_day=last, from_user=user, created_at=now)
    session.add(absence)
    session.flush()
    ranges = _absences(_overrides_between(session, first, last))
    found = _all_occurrences(session, config, first, last)
    if away_now:
        for team in config.team_names():
            running = rota_on_shift(session, config, team, now)
            if running is not None and running.person == user and running.day < first:
                found.append(running)  # a night shift that began before the days away
    covered, uncovered = [], []
    priors: dict[tuple[str, str], int] = {}
    for occurrence in found:
        if occurrence.person != user or occurrence.end <= now:
            continue
        cover = _cover(config, occurrence, ranges, max(occurrence.day, first))
        if cover is None:
            uncovered.append(occurrence)
            continue
        priors[(occurrence.team, occurrence.key)] = _latest_cover(session, occurrence)
        session.add(
            ShiftOverride(
                kind=OverrideKind.AWAY,
                team=occurrence.team,
                shift=occurrence.shift,
                first_day=occurrence.day,
                last_day=occurrence.day,
                from_user=user,
                to_user=cover,
                created_at=now,
                taken_at=now,
            )
        )
        covered.append(replace(occurrence, person=cover, covers_for=user))
    session.flush()
    changes, still_on = [], []
    for team, before in was_on.items():
        if before.source == ShiftSource.MANUAL:
            if not away_now:
                continue
            key = _give_back_by_hand(session, config, team, user, today, now)
            if key is None:
                still_on.append(team)
                continue
        else:
            assert before.occurrence is not None
            key = _change_key(team, before.occurrence.key, priors.get((team, before.occurrence.key), 0))
        after = on_shift(session, config, team, now)
        if after is not None and after.user != user:
            changes.append(ChangeOfHands(team, after.shift, user, after.user, key))
    return AwayNoted(absence, covered, uncovered, changes, still_on)


def _give_back_by_hand(
    session: Session, config: TeamConfig, team: str, user: str, today: date, now: datetime
) -> str | None:
    """Ends the shift `user` started by hand, giving it back to the rota's person when there is one
    (not `user`, not away); the change's key, or None when it stays theirs (or another request
    ended it a moment ago)."""
    rota = rota_on_shift(session, config, team, now)
    if rota is None or rota.person == user or away_on(session, [rota.person], today):
        return None
    started = next((s for s in _active_sessions(session, team, now) if s.user_id == user), None)
    if started is None:
        return None
    ended = session.execute(
        update(ShiftSession)
        .where(ShiftSession.id == started.id, ShiftSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:
        return None
    return _change_key(team, "session", started.id)


def _all_occurrences(session: Session, config: TeamConfig, first: date, last: date) -> list[Occurrence]:
    start = to_instant(datetime.combine(first, time()), config.tz)
    end = to_instant(datetime.combine(last + timedelta(days=1), time()), config.tz)
    return [
        o
        for team in config.team_names()
        for o in occurrences(session, config, team, start, end)
        if first <= o.day <= last
    ]


def next_shift_of(session: Session, config: TeamConfig, user: str, now: datetime) -> Occurrence | None:
    """The person's next shift to start (within five weeks)."""
    mine = [
        o
        for team in config.team_names()
        for o in occurrences(session, config, team, now, now + timedelta(days=35))
        if o.person == user and o.start > now
    ]
    return min(mine, key=lambda o: o.start) if mine else None


# -- reminders ----------------------------------------------------------------------------------
def shifts_to_remind(session: Session, config: TeamConfig, now: datetime) -> list[Occurrence]:
    """Every occurrence starting within `days_before` days of `now`, held by whoever holds it now.
    The selection is pure: each (occurrence, person) is told once by the outbox's dedupe key, so a
    restart, a second scheduler or a missed tick neither repeats nor loses a reminder, and whoever
    takes a swap inside the window is told too."""
    days = config.shifts_reminder.days_before
    if days <= 0:
        return []
    window_end = now + timedelta(days=days)
    return [
        o
        for team in config.team_names()
        for o in occurrences(session, config, team, now, window_end)
        if now < o.start <= window_end
    ]


# -- export -------------------------------------------------------------------------------------
def export_overrides(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    """One row per occurrence that changed hands or is asked to: swaps (`to_user` empty until
    taken) and the shifts of people away, with who covers."""
    query = since_filter(
        select(ShiftOverride).where(ShiftOverride.team.is_not(None)).order_by(ShiftOverride.id),
        ShiftOverride.created_at,
        since,
    )
    return [
        {
            "id": row.id,
            "team": row.team,
            "shift": row.shift,
            "date": row.first_day.isoformat(),
            "from_user": row.from_user,
            "to_user": row.to_user,
            "kind": row.kind,
            "created_at": iso(row.created_at),
            "taken_at": iso(row.taken_at),
        }
        for row in session.scalars(query)
    ]


def export_absences(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    """`/shift away` ranges, as entered."""
    query = since_filter(
        select(ShiftOverride)
        .where(ShiftOverride.kind == OverrideKind.AWAY, ShiftOverride.team.is_(None))
        .order_by(ShiftOverride.id),
        ShiftOverride.created_at,
        since,
    )
    return [
        {
            "id": row.id,
            "user": row.from_user,
            "first_day": row.first_day.isoformat(),
            "last_day": row.last_day.isoformat(),
            "created_at": iso(row.created_at),
        }
        for row in session.scalars(query)
    ]
