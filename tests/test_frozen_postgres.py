"""PostgreSQL stops answering (a network partition, a frozen host), on a cluster of the test's
own: every request is still answered (a command told that nothing changed, an event left for
Slack to deliver again), `/healthz` says 503, and once the server answers again everything goes
on, nothing lost. How fast is measured by benchmarks/frozen_database.py; here a request that does
not come back within a generous bound counts as hung."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import create_app
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.core.env import Settings
from bot.features.approvals.models import Draft
from bot.outbox.sender import OutboxSender
from bot.slack.http import wsgi_app
from bot.slack.outage import COULD_NOT_SAVE
from bot.slack.runtime import Runtime, make_client
from tests.conftest import BOT_TOKEN
from tests.driver import SIGNING_SECRET, TEAM, SlackDriver, signed_headers
from tests.throwaway_cluster import throwaway_cluster

HUNG = 20.0  # seconds: far beyond any answer, only to tell "answered" from "hung"


@pytest.fixture
def frozen_bot(config, slack):
    with throwaway_cluster() as cluster:
        settings = Settings(
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.url,
            database_url=cluster.url,
        )
        engine = make_engine(cluster.url)
        upgrade(engine)
        runtime = Runtime(settings, config, engine, make_session_factory(engine), make_client(BOT_TOKEN, slack.url))
        app = create_app(runtime)
        driver = SlackDriver(app, OutboxSender(runtime.session_factory, runtime.client, owner="test"))
        try:
            yield cluster, runtime, driver, wsgi_app(app, engine, SIGNING_SECRET)
        finally:
            cluster.thaw()
            engine.dispose()


def _health(http) -> str:
    answer: list[str] = []
    b"".join(http({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda s, _h: answer.append(s)))
    return answer[0]


def _draft_event(n: int) -> dict:
    ts = f"1700000000.{n:06d}"
    return {"type": "message", "channel": "C0DRAFTS", "user": "U0ANNA", "text": f"Draft {n}", "ts": ts}


def _team_command() -> tuple[str, dict[str, str]]:
    body = urlencode({"team_id": TEAM, "channel_id": "C0GENERAL", "user_id": "U0ANNA", "command": "/team", "text": ""})
    return body, signed_headers(body)


@pytest.mark.slow
def test_a_frozen_database_fails_requests_in_time_and_nothing_is_lost(frozen_bot, slack):
    cluster, runtime, driver, http = frozen_bot
    assert driver.command("/team").status == 200  # the pool holds live connections
    assert _health(http) == "200 OK"

    cluster.freeze()
    pool = ThreadPoolExecutor(max_workers=12)
    try:
        commands = [pool.submit(driver.send, *_team_command(), drain=False) for _ in range(6)]
        events = [pool.submit(driver.event, _draft_event(n), event_id=f"EvFROZEN{n}", drain=False) for n in range(4)]
        health = pool.submit(_health, http)
        replies = [f.result(timeout=HUNG) for f in commands]
        event_replies = [f.result(timeout=HUNG) for f in events]
        health_status = health.result(timeout=HUNG)
    finally:
        cluster.thaw()  # before waiting for the threads: a hung one ends once the server answers
        pool.shutdown(wait=True)
    assert all(r.status == 200 and r.json["text"] == COULD_NOT_SAVE for r in replies)
    assert all(r.status >= 500 for r in event_replies)  # Slack delivers them again
    assert health_status.startswith("503")

    # Slack's retries arrive: each event counts once.
    for n in range(4):
        assert driver.event(_draft_event(n), event_id=f"EvFROZEN{n}", retry_num=1).status == 200
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 4
    assert json.loads(driver.command("/team").body)["response_type"] == "ephemeral"
    assert _health(http) == "200 OK"
