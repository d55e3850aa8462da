"""Constants and helpers shared by the test modules: the team's clock, the frozen Monday, scheduler
ticks, drafts written straight to the store, and waiting on other processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import export_all, run_jobs
from bot.features.approvals import service as approvals
from bot.features.approvals.models import Draft

# The test config's timezone (conftest.BASE_CONFIG).
BUDAPEST = ZoneInfo("Europe/Budapest")

# Monday 4 March 2024, 10:00 in Budapest (UTC+1): the weekday shift runs, week 9 of the rota: Ben.
MONDAY_10 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)

# For tests that only parse text or check a help reply: the store plays no part, so they run on
# SQLite alone instead of once per database.
sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def local(*args: int) -> datetime:
    """A wall time on the team's clock (Budapest) as an aware UTC instant."""
    return datetime(*args, tzinfo=BUDAPEST).astimezone(UTC)


def tick(runtime, sender, at: datetime, clock=None) -> None:  # type: ignore[no-untyped-def]
    """One scheduler round at `at` and everything it queued sent; a frozen `clock` is moved there first."""
    if clock is not None:
        clock.move_to(at)
    run_jobs(runtime, at)
    sender.drain(at)


def exported(runtime) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with runtime.session_factory() as session:
        return export_all(session)


def action_ids(call) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.get("action_id") for b in call.blocks if b.get("type") == "actions" for e in b["elements"]]


def add_draft(
    session,
    *,
    ts: str,
    author: str = "U0ANNA",
    text: str = "A post",
    status: str = "approved",
    created_at: datetime | None = None,
    decided_at: datetime | None = None,
    published_url: str | None = None,
) -> Draft:
    """A draft row as the approvals would have left it, written without going through them."""
    created_at = created_at or datetime(2026, 5, 10, 8, 0, tzinfo=UTC)
    draft = Draft(
        channel="C0DRAFTS",
        ts=ts,
        author=author,
        text=text,
        files_signature="",
        status=status,
        current_step=0,
        chain="content_manager,strategist",
        created_at=created_at,
        updated_at=created_at,
        step_started_at=created_at,
        decided_at=decided_at if decided_at is not None else (created_at if status == "approved" else None),
        published_url=published_url,
    )
    session.add(draft)
    session.flush()
    return draft


def submit_draft(session, now: datetime, *, ts: str = "1700000000.000100", author: str = "U0ANNA", text: str = "hi"):  # type: ignore[no-untyped-def]
    """A draft submitted through the approvals service, with the default chain."""
    return approvals.submit(
        session,
        channel="C0DRAFTS",
        ts=ts,
        author=author,
        text=text,
        files_signature="",
        chain=["content_manager", "strategist"],
        now=now,
    )


def wait_for(condition: Callable[[], bool], limit: float, describe: Callable[[], str] = lambda: "") -> None:
    """Polls another process's work until `condition` holds; fails after `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {limit} s: {describe()}")
