"""The publishing calendar as an iCalendar file (RFC 5545, written by the icalendar library): the
file behind `teambot export --format ics` and the `GET /calendar.ics` feed.

A calendar file is its header, its events one after the other, and `END:VCALENDAR`; icalendar
writes each event's lines on their own, so an event serialized alone is byte for byte what it is
inside the whole calendar. Each event is therefore serialized once and kept (bytes, in a bounded
LRU keyed by every value that goes into it): the feed, fetched again and again by calendar apps,
only rebuilds the events that changed since, and an export is the rows read in one streamed
query plus a join of cached bytes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.core.text import as_written
from bot.features.approvals.models import Draft
from bot.features.calendar.models import CalendarNote, Plan

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
# A year of a busy team is about 26,000 account slots (some 12 MB of events); beyond this the
# least recently exported events are serialized again when next asked for.
CACHED_POST_EVENTS = 40_000
CACHED_NOTE_EVENTS = 2_000
# Rows fetched from the database at a time (PostgreSQL streams them through a server-side cursor).
ROWS_PER_FETCH = 2_000


@lru_cache(maxsize=1)
def header() -> bytes:
    """`BEGIN:VCALENDAR` and the calendar's own properties."""
    feed = Calendar()
    feed.add("prodid", "-//teambot//publishing calendar//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", "Publishing calendar")
    whole = feed.to_ical()
    assert whole.endswith(FOOTER)
    return whole[: -len(FOOTER)]


@lru_cache(maxsize=CACHED_POST_EVENTS)
def post_event(
    draft_id: int,
    account: str,
    slot: datetime,
    planned_at: datetime | None,
    summary: str,
    status: str,
    channel: str,
    ts: str,
) -> bytes:
    """One planned post on one account: a 15-minute event starting at the slot (UTC), its UID
    `draft-N-ACCOUNT@teambot` stable across exports."""
    event = Event()
    event.add("uid", f"draft-{draft_id}-{account}@teambot")
    event.add("dtstamp", planned_at or OLD_PLAN_STAMP)
    event.add("dtstart", slot)
    event.add("dtend", slot + EVENT_LENGTH)
    event.add("summary", f"[{account}] #{draft_id} {as_written(summary)}".strip())
    event.add("status", ICS_STATUS.get(status, "TENTATIVE"))
    event.add("url", f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}")
    return event.to_ical()


@lru_cache(maxsize=CACHED_NOTE_EVENTS)
def note_event(note_id: int, created_at: datetime, start: date, end: date, blackout: bool, text: str) -> bytes:
    """A calendar note: an all-day event over its days that keeps the time free."""
    event = Event()
    event.add("uid", f"note-{note_id}@teambot")
    event.add("dtstamp", created_at)
    event.add("dtstart", start)
    event.add("dtend", end + timedelta(days=1))
    event.add("summary", ("⛔ Blackout: " if blackout else "") + as_written(text))
    event.add("transp", "TRANSPARENT")
    return event.to_ical()


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


def events(session: Session) -> Iterator[bytes]:
    """Every planned post and account (by slot, then draft), then every note (by start): each
    event's bytes, read from streamed rows."""
    posts = planned_posts().execution_options(yield_per=ROWS_PER_FETCH)
    for draft_id, slot, accounts, summary, planned_at, status, channel, ts in session.execute(posts):
        for account in accounts.split(","):
            yield post_event(draft_id, account, slot, planned_at, summary, status, channel, ts)
    notes = (
        select(
            CalendarNote.id,
            CalendarNote.created_at,
            CalendarNote.start,
            CalendarNote.end,
            CalendarNote.blackout,
            CalendarNote.text,
        )
        .order_by(CalendarNote.start, CalendarNote.id)
        .execution_options(yield_per=ROWS_PER_FETCH)
    )
    for row in session.execute(notes):
        yield note_event(*row)


def to_ical(session: Session) -> bytes:
    """The whole calendar file: header, every event, footer."""
    return b"".join([header(), *events(session), FOOTER])
