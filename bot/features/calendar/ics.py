"""The publishing calendar as an iCalendar file (RFC 5545, written by the icalendar library): the
file behind `teambot export --format ics` and the `GET /calendar.ics` feed.

A calendar file is its header, its events one after the other, and `END:VCALENDAR`; icalendar
writes each event's lines on their own, so an event serialized alone is byte for byte what it is
inside the whole calendar. Serializing is nearly all the cost of the file (a year of a busy team
is some 26,000 events), so the events of each planned post (one per account) and of each note
are kept in the database (`calendar_ics_events`) with a fingerprint of the row they were made of.
An export reads the calendar's rows, takes a row's kept bytes only where the row still gives the
same fingerprint, and serializes any other row's events afresh, keeping them for the next export.
Whatever changed a row (a re-plan, an approval, a withdrawal, an edit, a job, a bulk UPDATE), it
no longer matches its kept bytes: stale bytes are never served, and no code path that changes a
draft, a plan or a note has to remember to refresh them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import icalendar
from icalendar import Calendar, Event, vDDDTypes, vText, vUri
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.db import lock_name, transaction, upsert_many
from bot.core.text import as_written
from bot.features.approvals.models import Draft
from bot.features.calendar.models import CalendarNote, KeptEvents, Plan

log = logging.getLogger(__name__)

ICS_STATUS = {
    "pending": "TENTATIVE",
    "changes_requested": "TENTATIVE",
    "on_hold": "TENTATIVE",
    "approved": "CONFIRMED",
    "published": "CONFIRMED",
    "withdrawn": "CANCELLED",
    "rejected": "CANCELLED",
    "expired": "CANCELLED",
}
EVENT_LENGTH = timedelta(minutes=15)
# DTSTAMP of a plan made before `planned_at` was kept: fixed, so the file stays the same.
OLD_PLAN_STAMP = datetime(2000, 1, 1, tzinfo=UTC)
FOOTER = b"END:VCALENDAR\r\n"
# A row of `planned_posts` or `calendar_notes`, or the values a fingerprint is made of.
Row = tuple[Any, ...]
# Kept events written or removed per statement.
KEPT_PER_STATEMENT = 500


class PostEvent(NamedTuple):
    """One planned post on one account: a 15-minute event starting at the slot (UTC), its UID
    `draft-N-ACCOUNT@teambot` stable across exports."""

    uid: str
    stamp: datetime
    start: datetime
    summary: str
    status: str
    url: str


class NoteEvent(NamedTuple):
    """A calendar note: an all-day event over its days that keeps the time free."""

    uid: str
    stamp: datetime
    first_day: date
    last_day: date
    summary: str


def serialize(event: PostEvent | NoteEvent) -> bytes:
    """The event's VEVENT as icalendar writes it. The values are given as icalendar's own property
    types, which is what `Event.add` would infer for them, without its per-call inference."""
    component = Event()
    component["UID"] = vText(event.uid)
    component["DTSTAMP"] = vDDDTypes(event.stamp)
    if isinstance(event, PostEvent):
        component["DTSTART"] = vDDDTypes(event.start)
        component["DTEND"] = vDDDTypes(event.start + EVENT_LENGTH)
        component["SUMMARY"] = vText(event.summary)
        component["STATUS"] = vText(event.status)
        component["URL"] = vUri(event.url)
    else:
        component["DTSTART"] = vDDDTypes(event.first_day)
        component["DTEND"] = vDDDTypes(event.last_day + timedelta(days=1))
        component["SUMMARY"] = vText(event.summary)
        component["TRANSP"] = vText("TRANSPARENT")
    return component.to_ical()


@lru_cache(maxsize=1)
def header() -> bytes:
    """`BEGIN:VCALENDAR` and the calendar's own properties, as icalendar writes them for a calendar
    with no event (its serialization without the closing line)."""
    feed = Calendar()
    feed.add("prodid", "-//teambot//publishing calendar//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", "Publishing calendar")
    whole = feed.to_ical()
    if not whole.endswith(FOOTER):
        raise RuntimeError(f"icalendar {icalendar.__version__} ends an empty calendar with {whole[-40:]!r}")
    return whole[: -len(FOOTER)]


@lru_cache(maxsize=1)
def writer() -> bytes:
    """What, besides a row's values, decides its events' bytes: the icalendar version and this
    module's way of making events of rows, the latter seen through samples (a post on two
    accounts, a note, a blackout, with text that needs escaping and folding). Part of every
    fingerprint, so after an upgrade or a change of layout every kept event is serialized again."""
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = "Ünnepi ajánlat, 20%; &lt;!channel&gt; \\ " + "a long line to be folded " * 4
    digest = hashlib.blake2b(icalendar.__version__.encode(), digest_size=16)
    digest.update(post_events((1, stamp, "x,instagram", text, stamp, "approved", "C1", "1.2")))
    digest.update(note_events((1, stamp, stamp.date(), stamp.date(), False, text + "\nsecond line")))
    digest.update(note_events((2, stamp, stamp.date(), stamp.date(), True, "Launch")))
    digest.update(header())
    return digest.digest()


def fingerprint(values: Row) -> str:
    """A digest of the values the events are made of and of what writes them. Each value is taken
    as its text (a datetime's ISO form, whatever class the driver gave it), the texts quoted so
    that no two tuples read the same."""
    text = repr(tuple(str(value) for value in values))
    return hashlib.blake2b(writer() + text.encode(), digest_size=16).hexdigest()


def post_event(
    draft_id: int,
    account: str,
    slot: datetime,
    planned_at: datetime | None,
    summary: str,
    status: str,
    channel: str,
    ts: str,
) -> PostEvent:
    return PostEvent(
        uid=f"draft-{draft_id}-{account}@teambot",
        stamp=planned_at or OLD_PLAN_STAMP,
        start=slot,
        summary=f"[{account}] #{draft_id} {as_written(summary)}".strip(),
        status=ICS_STATUS.get(status, "TENTATIVE"),
        url=f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}",
    )


def post_events(row: Row) -> bytes:
    """The events of a planned post (a `planned_posts` row): one per account, as written."""
    draft_id, slot, accounts, summary, planned_at, status, channel, ts = row
    return b"".join(
        serialize(post_event(draft_id, account, slot, planned_at, summary, status, channel, ts))
        for account in accounts.split(",")
    )


def note_event(note_id: int, created_at: datetime, start: date, end: date, blackout: bool, text: str) -> NoteEvent:
    return NoteEvent(
        uid=f"note-{note_id}@teambot",
        stamp=created_at,
        first_day=start,
        last_day=end,
        summary=("⛔ Blackout: " if blackout else "") + as_written(text),
    )


def note_events(row: Row) -> bytes:
    """The event of a note (a `calendar_notes` row)."""
    return serialize(note_event(*row))


def planned_posts() -> Select[Any]:
    """Every planned post with what its events are made of, by slot, then draft."""
    return (
        select(
            Plan.draft_id,
            Plan.slot,
            Plan.accounts,
            Plan.summary,
            Plan.planned_at,
            Draft.status,
            Draft.channel,
            Draft.ts,
        )
        .join(Draft, Draft.id == Plan.draft_id)
        .where(Plan.slot.is_not(None))
        .order_by(Plan.slot, Plan.draft_id)
    )


def calendar_notes() -> Select[Any]:
    """Every note with what its event is made of, by first day."""
    return select(
        CalendarNote.id,
        CalendarNote.created_at,
        CalendarNote.start,
        CalendarNote.end,
        CalendarNote.blackout,
        CalendarNote.text,
    ).order_by(CalendarNote.start, CalendarNote.id)


@dataclass
class Contents:
    """The calendar's rows in the file's order (planned posts by slot, then draft; notes by first
    day) and the bytes kept, by source (`draft-N` for a post's events, `note-N`), with their
    fingerprints."""

    posts: list[Row]
    notes: list[Row]
    kept: dict[str, tuple[str, bytes]]


def read(session: Session) -> Contents:
    """Three statements: the planned posts, the notes and the kept bytes."""
    posts = [tuple(row) for row in session.execute(planned_posts())]
    notes = [tuple(row) for row in session.execute(calendar_notes())]
    kept = session.execute(select(KeptEvents.source, KeptEvents.fingerprint, KeptEvents.ical))
    return Contents(posts, notes, {source: (digest, ical) for source, digest, ical in kept})


@dataclass
class CalendarFile:
    """The file, and what of it is to be kept."""

    content: bytes
    # Events serialized afresh (source, fingerprint, bytes) and kept sources no longer in the
    # calendar, both in source order.
    serialized: list[tuple[str, str, bytes]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def assemble(contents: Contents) -> CalendarFile:
    """The whole file: header, every post's and note's events (their kept bytes where the row
    still gives the same fingerprint, else serialized now), footer."""
    gone = dict(contents.kept)
    serialized: dict[str, tuple[str, bytes]] = {}
    parts = [header()]
    for source, values, make_events, row in _sources(contents):
        digest = fingerprint(values)
        stored = gone.pop(source, None)
        if stored is not None and stored[0] == digest:
            parts.append(stored[1])
        else:
            ical = make_events(row)
            serialized[source] = (digest, ical)
            parts.append(ical)
    parts.append(FOOTER)
    fresh = [(source, digest, ical) for source, (digest, ical) in sorted(serialized.items())]
    return CalendarFile(b"".join(parts), fresh, sorted(gone))


def _sources(contents: Contents) -> Iterator[tuple[str, Row, Callable[[Row], bytes], Row]]:
    """Each planned post, then each note, in the file's order: its source, the values of its
    fingerprint, how its events are made, and its row."""
    for row in contents.posts:
        draft_id, slot, accounts, summary, planned_at, status, channel, ts = row
        # The status as the file shows it: approved → published changes nothing there.
        shown = (draft_id, slot, accounts, summary, planned_at, ICS_STATUS.get(status, "TENTATIVE"), channel, ts)
        yield f"draft-{draft_id}", shown, post_events, row
    for row in contents.notes:
        yield f"note-{row[0]}", row, note_events, row


def keep(session: Session, calendar: CalendarFile) -> None:
    """Keep what `assemble` serialized afresh and forget events the calendar no longer holds. Two
    exports at once keep one after the other; either's bytes are right for the values they were
    made of, and the fingerprint decides at the next export."""
    lock_name(session, "calendar_ics_events")
    for sources in _chunks(calendar.gone):
        session.execute(delete(KeptEvents).where(KeptEvents.source.in_(sources)))
    rows = [{"source": source, "fingerprint": digest, "ical": ical} for source, digest, ical in calendar.serialized]
    for chunk in _chunks(rows):
        upsert_many(session, KeptEvents, chunk)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), KEPT_PER_STATEMENT):
        yield items[start : start + KEPT_PER_STATEMENT]


def export(sessions: sessionmaker[Session]) -> bytes:
    """The file: read in one transaction, assembled outside any (SQLite's lock is not held while
    events are serialized), what was serialized kept in a second one. The file does not depend on
    keeping: if that fails, the next export serializes those events again."""
    with sessions() as session:
        contents = read(session)
    calendar = assemble(contents)
    if not calendar.serialized and not calendar.gone:
        return calendar.content
    try:
        with transaction(sessions) as session:
            keep(session, calendar)
    except SQLAlchemyError as error:
        log.warning(
            "calendar file: the events of %d posts and notes, serialized afresh, could not be kept (%s)",
            len(calendar.serialized),
            error,
        )
    return calendar.content
