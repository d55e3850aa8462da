"""HTTP mode: Slack's requests at POST /slack/events, a health check at GET /healthz, served by
waitress (a production WSGI server)."""

from __future__ import annotations

import hmac
import io
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text

from bot.core import deadline
from bot.core.db import CONNECT_TIMEOUT_SECONDS
from bot.slack import shape, signature

EVENTS_PATH = "/slack/events"
# Slack's largest requests are message events: at most 40,000 characters, sent twice (as text and
# as rich-text blocks), about 1 MiB even if every character were a JSON-escaped emoji; a modal's
# submission is far smaller. Twice that is allowed; anything larger is refused unread.
MAX_BODY_BYTES = 2 * 1024 * 1024
CALENDAR_PATH = "/calendar.ics"
# The calendar feed: its secret token and what builds the iCalendar file.
CalendarFeed = tuple[str, Callable[[], bytes]]
log = logging.getLogger("teambot")

# waitress reads each request in full on its event loop before a worker thread sees it, so slow
# clients hold only a connection, never a worker: these limits decide how many of them it takes to
# lock real requests out, and how long an idle one is kept (see docs/deployment.md).
SERVER_LIMITS: dict[str, Any] = {
    # Open connections at once (waitress's default, 100, is what a hundred slow clients filled).
    "connection_limit": 1000,
    # poll() instead of select(), which cannot watch more than 1,024 sockets.
    "asyncore_use_poll": True,
    # A connection that sends nothing for this long is closed (checked every cleanup_interval).
    "channel_timeout": 20,
    "cleanup_interval": 5,
    # Refused with 413 by waitress before the body is read (the application checks again).
    "max_request_body_size": MAX_BODY_BYTES,
    "max_request_header_size": 64 * 1024,
}


def wsgi_app(app: App, engine: Engine, signing_secret: str, calendar: CalendarFeed | None = None) -> Any:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)
    mismatches = signature.MismatchWarning()
    probe = HealthProbe(engine)

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if _is_health_check(environ):
            return _health(probe, start_response)
        if environ.get("PATH_INFO") == CALENDAR_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _calendar(calendar, environ, start_response)
        if environ.get("PATH_INFO") == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return events(environ, start_response)
        return slack(environ, start_response)

    def events(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        # Bolt parses the body before it checks the signature, and a body that is not what
        # Slack sends makes that parse raise: an unsigned request is refused before it, and a
        # body larger than any Slack sends is refused before it is read.
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared and not (declared.isascii() and declared.isdigit()):
            return _json(start_response, "400 Bad Request", {"error": "bad Content-Length"})
        body = _read_body(environ)
        if body is None:
            return _json(start_response, "413 Content Too Large", {"error": "request body too large"})
        text = _utf8(body)
        if text is None or not _signed_by_slack(verifier, text, environ):
            if text is not None and signature.is_ssl_check(body, environ.get("CONTENT_TYPE", "")):
                # Slack's certificate check comes unsigned: answered here, nothing runs.
                return _empty_ok(start_response)
            mismatches.refused(
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""), environ.get("HTTP_X_SLACK_SIGNATURE", "")
            )
            return _json(start_response, "401 Unauthorized", {"error": "invalid request"})
        parsed = shape.parse(text, environ.get("CONTENT_TYPE", ""))
        if parsed is None:
            # Signed, yet not JSON or a form: nothing Slack sends, and nothing a retry would fix.
            log.warning("refused a signed request that is not a JSON object or a form (400)")
            return _json(start_response, "400 Bad Request", {"error": "malformed body"})
        problem = shape.problem(parsed)
        if problem is not None:
            log.warning("ignored a signed request of an unexpected shape (%s)", problem)
            return _empty_ok(start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body, or None when it is over MAX_BODY_BYTES: refused by its Content-Length
    before anything is read, and a body without one (chunked) is read no further than the limit."""
    stream = environ["wsgi.input"]
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if declared:
        if int(declared) > MAX_BODY_BYTES:
            return None
        return stream.read(int(declared))
    body = stream.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def _utf8(body: bytes) -> str | None:
    """Slack's bodies are UTF-8; anything else cannot be checked (the SDK's check would raise)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _calendar(feed: CalendarFeed | None, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The iCalendar feed for Google Calendar or Outlook. Without the right token (compared in
    constant time) it does not exist: 404 with nothing in the body."""
    given = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0].encode()
    if feed is None or not feed[0] or not hmac.compare_digest(given, feed[0].encode()):
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    body = feed[1]()
    headers = [("Content-Type", "text/calendar; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [body]


def _is_health_check(environ: dict[str, Any]) -> bool:
    return environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD")


def _signed_by_slack(verifier: SignatureVerifier, body: str, environ: dict[str, Any]) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signed = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    return signature.timestamp_is_a_number(timestamp) and verifier.is_valid(body, timestamp, signed)


# A load balancer or an orchestrator asks often and gives up after a second or two: the answer
# leaves within this, a database that does not answer in time is "not healthy".
HEALTH_TIMEOUT_SECONDS = 0.9


class HealthProbe:
    """Asks the database in a thread of its own, one question at a time: a health check waits at
    most HEALTH_TIMEOUT_SECONDS, and while an earlier question is still unanswered (a frozen
    database) the next check is answered 503 at once instead of piling up threads."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._pending: threading.Thread | None = None
        self._result: str | None = None

    def problem(self) -> str | None:
        """None when the database answers in time; else what went wrong, in a word."""
        with self._lock:
            if self._pending is None or not self._pending.is_alive():
                self._result = "timeout"
                self._pending = threading.Thread(target=self._ask, name="teambot-health-probe", daemon=True)
                self._pending.start()
            pending = self._pending
        pending.join(HEALTH_TIMEOUT_SECONDS)
        with self._lock:
            return "timeout" if pending.is_alive() else self._result

    def _ask(self) -> None:
        result: str | None
        try:
            # Given more time than the answer waits, so that a slow first connection is still
            # made and the next check finds it.
            with deadline.within(CONNECT_TIMEOUT_SECONDS), self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            result = None
        except Exception as exc:  # any database failure means "not healthy", whatever its type
            result = type(exc).__name__
        with self._lock:
            self._result = result


def _health(probe: HealthProbe, start_response: Any) -> Iterable[bytes]:
    problem = probe.problem()
    if problem is None:
        return _json(start_response, "200 OK", {"status": "ok"})
    return _json(start_response, "503 Service Unavailable", {"status": "error", "database": problem})


def _empty_ok(start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


def _json(start_response: Any, status: str, body: dict[str, str]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _stop(signum: int, _frame: object) -> None:
    log.info("stopping (signal %d)", signum)
    raise SystemExit(0)


def listen(
    app: App,
    engine: Engine,
    signing_secret: str,
    host: str,
    port: int,
    threads: int = 16,
    calendar: CalendarFeed | None = None,
) -> Any:
    """Bind the port (a ConfigError when it cannot be had), before anything else starts."""
    from waitress import create_server

    from bot.core.errors import ConfigError

    application = wsgi_app(app, engine, signing_secret, calendar)
    try:
        return create_server(application, host=host, port=port, threads=threads, ident="teambot", **SERVER_LIMITS)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"cannot listen on {host}:{port} ({reason})") from None


def listen_for_health(engine: Engine, host: str, port: int, calendar: CalendarFeed | None = None) -> Any:
    """Socket Mode receives no HTTP requests, but a container or a load balancer still asks
    `GET /healthz`, and calendar apps fetch `GET /calendar.ics` (with TEAMBOT_CALENDAR_TOKEN set):
    a port that answers only those (the standard library's WSGI server, which can be stopped from
    another thread), served by `serve_in_background`."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from bot.core.errors import ConfigError

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # one line per probe is noise
            pass

    probe = HealthProbe(engine)

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if _is_health_check(environ):
            return _health(probe, start_response)
        if environ.get("PATH_INFO") == CALENDAR_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _calendar(calendar, environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "Socket Mode: only GET /healthz is served here"})

    try:
        return make_server(host, port, application, server_class=Server, handler_class=QuietHandler)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def serve_in_background(server: Any) -> Callable[[], None]:
    """Serve the health port from a daemon thread; returns how to stop it."""
    threading.Thread(target=server.serve_forever, name="teambot-health", daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


def serve(server: Any, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT; then waitress finishes the requests in progress and this
    returns, so the caller can stop the scheduler (releasing its lease) and the outbox worker."""
    log.info("teambot listening on http://%s:%d%s", host, port, EVENTS_PATH)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (docker stop, systemd, Kubernetes) would otherwise end the process on the spot.
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        server.run()
    finally:
        server.close()
