"""The iCalendar file: byte for byte what one icalendar `Calendar` holding every event writes,
readable by icalendar, with user text escaped; each event's bytes kept in the database and used
only while everything the event is made of is unchanged, whatever changed it (the app's own
flows on both databases, a bulk UPDATE, another icalendar)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from freezegun import freeze_time
from icalendar import Calendar, Event
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.app import calendar_ics, run_jobs
from bot.core.config import TeamConfig
from bot.core.db import make_session_factory
from bot.core.text import as_written
from bot.features.approvals.models import Draft
from bot.features.calendar import ics
from bot.features.calendar.models import CalendarNote, KeptEvents, Plan, PlanAccount
from tests.test_calendar import calendar_config

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
    """The file as one icalendar `Calendar` holding every event, each built with `Event.add` and
    the whole serialized in one go."""
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
                text=(rng.choice(SUMMARIES) or "Launch") + ("\nsecond line, with; more" if n % 4 == 0 else ""),
                by="U0CONTENT",
                created_at=datetime(2026, 2, 1, 12, n, tzinfo=UTC),
            )
        )
    session.commit()


@pytest.fixture
def sessions(engine: Engine):
    return make_session_factory(engine)


@pytest.fixture
def seeded(sessions):
    """A seeded calendar (the export opens sessions of its own; SQLite's has one connection, so no
    test holds a session across an export)."""
    with sessions() as session:
        seed(session)
    return sessions


@pytest.fixture
def serialized(monkeypatch) -> list[str]:
    """The UIDs of the events serialized (rather than taken as kept), in order."""
    ics.writer()  # serializes its samples once per process: not events of a file
    uids: list[str] = []
    real = ics.serialize

    def counting(event):
        uids.append(event.uid)
        return real(event)

    monkeypatch.setattr(ics, "serialize", counting)
    return uids


def _kept(sessions) -> dict[str, tuple[str, bytes]]:
    with sessions() as session:
        rows = session.execute(select(KeptEvents.source, KeptEvents.fingerprint, KeptEvents.ical))
        return {source: (digest, ical) for source, digest, ical in rows}


def _reference(sessions) -> bytes:
    with sessions() as session:
        return one_calendar(session)


def _events(written: bytes) -> dict[str, Event]:
    return {str(e["uid"]): e for e in Calendar.from_ical(written).walk("VEVENT")}


def _sources(uids) -> set[str]:
    """The planned posts and notes (`draft-N`, `note-N`) the events of these UIDs come from."""
    return {"-".join(uid.removesuffix("@teambot").split("-")[:2]) for uid in uids}


# -- the file ------------------------------------------------------------------------------------
def test_the_file_is_what_one_calendar_writes_and_parses_back(seeded, serialized):
    written = calendar_ics(seeded)
    assert written == _reference(seeded)
    assert written.startswith(b"BEGIN:VCALENDAR\r\n") and written.endswith(b"END:VCALENDAR\r\n")
    with seeded() as session:
        planned = session.scalars(select(Plan).where(Plan.slot.is_not(None))).all()
    events = _events(written)
    assert len(events) == sum(len(p.account_names()) for p in planned) + 12
    assert sorted(serialized) == sorted(events)
    assert any(len(line) > 75 for line in written.replace(b"\r\n ", b"").split(b"\r\n"))  # folding was exercised
    # Every event is kept, and the next export takes them all as kept.
    assert set(_kept(seeded)) == _sources(events)
    serialized.clear()
    assert calendar_ics(seeded) == written
    assert serialized == []


def test_user_text_is_escaped_and_read_back_as_written(seeded):
    written = calendar_ics(seeded)
    events = _events(written)
    with seeded() as session:
        plans = session.scalars(select(Plan).where(Plan.slot.is_not(None))).all()
        notes = session.scalars(select(CalendarNote)).all()
    for plan in plans:
        for account in plan.account_names():
            event = events[f"draft-{plan.draft_id}-{account}@teambot"]
            assert str(event["summary"]) == f"[{account}] #{plan.draft_id} {as_written(plan.summary)}".strip()
            # DTSTAMP: when the post was (last) planned, in UTC; never the moment of the export.
            assert event.decoded("dtstamp") == plan.planned_at and event.decoded("dtstamp").utcoffset() == timedelta(0)
    for note in notes:
        summary = str(events[f"note-{note.id}@teambot"]["summary"])
        assert summary == ("⛔ Blackout: " if note.blackout else "") + as_written(note.text)
    assert any("\n" in str(events[f"note-{n.id}@teambot"]["summary"]) for n in notes)
    unfolded = written.replace(b"\r\n ", b"")
    assert b"<!channel> look at this" in unfolded and b"20% kedvezm\xc3\xa9ny\\, csak ma\\; ne" in unfolded
    assert b"\\nsecond line\\, with\\; more" in unfolded and b"backslashes \\\\ and" in unfolded


def test_an_empty_calendar_is_header_and_footer(sessions):
    written = calendar_ics(sessions)
    assert written == _reference(sessions)
    assert list(Calendar.from_ical(written).walk("VEVENT")) == []


# -- what is kept, and when it is not used ---------------------------------------------------------
def test_changed_rows_are_serialized_again_and_only_they(seeded, serialized):
    calendar_ics(seeded)
    serialized.clear()
    with seeded() as session, session.begin():
        draft = session.get(Draft, 1)
        first = session.get(Plan, 1)
        assert first.slot is not None
        draft.status = "withdrawn" if draft.status not in ("withdrawn", "rejected", "expired") else "approved"
        second = session.get(Plan, 2)
        second.slot = second.slot + timedelta(hours=1)
        second.summary = "Moved &amp; renamed"
        note = session.get(CalendarNote, 1)
        note.text, note.blackout = "Changed <!here>", not note.blackout

    written = calendar_ics(seeded)

    assert written == _reference(seeded)
    assert sorted(serialized) == sorted(
        [f"draft-1-{a}@teambot" for a in first.account_names()]
        + [f"draft-2-{a}@teambot" for a in second.account_names()]
        + ["note-1@teambot"]
    )
    assert b"Moved & renamed" in written.replace(b"\r\n ", b"") and b"Changed <!here>" in written


def test_a_status_change_that_leaves_the_event_as_it_was_serializes_nothing(seeded, serialized):
    calendar_ics(seeded)
    serialized.clear()
    with seeded() as session, session.begin():
        approved = session.scalars(
            select(Draft).join(Plan).where(Draft.status == "approved", Plan.slot.is_not(None))
        ).first()
        assert approved is not None
        approved.status = "published"  # CONFIRMED either way
    assert calendar_ics(seeded) == _reference(seeded)
    assert serialized == []


def test_rows_changed_behind_the_orm_are_never_served_stale(seeded):
    calendar_ics(seeded)
    with seeded() as session, session.begin():
        session.execute(update(Draft).values(status="rejected"))
        session.execute(text("UPDATE calendar_plans SET summary = 'Bulk; edited, <!here>'"))
        session.execute(update(CalendarNote).where(CalendarNote.id == 2).values(start=date(2026, 1, 1)))
    written = calendar_ics(seeded)
    assert written == _reference(seeded)
    events = _events(written)
    posts = [e for uid, e in events.items() if uid.startswith("draft-")]
    assert {str(e["status"]) for e in posts} == {"CANCELLED"}
    assert all(str(e["summary"]).endswith("Bulk; edited, <!here>") for e in posts)
    assert events["note-2@teambot"].decoded("dtstart") == date(2026, 1, 1)


def test_kept_bytes_that_do_not_match_are_not_served_and_are_replaced(seeded):
    written = calendar_ics(seeded)
    with seeded() as session, session.begin():
        bogus = {"fingerprint": "0" * 32, "ical": b"BOGUS"}
        session.execute(update(KeptEvents).where(KeptEvents.source.in_(["note-1", "draft-1"])).values(**bogus))
    assert calendar_ics(seeded) == written
    assert _kept(seeded)["note-1"][1] != b"BOGUS" and _kept(seeded)["draft-1"][1] != b"BOGUS"


def test_events_no_longer_in_the_calendar_are_forgotten(seeded):
    calendar_ics(seeded)
    with seeded() as session, session.begin():
        plan = session.scalars(select(Plan).where(Plan.slot.is_not(None), Plan.accounts.contains(","))).first()
        dropped = plan.account_names()[-1]
        plan.accounts = ",".join(plan.account_names()[:-1])
        session.execute(delete(CalendarNote).where(CalendarNote.id == 3))
        session.execute(delete(Draft).where(Draft.id == 4))
        session.get(Plan, 5).slot = None
    written = calendar_ics(seeded)
    assert written == _reference(seeded)
    kept = _kept(seeded)
    assert set(kept) == _sources(_events(written))
    assert "note-3" not in kept and "draft-4" not in kept and "draft-5" not in kept
    assert f"draft-{plan.draft_id}-{dropped}@teambot".encode() not in kept[f"draft-{plan.draft_id}"][1]


def test_another_icalendar_serializes_every_event_again(seeded, serialized, monkeypatch):
    written = calendar_ics(seeded)
    monkeypatch.setattr(icalendar, "__version__", icalendar.__version__ + ".post1")
    ics.writer.cache_clear()
    try:
        ics.writer()
        serialized.clear()
        assert calendar_ics(seeded) == written
        assert sorted(serialized) == sorted(_events(written))
    finally:
        ics.writer.cache_clear()


def test_the_file_is_served_when_keeping_fails(seeded, serialized, monkeypatch, caplog):
    keep = ics.keep
    refused = []

    def locked_once(session, calendar):
        if not refused:
            refused.append(calendar)
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        keep(session, calendar)

    monkeypatch.setattr(ics, "keep", locked_once)
    with caplog.at_level(logging.WARNING, logger="bot.features.calendar.ics"):
        written = calendar_ics(seeded)
    assert written == _reference(seeded)
    assert "could not be kept" in caplog.text and _kept(seeded) == {}
    serialized.clear()
    assert calendar_ics(seeded) == written  # serialized again, then kept
    assert sorted(serialized) == sorted(_events(written)) and set(_kept(seeded)) == _sources(serialized)


def test_exports_at_once_all_serve_the_file_and_keep_it_once(seeded, caplog):
    reference = _reference(seeded)
    start = threading.Barrier(6)

    def export() -> bytes:
        start.wait()
        return calendar_ics(seeded)

    with caplog.at_level(logging.WARNING), ThreadPoolExecutor(6) as pool:
        files = list(pool.map(lambda _: export(), range(6)))
    assert files == [reference] * 6
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert set(_kept(seeded)) == _sources(_events(reference))


# -- through the app: every way a post or a note changes shows in the next export -------------------
DRAFTS, AUTHOR, CM, STRAT, COMMUNITY = "C0DRAFTS", "U0ANNA", "U0CONTENT", "U0STRAT", "U0COMMUNITY"
TS, TS2, TS3 = "1700000000.000100", "1700000000.000200", "1700000000.000300"
# Wednesday 2026-12-09, 10:00 in Budapest (UTC+1).
NOW = "2026-12-09 09:00:00"


@pytest.fixture
def config() -> TeamConfig:
    return calendar_config()


def _changed(driver, text, previous, ts=TS):
    driver.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "ts": "1700000001.000001",
            "message": {"type": "message", "user": AUTHOR, "text": text, "ts": ts},
            "previous_message": {"type": "message", "user": AUTHOR, "text": previous, "ts": ts},
        }
    )


def _deleted(driver):
    driver.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": DRAFTS,
            "deleted_ts": TS,
            "ts": "1700000002.000001",
            "previous_message": {"user": AUTHOR, "text": "x", "ts": TS},
        }
    )


def _approve(driver):
    driver.command("/approve", "1", user=CM)
    driver.command("/approve", "1", user=STRAT)


def _publish(driver):
    _approve(driver)
    driver.command("/calendar", "published 1 instagram https://instagram.com/p/abc", user=COMMUNITY)
    driver.command("/calendar", "published 1 x", user=COMMUNITY)


def _expire(runtime, sender):
    # The slot is Friday 16:30 Budapest (15:30 UTC); unapproved at slot − 60 minutes it expires.
    with freeze_time("2026-12-11 14:30:05"):
        run_jobs(runtime, datetime(2026, 12, 11, 14, 30, 5, tzinfo=UTC))
        sender.drain()


FIRST = "[instagram, x] fri 16:30 Winter, snow; and <!channel>"


def _summary(uid: str) -> Callable[[dict[str, Event]], str]:
    return lambda events: str(events[uid]["summary"])


def _status(uid: str) -> Callable[[dict[str, Event]], str]:
    return lambda events: str(events[uid]["status"])


def _start_and_summary(events: dict[str, Event]) -> tuple[str, str]:
    event = events["draft-1-x@teambot"]
    return event.decoded("dtstart").isoformat(), str(event["summary"])


def _instagram_start_and_x(events: dict[str, Event]) -> tuple[str, bool]:
    return events["draft-1-instagram@teambot"].decoded("dtstart").isoformat(), "draft-1-x@teambot" in events


def _second_note(events: dict[str, Event]) -> str | None:
    return str(events["note-2@teambot"]["summary"]) if "note-2@teambot" in events else None


def _nothing(driver):
    pass


def _plan_the_unplanned(driver):
    driver.command("/calendar", "plan 3 instagram 2026-12-15 10:00", user=AUTHOR)


# Each change: what is done before the first export, the change, what of the file it shows in,
# that before and after the change.
CHANGES = {
    "re-planned": (
        _nothing,
        lambda driver, runtime, sender: driver.command("/calendar", "plan 1 instagram 2026-12-12 10:00", user=AUTHOR),
        _instagram_start_and_x,
        ("2026-12-11T15:30:00+00:00", True),
        ("2026-12-12T09:00:00+00:00", False),
    ),
    "approved": (
        _nothing,
        lambda driver, runtime, sender: _approve(driver),
        _status("draft-1-x@teambot"),
        "TENTATIVE",
        "CONFIRMED",
    ),
    # Approved and published are both CONFIRMED: the event stays as it was.
    "published": (
        _approve,
        lambda driver, runtime, sender: _publish(driver),
        _status("draft-1-x@teambot"),
        "CONFIRMED",
        "CONFIRMED",
    ),
    "cancelled (the draft deleted)": (
        _nothing,
        lambda driver, runtime, sender: _deleted(driver),
        _status("draft-1-instagram@teambot"),
        "TENTATIVE",
        "CANCELLED",
    ),
    "expired": (
        _nothing,
        lambda driver, runtime, sender: _expire(runtime, sender),
        _status("draft-1-instagram@teambot"),
        "TENTATIVE",
        "CANCELLED",
    ),
    "held in a crisis": (
        _approve,
        lambda driver, runtime, sender: driver.command("/crisis", "start Recall", user=STRAT),
        _status("draft-1-instagram@teambot"),
        "CONFIRMED",
        "TENTATIVE",
    ),
    "text edited, plan kept": (
        _nothing,
        lambda driver, runtime, sender: _changed(driver, "[instagram, x] fri 16:30 Spring, rain; <!here>", FIRST),
        _summary("draft-1-x@teambot"),
        "[x] #1 Winter, snow; and <!channel>",
        "[x] #1 Spring, rain; <!here>",
    ),
    "text edited, plan moved": (
        _nothing,
        lambda driver, runtime, sender: _changed(driver, "[instagram, x] sat 09:00 Spring", FIRST),
        _start_and_summary,
        ("2026-12-11T15:30:00+00:00", "[x] #1 Winter, snow; and <!channel>"),
        ("2026-12-12T08:00:00+00:00", "[x] #1 Spring"),
    ),
    "text edited, planned with /calendar plan": (
        _plan_the_unplanned,
        lambda driver, runtime, sender: _changed(driver, "Unplanned, now: edited", "Unplanned", ts=TS3),
        _summary("draft-3-instagram@teambot"),
        "[instagram] #3 Unplanned",
        "[instagram] #3 Unplanned, now: edited",
    ),
    "note added": (
        _nothing,
        lambda driver, runtime, sender: driver.command(
            "/calendar", "note 2026-12-31 New year, party; <!channel>", user=CM
        ),
        _second_note,
        None,
        "New year, party; <!channel>",
    ),
    "note deleted": (
        _nothing,
        lambda driver, runtime, sender: driver.command("/calendar", "note delete 1", user=CM),
        lambda events: "note-1@teambot" in events,
        True,
        False,
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_shows_in_the_next_export(driver, runtime, sender, change, serialized):
    prepare, act, seen, before, after = CHANGES[change]
    with freeze_time(NOW):
        driver.message(DRAFTS, AUTHOR, FIRST, TS)
        driver.message(DRAFTS, AUTHOR, "[linkedin] 2026-12-20 10:00 Hiring", TS2)
        driver.message(DRAFTS, AUTHOR, "Unplanned", TS3)
        driver.command("/calendar", "note 2026-12-24..2026-12-26 blackout Christmas", user=CM)
        prepare(driver)
        first = calendar_ics(runtime.session_factory)
        assert seen(_events(first)) == before
        serialized.clear()
        act(driver, runtime, sender)
    written = calendar_ics(runtime.session_factory)
    assert written == _reference(runtime.session_factory)
    assert seen(_events(written)) == after
    # Only what changed was serialized again; the rest came from what was kept.
    assert "draft-2-linkedin@teambot" not in serialized
    assert calendar_ics(runtime.session_factory) == written
