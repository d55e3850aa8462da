"""HTTP mode: Slack's requests at POST /slack/events, a health check at GET /healthz, served by
waitress (a production WSGI server)."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

EVENTS_PATH = "/slack/events"
log = logging.getLogger("teambot")


def wsgi_app(app: App, engine: Engine) -> Any:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(engine, start_response)
        return slack(environ, start_response)

    return application


def _health(engine: Engine, start_response: Any) -> Iterable[bytes]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status, body = "200 OK", {"status": "ok"}
    except Exception as exc:  # any database failure means "not healthy", whatever its type
        status, body = "503 Service Unavailable", {"status": "error", "database": exc.__class__.__name__}
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _stop(signum: int, _frame: object) -> None:
    log.info("stopping (signal %d)", signum)
    raise SystemExit(0)


def listen(app: App, engine: Engine, host: str, port: int, threads: int = 16) -> Any:
    """Bind the port (a ConfigError when it cannot be had), before anything else starts."""
    from waitress import create_server

    from bot.settings import ConfigError

    try:
        server = create_server(wsgi_app(app, engine), host=host, port=port, threads=threads, ident="teambot")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"cannot listen on {host}:{port} ({reason})") from None
    return server


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
