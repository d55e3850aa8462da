"""Several teambot processes on one PostgreSQL database, as deployed behind a load balancer (and in
compose.yaml): two `teambot run --no-scheduler --no-sender` web replicas and two `teambot
scheduler` processes, which post everything the replicas queue, all started at once on an empty
database. Requests to either replica share state, an event delivered to both
replicas counts once, every outbox row is posted once, one scheduler leads, and when the leader is
killed the other takes over within the lease time (30 s; the only place a test waits for real time).

The last test hands one event to two Socket Mode instances (in-process, both databases).

The process tests need PostgreSQL (SQLite is one machine's file); they are skipped with the
reason when no server answers, unless TEAMBOT_REQUIRE_POSTGRES=1."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import Engine, func, select

from bot.app import create_app
from bot.core.clock import utcnow
from bot.core.db import make_engine, make_session_factory, transaction
from bot.features.approvals.models import Draft
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import Outbox
from bot.scheduler.models import SchedulerLease
from bot.slack.models import ProcessedEvent
from tests.conftest import throwaway_postgres_database
from tests.fake_slack import FakeSlack, start_fake_slack
from tests.helpers import wait_for
from tests.test_http_server import BotProcess, bot_env, draft_event, draft_payload, free_port

TAKEOVER_LIMIT = 45.0  # lease TTL 30 s + one 5 s tick + slack for a busy machine
SETTLE_LIMIT = 30.0


@dataclass
class Cluster:
    engine: Engine
    slack: FakeSlack
    web: list[BotProcess]
    schedulers: list[BotProcess]

    def by_pid(self, pid: int) -> BotProcess:
        return next(p for p in self.web + self.schedulers if p.pid == pid)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with throwaway_postgres_database("teambot_multi", "the multi-process tests need PostgreSQL") as url:
        yield url


@pytest.fixture(scope="module")
def cluster(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp_path = tmp_path_factory.mktemp("cluster")
    slack = start_fake_slack()
    env = bot_env(tmp_path, database_url, slack.url)
    processes: list[BotProcess] = []
    try:
        # All four start at once on an empty database: the migrations must not race.
        web = []
        for i in range(2):
            port = free_port()
            args = ["run", "--no-scheduler", "--no-sender", "--host", "127.0.0.1", "--port", str(port)]
            web.append(BotProcess(args, env, tmp_path / f"web{i}.log", port))
        schedulers = [BotProcess(["scheduler"], env, tmp_path / f"scheduler{i}.log") for i in range(2)]
        processes = web + schedulers
        for replica in web:
            replica.wait_healthy()
        for scheduler in schedulers:
            wait_for(lambda s=scheduler: "teambot scheduler running" in s.output(), 90, scheduler.output)
        engine = make_engine(database_url)
        yield Cluster(engine, slack, web, schedulers)
        engine.dispose()
    finally:
        for process in processes:
            process.stop(signal.SIGTERM)


def _lease(engine: Engine) -> list[SchedulerLease]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(SchedulerLease)))


def _lease_pid(lease: SchedulerLease) -> int:
    return int(lease.owner.split(":")[1])  # owner is host:pid:random


# -- web replicas ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_requests_to_either_replica_succeed_and_share_state(cluster):
    first, second = cluster.web
    for i in range(6):
        status, body = cluster.web[i % 2].command("/team")
        assert status == 200 and "<@U0STRAT>" in body
    status, body = first.command("/team", "add <@U0NEWBIE> analyst", user="U0STRAT")
    assert status == 200 and "U0NEWBIE" in body
    status, body = second.command("/team")
    assert status == 200
    analysts = json.loads(body)
    assert "<@U0NEWBIE>" in json.dumps(analysts)
    status, _ = second.command("/team", "remove <@U0NEWBIE> analyst", user="U0STRAT")
    assert status == 200
    assert "U0NEWBIE" not in first.command("/team")[1]


def _calls_about(slack: FakeSlack, ts: str) -> int:
    return sum(1 for c in slack.calls if c.params.get("thread_ts") == ts or c.params.get("ts") == ts)


@pytest.mark.slow
def test_an_event_delivered_to_both_replicas_counts_once(cluster):
    control_ts, twice_ts = "1700000500.000100", "1700000500.000200"
    body, headers = draft_event("EvCONTROL0001", control_ts)
    assert cluster.web[0].post(body, headers)[0] == 200

    # The same delivery reaches both replicas at once (a Slack retry, or Socket Mode handing it to
    # another connection), then once more.
    body, headers = draft_event("EvTWICE000001", twice_ts)
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda r=replica: statuses.append(r.post(body, headers)[0])) for replica in cluster.web
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses.append(cluster.web[1].post(body, {**headers, "x-slack-retry-num": "1"})[0])
    assert statuses == [200, 200, 200]

    with make_session_factory(cluster.engine)() as session:
        assert session.scalar(select(func.count()).select_from(Draft).where(Draft.ts == twice_ts)) == 1
        assert (
            session.scalar(
                select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id == "EvTWICE000001")
            )
            == 1
        )
    wait_for(lambda: _pending(cluster.engine) == 0, SETTLE_LIMIT, lambda: f"{_pending(cluster.engine)} unsent")
    assert _calls_about(cluster.slack, control_ts) >= 1
    assert _calls_about(cluster.slack, twice_ts) == _calls_about(cluster.slack, control_ts)


def _pending(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        return (
            session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
            or 0
        )


@pytest.mark.slow
def test_every_outbox_row_is_posted_once_by_competing_senders(cluster):
    channels = ["C0ONE", "C0TWO", "C0THREE", "C0FOUR"]
    with transaction(make_session_factory(cluster.engine)) as session:
        outbox = Outbox(session, utcnow())
        for i in range(60):
            outbox.post(channels[i % 4], f"once-{i:02d}")
    # Both schedulers run an outbox sender; they both see these rows.
    wait_for(lambda: _pending(cluster.engine) == 0, SETTLE_LIMIT, lambda: f"{_pending(cluster.engine)} unsent")
    texts = [c.text for c in cluster.slack.posts() if c.text.startswith("once-")]
    assert sorted(texts) == [f"once-{i:02d}" for i in range(60)]
    for channel in channels:
        in_channel = [c.text for c in cluster.slack.posts(channel)]
        assert in_channel == sorted(in_channel)  # in order per channel


# -- the scheduler leader -------------------------------------------------------------------------
@pytest.mark.slow
def test_one_leader_and_a_takeover_within_the_lease_time_when_it_is_killed(cluster):
    wait_for(lambda: len(_lease(cluster.engine)) == 1, SETTLE_LIMIT, lambda: str(_lease(cluster.engine)))
    time.sleep(6)  # more than one tick: both schedulers have tried to lead by now
    (lease,) = _lease(cluster.engine)
    assert lease.expires_at > utcnow()
    leader = cluster.by_pid(_lease_pid(lease))
    assert leader in cluster.schedulers
    (follower,) = [s for s in cluster.schedulers if s is not leader]
    assert "became leader" in leader.output()
    assert "became leader" not in follower.output()
    assert all("became leader" not in replica.output() for replica in cluster.web)

    leader.popen.send_signal(signal.SIGKILL)
    leader.popen.wait(timeout=10)
    killed_at = time.monotonic()

    def follower_leads() -> bool:
        leases = _lease(cluster.engine)
        return len(leases) == 1 and _lease_pid(leases[0]) == follower.pid

    wait_for(follower_leads, TAKEOVER_LIMIT, lambda: str([(x.owner, x.expires_at) for x in _lease(cluster.engine)]))
    assert time.monotonic() - killed_at < 60
    assert "became leader" in follower.output()
    (lease,) = _lease(cluster.engine)
    assert lease.expires_at > utcnow()


# -- Socket Mode ----------------------------------------------------------------------------------
def test_socket_mode_instances_handle_a_redelivered_event_once(runtime, sender, slack):
    """Slack hands each Socket Mode event to one of the app's connections, and re-sends an event it
    saw no acknowledgement for, possibly over another instance's connection."""
    instances = [create_app(runtime), create_app(runtime)]

    def deliver(app, payload, attempt: int) -> int:
        request = SocketModeRequest(
            type="events_api",
            envelope_id=f"envelope-{attempt}",
            payload=payload,
            retry_attempt=attempt or None,
            retry_reason="timeout" if attempt else None,
        )
        return run_bolt_app(app, request).status

    control_ts, twice_ts = "1700000600.000100", "1700000600.000200"
    assert deliver(instances[0], draft_payload("EvSOCKCONTROL", control_ts), 0) == 200
    payload = draft_payload("EvSOCKTWICE", twice_ts)
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda app=app, n=n: statuses.append(deliver(app, payload, n)))
        for n, app in enumerate(instances)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses.append(deliver(instances[0], payload, 2))
    assert statuses == [200, 200, 200]
    sender.drain()

    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Draft).where(Draft.ts == twice_ts)) == 1
        # Claimed once by its event_id: the other deliveries were dropped before any listener ran.
        assert session.get(ProcessedEvent, "EvSOCKTWICE") is not None
    assert _calls_about(slack, control_ts) >= 1
    assert _calls_about(slack, twice_ts) == _calls_about(slack, control_ts)
