"""`teambot run` as a real process over real HTTP: start-up errors, the health check, request
signatures, and a clean stop on SIGTERM. The helpers here also start the processes of
tests/test_multiprocess.py."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.driver import SIGNING_SECRET, signed_headers
from tests.fake_slack import FakeSlack, start_fake_slack

pytestmark = pytest.mark.slow  # real processes; the tests of an in-process health port are quick

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90.0

CONFIG = """
timezone = "Europe/Budapest"

[channels]
drafts = "C0DRAFTS"
escalations = "C0ESCALATE"
ideas = "C0IDEAS"
checklists = "C0CHECKLIST"
digest = "C0STAFF"

[roles]
strategist = ["U0STRAT"]
content_manager = ["U0CONTENT"]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(tmp_path: Path, database_url: str, api_url: str, config: str = CONFIG, **extra: str) -> dict[str, str]:
    """The environment of a teambot process: nothing inherited from the caller's Slack settings."""
    config_path = tmp_path / "teambot.toml"
    config_path.write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMBOT_", "DATABASE_URL"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        TEAMBOT_CONFIG=str(config_path),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


class BotProcess:
    """One `python -m bot ...` process (the same program as `teambot ...`), logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, port: int | None = None):
        self.args = args
        self.port = port
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"teambot {self.args} exited with {self.popen.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get("/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"teambot {self.args} did not answer /healthz in {timeout} s:\n{self.output()}")

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def command(self, name: str, text: str = "", *, user: str = "U0ANNA") -> tuple[int, str]:
        body = command_body(name, text, user=user)
        return self.post(body, signed_headers(body))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def command_body(name: str, text: str, *, user: str = "U0ANNA") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "user_id": user,
            "command": name,
            "text": text,
            "response_url": "https://hooks.slack.test/commands/1",
            "trigger_id": f"trigger-{time.monotonic_ns()}",
        }
    )


def run_to_exit(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str], log: Path, port: int | None = None) -> Iterator[BotProcess]:
    process = BotProcess(args, env, log, port)
    try:
        yield process
    finally:
        process.stop(signal.SIGKILL if process.popen.poll() is None and port is None else signal.SIGTERM)


# -- start-up errors ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fake_slack() -> FakeSlack:
    return start_fake_slack()


@pytest.fixture
def env(tmp_path: Path, fake_slack: FakeSlack) -> dict[str, str]:
    return bot_env(tmp_path, f"sqlite:///{tmp_path / 'teambot.db'}", fake_slack.url)


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    return lines[0]


def test_run_without_bot_token_stops_with_one_line_naming_it(env):
    del env["SLACK_BOT_TOKEN"]
    result = run_to_exit(env, "run", "--port", str(free_port()))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "SLACK_BOT_TOKEN" in line and "manifest.yml" in line


def test_run_with_an_unknown_config_key_names_the_key(env, tmp_path):
    config = CONFIG + "\n[approval]\nremind_after_minutse = 30\n"
    env = {**env, "TEAMBOT_CONFIG": str(tmp_path / "bad.toml")}
    (tmp_path / "bad.toml").write_text(config)
    result = run_to_exit(env, "run", "--port", str(free_port()))
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "approval.remind_after_minutse" in line and "unknown key" in line


def test_run_with_a_bad_database_url_hides_the_password(env):
    env["DATABASE_URL"] = "postgresql+psycopg://teambot:s3cret-pw@127.0.0.1:1/teambot"
    result = run_to_exit(env, "run", "--port", str(free_port()))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # Migration progress may be logged first; the error is the last line.
    assert result.stderr.splitlines()[-1].startswith("teambot: DATABASE_URL: cannot use the database")
    assert "s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "mysql://teambot:s3cret-pw@127.0.0.1/teambot",  # no driver installed
        "postgresql+psycopg://teambot:s3cret-pw@127.0.0.1:notaport/teambot",
        "postgresql+psycopg://teambot:s3cret-pw@127.0.0.1:5432/teambot?connect_timeout=abc",
        "not a url",
    ],
)
def test_an_unusable_database_url_is_one_line_without_the_password(env, url):
    env["DATABASE_URL"] = url
    result = run_to_exit(env, "db", "upgrade")
    assert result.returncode == 2
    assert _one_line(result.stderr).startswith("teambot: DATABASE_URL: cannot use the database")
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_an_unsupported_database_names_the_supported_ones(env):
    env["DATABASE_URL"] = "mysql://teambot:s3cret-pw@127.0.0.1/teambot"
    result = run_to_exit(env, "db", "upgrade")
    assert "sqlite:///PATH and postgresql+psycopg://" in _one_line(result.stderr)


def test_a_file_that_is_not_a_database_is_one_line(env, tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 100)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'notes.db'}"
    result = run_to_exit(env, "export")
    assert result.returncode == 2
    assert _one_line(result.stderr).startswith("teambot: DATABASE_URL: cannot use the database")


def test_a_database_from_a_newer_teambot_is_one_line(env, tmp_path):
    import sqlite3

    database = tmp_path / "newer.db"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999_future')")
        connection.commit()
    env["DATABASE_URL"] = f"sqlite:///{database}"
    result = run_to_exit(env, "db", "upgrade")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("teambot: DATABASE_URL: the database's schema is not one")


def test_a_port_in_use_or_out_of_range_is_one_line(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_to_exit(env, "run", "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"teambot: cannot listen on 127.0.0.1:{port}")
    assert "became leader" not in result.stderr  # the port is taken before the scheduler starts
    out_of_range = run_to_exit(env, "run", "--port", "99999")
    assert out_of_range.returncode == 2 and "is not a port" in out_of_range.stderr


def test_export_to_a_missing_folder_is_one_line(env, tmp_path):
    assert run_to_exit(env, "db", "upgrade").returncode == 0  # export never creates the database
    result = run_to_exit(env, "export", "--output", str(tmp_path / "no" / "such" / "export.json"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    # Migration progress may be logged first; the error is the last line.
    assert result.stderr.splitlines()[-1].startswith("teambot: --output: cannot write")


# -- a running server -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake_slack: FakeSlack) -> Iterator[BotProcess]:
    tmp_path = tmp_path_factory.mktemp("http")
    env = bot_env(tmp_path, f"sqlite:///{tmp_path / 'teambot.db'}", fake_slack.url)
    port = free_port()
    with running(["run", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "bot.log", port) as bot:
        bot.wait_healthy()
        yield bot


def test_healthz_answers_200(server):
    status, body = server.get("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_signed_command_is_answered(server):
    status, body = server.command("/team")
    assert status == 200
    reply = json.loads(body)
    assert reply["response_type"] == "ephemeral" and "<@U0STRAT>" in json.dumps(reply)


def test_bad_signature_is_refused(server):
    body = command_body("/team", "")
    headers = signed_headers(body, secret="not-the-signing-secret")
    assert server.post(body, headers)[0] == 401


def test_stale_timestamp_is_refused_even_when_signed_correctly(server):
    body = command_body("/team", "")
    headers = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert server.post(body, headers)[0] == 401


def test_missing_signature_is_refused(server):
    body = command_body("/team", "")
    status, _ = server.post(body, {"content-type": "application/x-www-form-urlencoded"})
    assert status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("not json", "application/json"),
        ("[]", "application/json"),
        ("null", "application/json"),
        ("payload=%7Bbad", "application/x-www-form-urlencoded"),
        ("payload=null", "application/x-www-form-urlencoded"),
    ],
)
def test_a_malformed_unsigned_body_is_refused_without_a_traceback(server, body, content_type):
    assert server.post(body, {"content-type": content_type})[0] == 401
    headers = signed_headers(body, secret="wrong", content_type=content_type)
    assert server.post(body, headers)[0] == 401
    assert "Traceback" not in server.output()


def test_slacks_unsigned_ssl_check_is_answered_and_runs_nothing(server):
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert server.post("ssl_check=1&token=legacy", form) == (200, "")
    sneaky = command_body("/team", "add <@U0SNEAK> analyst", user="U0STRAT") + "&ssl_check=1"
    assert server.post(sneaky, form) == (200, "")
    assert "U0SNEAK" not in server.command("/team")[1]
    assert server.post("ssl_check=1&payload=%7Bnot-json", form) == (200, "")
    assert server.post("ssl_check=1", {"content-type": "application/json"})[0] == 401
    assert "Traceback" not in server.output()


def test_a_refused_request_changes_nothing(server):
    body = command_body("/team", "add <@U0NEW> analyst", user="U0STRAT")
    assert server.post(body, signed_headers(body, secret="wrong"))[0] == 401
    assert "U0NEW" not in server.command("/team")[1]


def test_sigterm_stops_cleanly_and_releases_the_scheduler_lease(tmp_path, fake_slack):
    import sqlite3

    database = tmp_path / "teambot.db"
    env = bot_env(tmp_path, f"sqlite:///{database}", fake_slack.url)
    port = free_port()
    bot = BotProcess(["run", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "bot.log", port)
    try:
        bot.wait_healthy()
        deadline = time.monotonic() + 30
        while "became leader" not in bot.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "became leader" in bot.output()
    finally:
        code = bot.stop(signal.SIGTERM)
    assert code == 0, bot.output()
    assert "stopping (signal 15)" in bot.output() and "Traceback" not in bot.output()
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("SELECT count(*) FROM scheduler_lease").fetchone() == (0,)


def draft_payload(event_id: str, ts: str, text: str = "Launch post for Monday") -> dict:
    """An Events API delivery of a new top-level message in the drafts channel."""
    return {
        "token": "legacy",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": "T0TEAM", "user_id": "UBOT", "is_bot": True}],
        "event": {
            "type": "message",
            "channel": "C0DRAFTS",
            "channel_type": "channel",
            "user": "U0ANNA",
            "text": text,
            "ts": ts,
            "event_ts": ts,
        },
    }


def draft_event(event_id: str, ts: str) -> tuple[str, dict[str, str]]:
    body = json.dumps(draft_payload(event_id, ts))
    return body, signed_headers(body, content_type="application/json")


def test_a_web_replica_without_sender_leaves_its_posts_to_the_scheduler(tmp_path, fake_slack):
    import sqlite3

    database = tmp_path / "teambot.db"
    env = bot_env(tmp_path, f"sqlite:///{database}", fake_slack.url)

    def pending() -> int:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            return connection.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]

    def in_thread() -> list[str]:
        return [c.text for c in fake_slack.posts("C0DRAFTS") if c.params.get("thread_ts") == ts]

    ts = "1700000700.000100"
    port = free_port()
    args = ["run", "--no-scheduler", "--no-sender", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, env, tmp_path / "web.log", port) as web:
        web.wait_healthy()
        assert "outbox sender off" in web.output()
        assert web.post(*draft_event(f"EvNOSENDER{ts.replace('.', '')}", ts))[0] == 200
        # The draft's status message is queued; a sender would post it within milliseconds.
        time.sleep(1.0)
        assert pending() >= 1 and in_thread() == []
        with running(["scheduler"], env, tmp_path / "scheduler.log"):
            deadline = time.monotonic() + 30
            while pending() and time.monotonic() < deadline:
                time.sleep(0.1)
    assert pending() == 0
    assert len(in_thread()) == 1 and "draft #1" in in_thread()[0].lower()


def test_socket_mode_health_port_answers_only_the_health_check(engine):
    from bot.slack.http import listen_for_health, serve_in_background

    server = listen_for_health(engine, "127.0.0.1", 0)
    stop = serve_in_background(server)
    try:
        for method, path, expected in (("GET", "/healthz", 200), ("POST", "/slack/events", 404)):
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            connection.request(method, path, body=b"{}" if method == "POST" else None)
            response = connection.getresponse()
            assert response.status == expected
            if expected == 200:
                assert json.loads(response.read()) == {"status": "ok"}
            connection.close()
    finally:
        stop()


# -- the calendar feed ----------------------------------------------------------------------------
FEED_TOKEN = "feed-t0ken-Ünnep"


def _plan_a_post(engine) -> None:  # type: ignore[no-untyped-def]
    """Draft #1, approved and planned on instagram at 2026-12-11 15:30 UTC (written straight to the store)."""
    from datetime import UTC, datetime

    from bot.core.db import make_session_factory, transaction
    from bot.features.calendar.models import Plan, PlanAccount
    from tests.helpers import add_draft

    slot = datetime(2026, 12, 11, 15, 30, tzinfo=UTC)
    with transaction(make_session_factory(engine)) as session:
        draft = add_draft(session, ts="1700000000.000100", text="Winter is here")
        session.add(
            Plan(
                draft_id=draft.id,
                accounts="instagram",
                slot=slot,
                summary="Winter is here",
                links="",
                planned_by="U0ANNA",
                planned_at=slot,
            )
        )
        session.add(PlanAccount(draft_id=draft.id, account="instagram", slot=slot))


def _get(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _assert_feed_served_only_with_its_token(port: int) -> None:
    from urllib.parse import quote

    from icalendar import Calendar

    status, headers, body = _get(port, f"/calendar.ics?token={quote(FEED_TOKEN)}")
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["uid"]) == "draft-1-instagram@teambot" and str(event["status"]) == "CONFIRMED"
    for query in ("", "?token=", "?token=feed-t0ken", f"?token={quote(FEED_TOKEN)}x", f"?other={quote(FEED_TOKEN)}"):
        status, _, body = _get(port, f"/calendar.ics{query}")
        assert (status, body) == (404, b""), query


def test_socket_mode_health_port_serves_the_calendar_feed_with_its_token(engine):
    from bot.app import calendar_ics
    from bot.core.db import make_session_factory
    from bot.slack.http import listen_for_health, serve_in_background

    _plan_a_post(engine)

    def build() -> bytes:
        return calendar_ics(make_session_factory(engine))

    with_feed = listen_for_health(engine, "127.0.0.1", 0, calendar=(FEED_TOKEN, build))
    without_feed = listen_for_health(engine, "127.0.0.1", 0)
    stops = [serve_in_background(with_feed), serve_in_background(without_feed)]
    try:
        _assert_feed_served_only_with_its_token(with_feed.server_port)
        assert _get(with_feed.server_port, "/healthz")[0] == 200
        assert _get(with_feed.server_port, "/slack/events", "POST")[0] == 404
        # No TEAMBOT_CALENDAR_TOKEN: the feed does not exist, whatever the token.
        assert _get(without_feed.server_port, "/calendar.ics?token=")[::2] == (404, b"")
        assert _get(without_feed.server_port, "/calendar.ics?token=feed-t0ken")[::2] == (404, b"")
    finally:
        for stop in stops:
            stop()


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_run_serves_the_calendar_feed_from_teambot_calendar_token(tmp_path, fake_slack, mode):
    from bot.core.db import make_engine, upgrade

    database = f"sqlite:///{tmp_path / 'teambot.db'}"
    engine = make_engine(database)
    upgrade(engine)
    _plan_a_post(engine)
    engine.dispose()
    extra = {"TEAMBOT_CALENDAR_TOKEN": FEED_TOKEN}
    if mode == "socket":
        extra["SLACK_APP_TOKEN"] = "xapp-1-test"  # the fake Slack gives no WebSocket: it keeps trying
    env = bot_env(tmp_path, database, fake_slack.url, **extra)
    port = free_port()
    args = ["run", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, env, tmp_path / "bot.log", port) as bot:
        bot.wait_healthy()
        _assert_feed_served_only_with_its_token(port)
    assert FEED_TOKEN not in bot.output() and "Traceback" not in bot.output()
