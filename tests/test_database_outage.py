"""The database going away under a running teambot: the outbox sender picks up where it was as
soon as the database answers again, says so in a few lines instead of a traceback per try, and
waits longer between tries while it is down."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy.exc import OperationalError

from bot.core.clock import utcnow
from bot.core.db import transaction
from bot.outbox.queue import Outbox
from bot.outbox.sender import MAX_FAILING_WAIT, OutboxSender, OutboxWorker


class Outage:
    """A session factory whose database can be taken away: while `down`, opening a session
    fails as a connection to an unreachable server does."""

    def __init__(self, factory):
        self.factory = factory
        self.down = False

    def __call__(self):
        if self.down:
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("server closed the connection unexpectedly"))
        return self.factory()


def _enqueue(runtime, *texts: str, channel: str = "C1") -> None:
    with transaction(runtime.session_factory) as session:
        outbox = Outbox(session, utcnow())
        for text in texts:
            outbox.post(channel, text)


def test_a_channel_whose_post_was_in_flight_resumes_as_soon_as_the_database_is_back(runtime, slack):
    _enqueue(runtime, "first", "second")
    database = Outage(runtime.session_factory)
    sender = OutboxSender(database, runtime.client, owner="web-1")
    post = sender.client.api_call

    def post_then_lose_the_database(*args, **kwargs):
        response = post(*args, **kwargs)
        database.down = True  # Slack took the post; recording that it was sent fails
        return response

    sender.client.api_call = post_then_lose_the_database
    try:
        start = utcnow()
        try:
            sender.drain(now=start)
        except OperationalError:
            pass
        else:
            raise AssertionError("the record should have failed")
        assert [c.text for c in slack.posts()] == ["first"]
    finally:
        del sender.client.api_call
    database.down = False
    # Two seconds later, well inside the 60 s lease: the channel goes on, and the first post,
    # which did arrive, is not posted again.
    sender.drain(now=start + timedelta(seconds=2))
    assert [c.text for c in slack.posts()] == ["first", "second"]
    assert sender.pending_count() == 0


def test_a_sender_takes_back_its_own_lease_whose_claim_it_never_saw_confirmed(runtime, slack):
    _enqueue(runtime, "only")
    sender = OutboxSender(runtime.session_factory, runtime.client, owner="web-1")
    assert sender._claim_heads_once(utcnow())  # committed, but the answer was lost with the connection
    assert sender.drain(now=utcnow() + timedelta(seconds=2)) == 1
    assert [c.text for c in slack.posts()] == ["only"]
    other = OutboxSender(runtime.session_factory, runtime.client, owner="web-2")
    _enqueue(runtime, "next")
    assert other._claim_heads(utcnow())
    assert sender.drain(now=utcnow() + timedelta(seconds=2)) == 0  # another sender's lease holds


def test_an_outage_is_logged_once_when_it_starts_once_a_minute_and_once_when_it_ends(runtime, slack, caplog):
    _enqueue(runtime, "waiting")
    database = Outage(runtime.session_factory)
    worker = OutboxWorker(OutboxSender(database, runtime.client, owner="web-1"))
    caplog.set_level(logging.INFO, logger="bot.outbox")
    waits: list[float] = []
    try:
        with freeze_time(utcnow() + timedelta(seconds=1)) as clock:
            database.down = True
            elapsed = 0.0
            while elapsed < 150:  # two and a half minutes down
                wait = worker.drain_once()
                waits.append(wait)
                clock.tick(wait)
                elapsed += wait
            database.down = False
            worker.drain_once()
    finally:
        worker.stop()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.outbox.sender"]
    assert [re.sub(r"\d+ s", "N s", message.split(" (")[0]) for _, message in lines] == [
        "outbox: the database cannot be reached",
        "outbox: still failing after N s",
        "outbox: still failing after N s",
        "outbox: working again after N s; sending resumes",
    ]
    assert all(r.exc_info is None for r in caplog.records)
    assert "server closed the connection unexpectedly" in lines[0][1]
    # Backing off: a few tries a minute, never more than MAX_FAILING_WAIT apart.
    assert waits[:5] == [0.25, 0.5, 1.0, 2.0, 4.0] and max(waits) == MAX_FAILING_WAIT
    assert len(waits) < 45
    assert [c.text for c in slack.posts()] == ["waiting"]


def test_a_defect_in_the_sender_is_logged_with_its_traceback_once(runtime, caplog):
    sender = OutboxSender(runtime.session_factory, runtime.client, owner="web-1")
    worker = OutboxWorker(sender)

    def broken(*args, **kwargs):
        raise KeyError("channel")

    sender.drain = broken
    try:
        with freeze_time(datetime(2026, 5, 4, 9, 0, tzinfo=UTC)) as clock:
            for _ in range(10):
                clock.tick(worker.drain_once())
    finally:
        worker.stop()
    records = [r for r in caplog.records if r.name == "bot.outbox.sender"]
    assert len(records) == 1 and records[0].exc_info is not None
