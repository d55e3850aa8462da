"""What anyone on the internet can send to /slack/events: bodies too large to read, bodies that
are not UTF-8, signed bodies of shapes Slack never sends, signatures made with another secret, and
hundreds of clients that send their headers a byte at a time. Most cases run the WSGI application
in the test process; the server's own limits run against a real `teambot run`."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltContext

from bot.app import create_app
from bot.slack.app import handle_error
from bot.slack.http import MAX_BODY_BYTES, wsgi_app
from bot.slack.signature import WARN_EVERY_SECONDS, MismatchWarning
from tests.driver import SIGNING_SECRET, signed_headers
from tests.fake_slack import FakeSlack, start_fake_slack
from tests.helpers import sqlite_only
from tests.test_http_server import BotProcess, bot_env, command_body, free_port, running

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class CountingStream:
    """A request body of `size` bytes that is produced as it is read, counting what was read."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.read_bytes
        n = left if n is None or n < 0 else min(n, left)
        self.read_bytes += n
        return b"x" * n


def call(
    application: Any,
    body: bytes | CountingStream,
    headers: dict[str, str] | None = None,
    *,
    content_length: int | None = None,
) -> tuple[int, bytes]:
    """One request through the WSGI application, as waitress would hand it over."""
    stream = body if isinstance(body, CountingStream) else io.BytesIO(body)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
    }
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    elif isinstance(body, bytes):
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    status: list[str] = []

    def start_response(line: str, _headers: list[tuple[str, str]], _exc_info: Any = None) -> None:
        status.append(line)

    answer = b"".join(application(environ, start_response))
    return int(status[0].split()[0]), answer


@pytest.fixture
def web(runtime):  # type: ignore[no-untyped-def]
    return wsgi_app(create_app(runtime), runtime.engine, SIGNING_SECRET)


def signed(body: str, content_type: str = JSON, *, secret: str = SIGNING_SECRET) -> tuple[bytes, dict[str, str]]:
    return body.encode(), signed_headers(body, content_type=content_type, secret=secret)


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


# -- body size ------------------------------------------------------------------------------------
@sqlite_only
def test_a_body_over_the_limit_is_refused_by_its_length_before_it_is_read(web):
    stream = CountingStream(100 * 1024 * 1024)
    status, _ = call(web, stream, {"content-type": JSON}, content_length=stream.size)
    assert status == 413
    assert stream.read_bytes == 0


@sqlite_only
def test_a_body_without_a_length_is_read_no_further_than_the_limit(web):
    stream = CountingStream(100 * 1024 * 1024)  # chunked: no Content-Length
    status, _ = call(web, stream, {"content-type": JSON})
    assert status == 413
    assert stream.read_bytes <= MAX_BODY_BYTES + 1


def test_a_signed_body_just_under_the_limit_is_still_answered(web):
    payload = {"type": "event_callback", "event_id": "Ev0BIG", "event": {"type": "app_home_opened", "user": "U1"}}
    filler = MAX_BODY_BYTES - len(json.dumps({**payload, "padding": ""})) - 1
    body, headers = signed(json.dumps({**payload, "padding": "p" * filler}))
    assert len(body) < MAX_BODY_BYTES
    assert call(web, body, headers)[0] == 200


@sqlite_only
def test_a_content_length_that_is_not_a_number_is_refused_unread(web):
    stream = CountingStream(10)
    status, _ = call(web, stream, {"content-type": JSON, "content-length": "ten"})
    assert status == 400 and stream.read_bytes == 0


# -- encoding and signatures ----------------------------------------------------------------------
@sqlite_only
@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"type": "\xc3\x28"}', b"payload=%7B%7D\x80"])
def test_a_body_that_is_not_utf8_is_refused_quietly(web, caplog, body):
    headers = {"content-type": JSON, "x-slack-request-timestamp": str(int(time.time())), "x-slack-signature": "v0=00"}
    with caplog.at_level(logging.INFO):
        status, answer = call(web, body, headers)
    assert status == 401 and json.loads(answer) == {"error": "invalid request"}
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@sqlite_only
def test_a_wrong_signing_secret_is_warned_about_once(web, caplog):
    body = command_body("/team", "")
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert call(web, *signed(body, FORM, secret="the-old-secret"))[0] == 401
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "SLACK_SIGNING_SECRET" in warnings[0].getMessage() and "1 request" in warnings[0].getMessage()


@sqlite_only
def test_unsigned_and_stale_requests_are_not_taken_for_a_wrong_secret(web, caplog):
    body = command_body("/team", "")
    stale = signed_headers(body, secret="the-old-secret", timestamp=int(time.time()) - 3600)
    with caplog.at_level(logging.INFO):
        assert call(web, body.encode(), {"content-type": FORM})[0] == 401
        assert call(web, body.encode(), stale)[0] == 401
    assert not problems(caplog)


def test_the_wrong_secret_warning_repeats_at_most_every_ten_minutes_with_a_count(caplog):
    clock = [1000.0]
    warning = MismatchWarning(clock=time.time, monotonic=lambda: clock[0])
    now = str(int(time.time()))
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            warning.refused(now, "v0=abc")
        clock[0] += WARN_EVERY_SECONDS - 1
        warning.refused(now, "v0=abc")
        assert len(caplog.records) == 1
        clock[0] += 2
        warning.refused(now, "v0=abc")
    assert len(caplog.records) == 2
    assert caplog.records[1].getMessage().startswith("6 request(s)")


# -- signed bodies of shapes Slack never sends ----------------------------------------------------
def _event(event: Any, **top: Any) -> str:
    return json.dumps({"type": "event_callback", "event_id": "Ev0ODD", "team_id": "T0TEAM", "event": event, **top})


def _payload(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


_ITEM = {"type": "message", "channel": "C0GENERAL", "ts": "1700000000.000100"}
_REACTION = {"type": "reaction_added", "user": "U0ANNA", "reaction": "rotating_light", "item": _ITEM}
_DRAFT = {"type": "message", "channel": "C0DRAFTS", "user": "U0ANNA", "text": "Launch", "ts": "1700000000.000200"}
_PERSON = {"id": "U0ANNA"}

MALFORMED = {
    "payload not json": ("payload=%7Bnot-json", FORM),
    "payload a list": (_payload([1, 2]), FORM),
    "payload a string": (_payload("view_submission"), FORM),
    "payload null": (_payload(None), FORM),
    "json a list": ("[1, 2]", JSON),
    "json a string": ('"event_callback"', JSON),
    "json a number": ("42", JSON),
    "json not json": ("{not json", JSON),
    "json too deep": ("[" * 100_000, JSON),
    "a form sent as json": (command_body("/team", ""), JSON),
    "event null": (_event(None), JSON),
    "event a string": (_event("reaction_added"), JSON),
    "event a list": (_event([_REACTION]), JSON),
    "event without a type": (_event({"user": "U0ANNA"}), JSON),
    "event type a number": (_event({"type": 7}), JSON),
    "event_id a number": (json.dumps({"type": "event_callback", "event_id": 7, "event": _DRAFT}), JSON),
    "event_id an object": (json.dumps({"type": "event_callback", "event_id": {}, "event": _DRAFT}), JSON),
    "event_id missing": (json.dumps({"type": "event_callback", "event": _DRAFT}), JSON),
    "reaction item a string": (_event({**_REACTION, "item": "C0GENERAL"}), JSON),
    "reaction item null": (_event({**_REACTION, "item": None}), JSON),
    "reaction item channel a list": (_event({**_REACTION, "item": {**_ITEM, "channel": ["C0GENERAL"]}}), JSON),
    "reaction user a list": (_event({**_REACTION, "user": ["U0ANNA"]}), JSON),
    "reaction emoji a number": (_event({**_REACTION, "reaction": 7}), JSON),
    "message text a number": (_event({**_DRAFT, "text": 7}), JSON),
    "message ts null": (_event({**_DRAFT, "ts": None}), JSON),
    "message channel an object": (_event({**_DRAFT, "channel": {"id": "C0DRAFTS"}}), JSON),
    "edited message a string": (_event({**_DRAFT, "subtype": "message_changed", "message": "x"}), JSON),
    "authorizations a string": (_event(_DRAFT, authorizations="UBOT"), JSON),
    "authorizations of strings": (_event(_DRAFT, authorizations=["UBOT"]), JSON),
    "type a list": (_payload({"type": ["block_actions"]}), FORM),
    "view without state": (
        _payload({"type": "view_submission", "user": _PERSON, "view": {"callback_id": "idea_new", "blocks": []}}),
        FORM,
    ),
    "view null": (_payload({"type": "view_submission", "user": _PERSON, "view": None}), FORM),
    "view a string": (_payload({"type": "view_submission", "user": _PERSON, "view": "V0"}), FORM),
    "view state values a list": (
        _payload({"type": "view_submission", "user": _PERSON, "view": {"callback_id": "x", "state": {"values": []}}}),
        FORM,
    ),
    "view input value a number": (
        _payload(
            {
                "type": "view_submission",
                "user": _PERSON,
                "view": {
                    "callback_id": "x",
                    "state": {"values": {"b": {"a": {"type": "plain_text_input", "value": 7}}}},
                },
            }
        ),
        FORM,
    ),
    "actions null": (_payload({"type": "block_actions", "user": _PERSON, "actions": None}), FORM),
    "actions a string": (_payload({"type": "block_actions", "user": _PERSON, "actions": "approve"}), FORM),
    "actions of strings": (_payload({"type": "block_actions", "user": _PERSON, "actions": ["approve"]}), FORM),
    "action value a number": (
        _payload({"type": "block_actions", "user": _PERSON, "actions": [{"action_id": "a", "value": 7}]}),
        FORM,
    ),
    "clicking user a string": (
        _payload({"type": "block_actions", "user": "U0ANNA", "actions": [{"action_id": "a", "value": "1"}]}),
        FORM,
    ),
    "shortcut message a string": (
        _payload({"type": "message_action", "callback_id": "x", "user": _PERSON, "message": "hi"}),
        FORM,
    ),
    "shortcut without a message": (_payload({"type": "message_action", "callback_id": "x", "user": _PERSON}), FORM),
    "command without a user": (urlencode({"command": "/team", "text": "", "channel_id": "C0GENERAL"}), FORM),
    "url_verification without a challenge": (json.dumps({"type": "url_verification"}), JSON),
    # Longer than any id, timestamp or emoji name Slack sends (the store's columns hold Slack's).
    "event_id too long": (json.dumps({"type": "event_callback", "event_id": "E" * 65, "event": _DRAFT}), JSON),
    "reaction user too long": (_event({**_REACTION, "user": "U" * 300}), JSON),
    "reaction emoji too long": (_event({**_REACTION, "reaction": "x" * 300}), JSON),
    "reaction item ts too long": (_event({**_REACTION, "item": {**_ITEM, "ts": "1" * 300}}), JSON),
    "message channel too long": (_event({**_DRAFT, "channel": "C" * 300}), JSON),
    "message ts too long": (_event({**_DRAFT, "ts": "1" * 300}), JSON),
    "clicking user too long": (
        _payload({"type": "block_actions", "user": {"id": "U" * 300}, "actions": [{"action_id": "a", "value": "1"}]}),
        FORM,
    ),
    "command user too long": (
        urlencode({"command": "/team", "text": "", "channel_id": "C0G", "user_id": "U" * 33}),
        FORM,
    ),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_signed_body_of_an_odd_shape_is_answered_with_nothing_done_and_one_line(web, slack, sender, caplog, kind):
    raw, content_type = MALFORMED[kind]
    with caplog.at_level(logging.INFO):
        status, answer = call(web, *signed(raw, content_type))
        sender.drain()
    assert status in (200, 400)
    assert status == 400 or answer == b""
    logged = problems(caplog)
    assert len(logged) == 1 and not logged[0].exc_info, [r.getMessage() for r in logged]
    assert "signed request" in logged[0].getMessage()
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"type": "event_callback", "event_id": 7, "event": "reaction_added"},
        {"type": "event_callback", "event": {"user": ["U1"], "item": "C1", "channel": {}}},
        {"type": "event_callback", "event": None},
        {"type": "view_submission", "view": {"blocks": "none"}},
        {"type": "view_submission", "view": {"blocks": ["x", {"type": "input", "block_id": 7}]}},
        {"type": "view_submission", "view": None},
        {"type": "block_actions", "user": "U1", "channel": "C1", "message": "m"},
        {"type": "block_actions", "user": {"id": ["U1"]}},
        {"command": "/team"},
        {},
    ],
)
def test_the_error_handler_answers_whatever_the_shape(body):
    response = handle_error(RuntimeError("boom"), body, BoltContext({}))
    assert response.status == 200


# -- the server's own limits, on a real process ---------------------------------------------------
@pytest.fixture(scope="module")
def fake_slack() -> FakeSlack:
    return start_fake_slack()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake_slack: FakeSlack) -> Iterator[BotProcess]:
    tmp_path: Path = tmp_path_factory.mktemp("hostile")
    env = bot_env(tmp_path, f"sqlite:///{tmp_path / 'teambot.db'}", fake_slack.url)
    port = free_port()
    with running(["run", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "bot.log", port) as bot:
        bot.wait_healthy()
        yield bot


def _status_line(sock: socket.socket) -> str:
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0].decode()


@pytest.mark.slow
def test_the_server_refuses_a_huge_body_by_its_length_without_waiting_for_it(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: teambot\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n" + b"x" * 1024
        )
        # The other 100 MB are never sent: the answer must not wait for them.
        assert _status_line(sock).split()[1] == "413"


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: teambot\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        status = ""
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 4):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server answered and closed while the body was still coming
        status = _status_line(sock)
    assert status.split()[1] == "413"


SLOW_CLIENTS = 300


@pytest.mark.slow
def test_hundreds_of_clients_trickling_headers_do_not_starve_real_requests(server):
    slow: list[socket.socket] = []
    try:
        for n in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: teambot\r\nX-Slow-%d: " % n)
            slow.append(sock)
        for sock in slow:
            sock.sendall(b"a")  # still coming, a byte at a time
        assert server.get("/healthz")[0] == 200
        status, body = server.command("/team")
        assert status == 200 and "<@U0STRAT>" in body
    finally:
        for sock in slow:
            sock.close()
    assert "Traceback" not in server.output()
