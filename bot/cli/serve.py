"""`teambot run` and `teambot scheduler`: serving Slack, the scheduler and the outbox sender until stopped."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from bot import app as teambot
from bot.cli.loading import prepared_runtime, settings_and_config

log = logging.getLogger("teambot")
DEFAULT_PORT = 3000


def _stop_on_signal() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    done = threading.Event()

    def _handler(signum: int, _frame: object) -> None:
        log.info("stopping (signal %d)", signum)
        done.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return done


def _wait_for_signal(stop: Callable[[], None]) -> None:
    _stop_on_signal().wait()
    stop()


def _start_background(runtime, *, with_scheduler: bool, with_sender: bool = True):  # type: ignore[no-untyped-def]
    from bot.core.config import keys_naming
    from bot.outbox.sender import OutboxSender, OutboxWorker
    from bot.slack.config_check import check_config_in_background

    check_config_in_background(runtime.client, runtime.config)
    sender = OutboxSender(
        runtime.session_factory, runtime.client, config_keys=lambda channel: keys_naming(runtime.config, channel)
    )
    worker = OutboxWorker(sender) if with_sender else None
    if worker is not None:
        worker.start()
    else:
        log.info("outbox sender off: `teambot scheduler` processes post what this process queues")
    scheduler = teambot.scheduler(runtime) if with_scheduler else None
    if scheduler is not None:
        scheduler.start()

    def stop() -> None:
        if scheduler is not None:
            scheduler.shutdown()
        if worker is not None:
            worker.stop()

    return stop


def cmd_run(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(need_slack=True, receives_requests=True)
    runtime = prepared_runtime(settings, config)
    runtime.check_token()

    app = teambot.create_app(runtime)
    from bot.slack import http as slack_http

    # The port first: if it cannot be had, nothing else has started (no scheduler lease taken).
    server = health = None
    feed = _calendar_feed(runtime)
    if not settings.socket_mode:
        assert settings.slack_signing_secret is not None  # required in HTTP mode
        port = args.port or DEFAULT_PORT
        secret = settings.slack_signing_secret.get_secret_value()
        server = slack_http.listen(app, runtime.engine, secret, args.host, port, calendar=feed)
    elif args.port:
        health = slack_http.listen_for_health(runtime.engine, args.host, args.port, calendar=feed)
    elif feed is not None:
        log.warning("TEAMBOT_CALENDAR_TOKEN is set, but Socket Mode serves HTTP only with --port: no calendar feed")
    stop_background = _start_background(runtime, with_scheduler=not args.no_scheduler, with_sender=not args.no_sender)
    try:
        if server is None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            from bot.slack.socket_mode import connect_with_retry

            assert settings.slack_app_token is not None
            handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
            stopping = _stop_on_signal()
            stop_health = slack_http.serve_in_background(health) if health is not None else lambda: None
            try:
                if connect_with_retry(handler.connect, stopping.wait):
                    served = "GET /healthz and /calendar.ics" if feed is not None else "GET /healthz"
                    log.info("teambot running in Socket Mode%s", f" ({served} on port {args.port})" if health else "")
                    stopping.wait()
                    handler.close()
            finally:
                stop_health()
        else:
            slack_http.serve(server, args.host, port)
    finally:
        stop_background()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(need_slack=True)
    runtime = prepared_runtime(settings, config)
    runtime.check_token()
    stop_background = _start_background(runtime, with_scheduler=True)
    log.info("teambot scheduler running")
    _wait_for_signal(stop_background)
    return 0


def _calendar_feed(runtime: Any) -> tuple[str, Any] | None:
    """GET /calendar.ics when TEAMBOT_CALENDAR_TOKEN is set: the iCalendar file, built per request."""
    token = runtime.settings.teambot_calendar_token
    if token is None or not token.get_secret_value():
        return None

    def build() -> bytes:
        return teambot.calendar_ics(runtime.session_factory)

    return token.get_secret_value(), build
