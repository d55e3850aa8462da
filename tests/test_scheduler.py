"""The scheduler leader lease and the first-start rule."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.core.clock import utcnow
from bot.core.db import transaction
from bot.scheduler import leader


def test_one_leader_and_takeover_after_expiry(runtime):
    now = utcnow()
    factory = runtime.session_factory
    assert leader.acquire(factory, "a", now)
    assert not leader.acquire(factory, "b", now + timedelta(seconds=5))
    assert leader.acquire(factory, "a", now + timedelta(seconds=10))  # renewal
    assert leader.current_leader(factory, now + timedelta(seconds=10)) == "a"
    assert not leader.acquire(factory, "b", now + timedelta(seconds=39))
    assert leader.acquire(factory, "b", now + timedelta(seconds=41))
    assert leader.current_leader(factory, now + timedelta(seconds=41)) == "b"
    leader.release(factory, "b")
    assert leader.acquire(factory, "c", now + timedelta(seconds=42))


def test_concurrent_candidates_elect_exactly_one(runtime, engine):
    now = utcnow()
    barrier = threading.Barrier(6)
    won: list[str] = []

    def candidate(name: str) -> None:
        barrier.wait()
        if leader.acquire(runtime.session_factory, name, now):
            won.append(name)

    threads = [threading.Thread(target=candidate, args=(f"p{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_first_start_is_recorded_once(runtime):
    first = utcnow()
    with transaction(runtime.session_factory) as session:
        assert leader.first_started_at(session, first) == first
    with transaction(runtime.session_factory) as session:
        assert leader.first_started_at(session, first + timedelta(days=3)) == first


@pytest.mark.parametrize("ticks", [1, 3])
def test_run_jobs_is_idempotent(runtime, sender, slack, ticks):
    from bot.app import run_jobs

    now = utcnow()
    for _ in range(ticks):
        run_jobs(runtime, now)
    sender.drain()
    assert slack.posts() == []  # nothing is due on an empty database


def test_housekeeping_forgets_old_events_and_delivered_posts(runtime, sender, slack):
    from bot.app import housekeep as housekeeping
    from bot.outbox.models import OutboxMessage
    from bot.outbox.queue import Outbox
    from bot.scheduler.context import JobContext
    from bot.slack.models import ProcessedEvent

    old = utcnow() - timedelta(days=31)
    with transaction(runtime.session_factory) as session:
        session.add(ProcessedEvent(event_id="Ev0OLD", received_at=old))
        session.add(ProcessedEvent(event_id="Ev0NEW", received_at=utcnow()))
        Outbox(session, old).post("C1", "old")
        Outbox(session, old).post("C1", "old, keyed", dedupe="checklist:1:nudge")
        Outbox(session, old).dm("U0CEO", "an old digest summary", dedupe="digest:2026-01:leader:U0CEO")
        Outbox(session, utcnow()).post("C1", "new")
    sender.drain()
    housekeeping(JobContext(runtime.config, runtime.session_factory, utcnow()))
    with runtime.session_factory() as session:
        assert [e.event_id for e in session.query(ProcessedEvent)] == ["Ev0NEW"]
        kept = sorted(o.payload["text"] for o in session.query(OutboxMessage))
        assert kept == ["an old digest summary", "new"]  # a digest's rows record who got it
