"""The iCalendar file on a seeded calendar: byte for byte what one icalendar `Calendar` holding
every event writes, before and after changes (an event is serialized again only when something
in it changed), and readable by icalendar."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar, Event
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.app import calendar_ics
from bot.core.db import make_session_factory
from bot.core.text import as_written
from bot.features.approvals.models import Draft
from bot.features.calendar import ics
from bot.features.calendar.models import CalendarNote, Plan, PlanAccount

ACCOUNTS = ["instagram", "x", "linkedin", "tiktok", "nw-instagram"]
STATUSES = ["pending", "changes_requested", "approved", "published", "withdrawn", "rejected", "expired", "odd"]
SUMMARIES = [
    "Winter &amp; snow",
    "&lt;!channel&gt; look at this",
    "Ünnepi ajánlat: 20% kedvezmény, csak ma; ne hagyd ki! ☃",
    "A long post about the season, the team and the launch of the product line, with commas, "
    "semicolons; backslashes \\ and more words than fit on one folded line of an iCalendar file",
    "",
    "<@U0ANNA> and <https://acme.test/p|the page>",
]


def one_calendar(session: Session) -> bytes:
    """The file as one icalendar `Calendar` holding every event, serialized in one go."""
    feed = Calendar()
    feed.add("prodid", "-//teambot//publishing calendar//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", "Publishing calendar")
    rows = session.execute(ics.planned_posts())
    for draft_id, slot, accounts, summary, planned_at, status, channel, ts in rows:
        for account in accounts.split(","):
            event = Event()
            event.add("uid", f"draft-{draft_id}-{account}@teambot")
            event.add("dtstamp", planned_at or datetime(2000, 1, 1, tzinfo=UTC))
            event.add("dtstart", slot)
            event.add("dtend", slot + timedelta(minutes=15))
            event.add("summary", f"[{account}] #{draft_id} {as_written(summary)}".strip())
            event.add("status", ics.ICS_STATUS.get(status, "TENTATIVE"))
            event.add("url", f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}")
            feed.add_component(event)
    for note in session.scalars(select(CalendarNote).order_by(CalendarNote.start, CalendarNote.id)):
        event = Event()
        event.add("uid", f"note-{note.id}@teambot")
        event.add("dtstamp", note.created_at)
        event.add("dtstart", note.start)
        event.add("dtend", note.end + timedelta(days=1))
        event.add("summary", ("⛔ Blackout: " if note.blackout else "") + as_written(note.text))
        event.add("transp", "TRANSPARENT")
        feed.add_component(event)
    return feed.to_ical()


def seed(session: Session, posts: int = 80, notes: int = 12) -> None:
    rng = random.Random(5)
    start = datetime(2026, 3, 1, 6, tzinfo=UTC)
    for draft_id in range(1, posts + 1):
        slot = start + timedelta(minutes=15 * rng.randrange(60 * 96))
        created = slot - timedelta(days=3)
        session.add(
            Draft(
                id=draft_id,
                channel="C0DRAFTS",
                ts=f"{1_760_000_000 + draft_id}.000100",
                author="U0ANNA",
                text="…",
                files_signature="",
                status=rng.choice(STATUSES),
                current_step=0,
                current_role="content_manager",
                chain="content_manager,strategist",
                created_at=created,
                updated_at=created,
                step_started_at=created,
            )
        )
        accounts = rng.sample(ACCOUNTS, rng.choice((1, 1, 2, 3)))
        session.add(
            Plan(
                draft_id=draft_id,
                accounts=",".join(accounts),
                # One in ten is not on a day yet.
                slot=None if draft_id % 10 == 0 else slot,
                summary=rng.choice(SUMMARIES),
                links="",
                planned_by="U0ANNA",
                planned_at=slot - timedelta(days=2, minutes=draft_id),
            )
        )
        session.add_all(PlanAccount(draft_id=draft_id, account=a, slot=slot) for a in accounts)
    for n in range(1, notes + 1):
        first = date(2026, 3, 1) + timedelta(days=rng.randrange(60))
        session.add(
            CalendarNote(
                id=n,
                start=first,
                end=first + timedelta(days=rng.choice((0, 1, 4))),
                blackout=n % 3 == 0,
                text=rng.choice(SUMMARIES) or "Launch",
                by="U0CONTENT",
                created_at=datetime(2026, 2, 1, 12, n, tzinfo=UTC),
            )
        )
    session.commit()


@pytest.fixture
def session(engine: Engine):
    ics.post_event.cache_clear()
    ics.note_event.cache_clear()
    with make_session_factory(engine)() as session:
        seed(session)
        yield session


def test_the_file_is_what_one_calendar_writes_and_parses_back(session):
    written = calendar_ics(session)
    assert written == one_calendar(session)
    assert written.startswith(b"BEGIN:VCALENDAR\r\n") and written.endswith(b"END:VCALENDAR\r\n")
    parsed = Calendar.from_ical(written)
    planned = session.scalars(select(Plan).where(Plan.slot.is_not(None))).all()
    uids = [str(e["uid"]) for e in parsed.walk("VEVENT")]
    assert len(uids) == len(set(uids)) == sum(len(p.account_names()) for p in planned) + 12
    assert any(len(line) > 75 for line in written.replace(b"\r\n ", b"").split(b"\r\n"))  # folding was exercised
    assert calendar_ics(session) == written  # served again from the kept events


def test_changed_rows_are_serialized_again_and_only_they(session):
    calendar_ics(session)
    before = ics.post_event.cache_info()
    draft = session.get(Draft, 1)
    plan = session.get(Plan, 1)
    assert plan.slot is not None
    draft.status = "withdrawn" if draft.status != "withdrawn" else "approved"
    second = session.get(Plan, 2)
    second.slot = second.slot + timedelta(hours=1)
    second.summary = "Moved &amp; renamed"
    note = session.get(CalendarNote, 1)
    note.text, note.blackout = "Changed <!here>", not note.blackout
    session.commit()

    written = calendar_ics(session)

    assert written == one_calendar(session)
    after = ics.post_event.cache_info()
    assert after.misses - before.misses == len(plan.account_names()) + len(second.account_names())
    assert b"Moved & renamed" in written.replace(b"\r\n ", b"") and b"Changed <!here>" in written


def test_an_empty_calendar_is_header_and_footer(engine):
    with make_session_factory(engine)() as session:
        written = calendar_ics(session)
        assert written == one_calendar(session)
    assert list(Calendar.from_ical(written).walk("VEVENT")) == []
