"""One scheduler leader at a time, through a lease row in the database (SQLite and PostgreSQL).

The leader renews its lease on every tick; if it dies, another process takes over once the lease
has expired. Jobs are idempotent anyway (database keys), so a short overlap can never double a post."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.db import insert_unless_present
from bot.scheduler.models import SchedulerLease, SchedulerState

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=30)
FIRST_START = "first_started_at"


def acquire(session_factory: sessionmaker[Session], owner: str, now: datetime, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the lease; True if `owner` leads until now + ttl."""
    try:
        with session_factory() as session, session.begin():
            lease = session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME).with_for_update())
            if lease is None:
                session.add(SchedulerLease(name=LEASE_NAME, owner=owner, expires_at=now + ttl))
                return True
            if lease.owner == owner or lease.expires_at <= now:
                lease.owner = owner
                lease.expires_at = now + ttl
                return True
            return False
    except IntegrityError:
        # Another process created the row at the same moment and leads.
        return False


def release(session_factory: sessionmaker[Session], owner: str) -> None:
    with session_factory() as session, session.begin():
        lease = session.get(SchedulerLease, LEASE_NAME, with_for_update=True)
        if lease is not None and lease.owner == owner:
            session.delete(lease)


def current_leader(session_factory: sessionmaker[Session], now: datetime) -> str | None:
    with session_factory() as session:
        lease = session.get(SchedulerLease, LEASE_NAME)
        return lease.owner if lease is not None and lease.expires_at > now else None


def first_started_at(session: Session, now: datetime) -> datetime:
    """When the scheduler first ran on this database; recorded on the first call. Nothing that fell
    due before it is ever posted."""
    state = session.get(SchedulerState, FIRST_START)
    if state is None:
        session.add(SchedulerState(key=FIRST_START, value=now.isoformat()))
        session.flush()
        return now
    return datetime.fromisoformat(state.value)


CAUGHT_UP = "caught_up:{}"


def due_since(session: Session, job: str, now: datetime, grace: timedelta) -> datetime:
    """Where (exclusive) the window of due times a wall-clock job acts on at `now` starts: at most
    `grace` back, never before the scheduler's very first start (a due time exactly at it counts),
    and never before the job last ran. So after an outage the missed runs are caught up, while a
    run due before the last tick (handled then, or not in the config then: a checklist renamed or
    moved earlier before a restart) is never posted now."""
    first = first_started_at(session, now) - timedelta(microseconds=1)
    state = session.get(SchedulerState, CAUGHT_UP.format(job))
    last = datetime.fromisoformat(state.value) if state is not None else first
    if last > now:
        # Recorded by a clock that was ahead (corrected since, or another replica's): not trusted,
        # or everything due until real time caught up with it would be skipped.
        last = first
    return max(first, now - grace, last)


def caught_up(session: Session, job: str, now: datetime) -> None:
    """Record that `job` acted on everything due up to `now` (in the same transaction as its posts,
    so a failed run is retried). Only ever moves forward, whichever process's clock says so."""
    key = CAUGHT_UP.format(job)
    if insert_unless_present(session, SchedulerState, key=key, value=now.isoformat()):
        return
    state = session.get(SchedulerState, key, with_for_update=True)
    if state is not None and datetime.fromisoformat(state.value) < now:
        state.value = now.isoformat()
