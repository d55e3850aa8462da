"""Restart and crash: a real `teambot scheduler` process, with a checklist and the monthly digest
due, is killed with SIGKILL in the middle of posting them, and restarted — each is posted exactly
once in total. Three ways to die mid-post:

- `unanswered`: Slack has the post, but the process dies before the answer arrives;
- `answered`: Slack answered, but the process dies before it marks the post as sent;
- `lost`: the request reached Slack but was never carried out.

The Web API is a fake in this process that holds the first post to each channel until told. Runs
on a SQLite file and on a throw-away PostgreSQL database; every wait is bounded."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.engine import make_url

from bot.core.db import make_engine, make_session_factory, transaction, upgrade
from bot.features.checklists.models import ChecklistRun
from bot.features.digest.models import DigestRecord
from bot.outbox.models import OutboxMessage
from bot.scheduler.leader import FIRST_START
from bot.scheduler.models import SchedulerLease, SchedulerState
from tests.conftest import throwaway_postgres_database
from tests.fake_slack import FakeSlack, start_fake_slack
from tests.helpers import wait_for
from tests.test_http_server import BotProcess, bot_env

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Europe/Budapest")
CHECKLIST, STAFF = "C0CHECKLIST", "C0STAFF"
HELD_CHANNELS = (CHECKLIST, STAFF)
LIMIT = 60.0


def _config(due: datetime) -> str:
    """Both the checklist and the digest fall due at `due` (team time, on the minute)."""
    return f"""
timezone = "Europe/Budapest"

[channels]
drafts = "C0DRAFTS"
escalations = "C0ESCALATE"
ideas = "C0IDEAS"
checklists = "{CHECKLIST}"
digest = "{STAFF}"

[roles]
strategist = ["U0STRAT"]

[[checklists]]
name = "daily"
cron = "{due.minute} {due.hour} * * *"
items = ["Check for a brewing crisis", "Compare mentions with a typical day"]

[digest]
cron = "{due.minute} {due.hour} {due.day} * *"
leaders = ["U0CEO"]
"""


# -- databases ------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'teambot.db'}"
        return
    with throwaway_postgres_database("teambot_crash") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


class RowLock:
    """Holds the outbox row (PostgreSQL) or the whole database (SQLite) from another connection, so
    the bot process cannot mark the post as sent."""

    def __init__(self, engine: Engine, database_url: str, row_id: int):
        self.sqlite: sqlite3.Connection | None = None
        self.connection = None
        if engine.dialect.name == "sqlite":
            path = make_url(database_url).database
            self.sqlite = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:
            self.connection = engine.connect()
            self.connection.execute(select(OutboxMessage.id).where(OutboxMessage.id == row_id).with_for_update())

    def release(self) -> None:
        if self.sqlite is not None:
            self.sqlite.rollback()
            self.sqlite.close()
        if self.connection is not None:
            self.connection.rollback()
            self.connection.close()


class Gate:
    """Wraps the fake Web API: the first chat.postMessage to each held channel is stopped where
    `mode` says, and `arrived` is set; the test then kills the bot and calls `release()`."""

    def __init__(self, slack: FakeSlack, mode: str, engine: Engine, database_url: str):
        self.slack, self.mode, self.engine, self.database_url = slack, mode, engine, database_url
        self.original = slack._answer
        self.held: list[tuple[str, int]] = []  # (channel, outbox id) of every post that was stopped
        self.arrived = threading.Event()
        self._release = threading.Event()
        self._lock: RowLock | None = None
        slack._answer = self._answer  # type: ignore[method-assign]

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        channel = params.get("channel")
        if method != "chat.postMessage" or channel not in HELD_CHANNELS or channel in {c for c, _ in self.held}:
            return self.original(method, params)
        metadata = params.get("metadata") or {}
        self.held.append((channel, int(metadata["event_payload"]["outbox_id"])))
        if self.mode == "lost":
            self.arrived.set()
            self._release.wait(LIMIT)
            return 500, {"ok": False, "error": "internal_error"}, {}
        answer = self.original(method, params)  # Slack carries the post out
        if self.mode == "answered":
            self._lock = RowLock(self.engine, self.database_url, self.held[-1][1])
            self.arrived.set()
            return answer
        self.arrived.set()
        self._release.wait(LIMIT)
        return answer

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self._release.set()

    def rearm(self) -> None:
        self.arrived.clear()
        self._release = threading.Event()


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        )
        return bool(waiting.scalar())


def _leases_run_out(engine: Engine, now: datetime) -> None:
    """The dead process's leases (outbox rows 60 s, scheduler 30 s) have run out: time moved along
    here rather than waited for."""
    past = now - timedelta(seconds=1)
    with transaction(make_session_factory(engine)) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.lease_until.is_not(None)).values(lease_until=past))
        session.execute(update(SchedulerLease).values(expires_at=past))


@pytest.mark.parametrize("mode", ["unanswered", "answered", "lost"])
def test_killed_while_posting_then_restarted_posts_checklist_and_digest_once(
    mode: str, database_url: str, engine: Engine, tmp_path: Path
):
    now = datetime.now(UTC)
    due = now.astimezone(TZ).replace(second=0, microsecond=0)
    with transaction(make_session_factory(engine)) as session:
        # The scheduler first started ten minutes ago, so what falls due now is posted.
        session.add(SchedulerState(key=FIRST_START, value=(now - timedelta(minutes=10)).isoformat()))
    slack = start_fake_slack()
    gate = Gate(slack, mode, engine, database_url)
    env = bot_env(tmp_path, database_url, slack.url, config=_config(due))
    processes: list[BotProcess] = []
    try:
        # Each start posts until a held post is in flight, and is killed there; two are held.
        for start in range(len(HELD_CHANNELS)):
            bot = BotProcess(["scheduler"], env, tmp_path / f"scheduler{start}.log")
            processes.append(bot)
            wait_for(
                lambda b=bot: gate.arrived.is_set() or b.popen.poll() is not None,
                LIMIT,
                lambda b=bot: f"no held post arrived; log:\n{b.output()}",
            )
            assert bot.popen.poll() is None, bot.output()
            channel, row_id = gate.held[-1]
            if mode == "answered":
                if engine.dialect.name == "postgresql":
                    wait_for(
                        lambda: _waiting_on_a_lock(engine), LIMIT, lambda: "the bot never tried to record the post"
                    )
                else:
                    time.sleep(1.5)  # the bot is waiting for SQLite's write lock to record the post
            bot.popen.send_signal(signal.SIGKILL)
            bot.popen.wait(timeout=30)
            gate.release()
            gate.rearm()
            # The crash came in the middle of the post: on record as attempted, not as sent.
            (row,) = [r for r in _outbox(engine) if r.id == row_id]
            assert (row.status, row.channel) == ("pending", channel) and row.attempted_at is not None
            assert len(slack.posts(channel)) == (0 if mode == "lost" else 1)
            _leases_run_out(engine, datetime.now(UTC))
        assert sorted(c for c, _ in gate.held) == sorted(HELD_CHANNELS)

        final = BotProcess(["scheduler"], env, tmp_path / "final.log")
        processes.append(final)

        def settled() -> bool:
            rows = _outbox(engine)
            return bool(rows) and all(r.status == "sent" for r in rows) and bool(slack.posts(STAFF))

        wait_for(
            settled, LIMIT, lambda: f"outbox {[(r.id, r.status) for r in _outbox(engine)]}; log:\n{final.output()}"
        )
        wait_for(lambda: "became leader" in final.output(), LIMIT, final.output)
        time.sleep(6)  # one more scheduler tick as leader: nothing is posted again
        restarted_log = final.output()
    finally:
        for process in processes:
            process.stop(signal.SIGKILL)
        gate.release()
        assert slack.server is not None
        slack.server.shutdown()
        slack.server.server_close()

    assert len(slack.posts(CHECKLIST)) == 1
    assert len(slack.posts(STAFF)) == 1
    assert len(slack.posts("U0CEO")) == 1  # the leadership summary
    assert "Check for a brewing crisis" in slack.posts(CHECKLIST)[0].all_text()
    rows = _outbox(engine)
    assert [r.status for r in rows] == ["sent"] * len(rows) and len(rows) == 3
    posted_ids = [c.params["metadata"]["event_payload"]["outbox_id"] for c in slack.posts()]
    assert sorted(posted_ids) == [r.id for r in rows]
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ChecklistRun)) == 1
        assert session.scalar(select(func.count()).select_from(DigestRecord)) == 1
    found_in_history = restarted_log.count("had been posted before a restart") + sum(
        p.output().count("had been posted before a restart") for p in processes[1:-1]
    )
    assert found_in_history == (0 if mode == "lost" else 2)
