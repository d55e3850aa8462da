"""The baseline for the load benchmark: a Bolt app whose listeners only acknowledge, with request
signature checks on, served by waitress with as many threads as `teambot run`. It measures what
Bolt, waitress and the signature check cost by themselves.

Run: `SLACK_SIGNING_SECRET=... python -m benchmarks.ack_only_app --port 3100`"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import re
from collections.abc import Iterable
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

EVERYTHING = re.compile(".*")


def create_app(signing_secret: str, api_url: str, record_url: str | None = None) -> App:
    # Bolt asks auth.test once (then caches it), as it does in teambot: point it at the same API.
    app = App(
        signing_secret=signing_secret,
        client=WebClient(token="xoxb-ack-only", base_url=api_url),
        token_verification_enabled=False,
        process_before_response=True,
        logger=logging.getLogger("ack-only"),
    )

    if record_url:
        # Imported only here, so the plain ack-only app's memory is Bolt's alone.
        from sqlalchemy import Column, Integer, MetaData, Table, Text, insert

        from bot.core.db import make_engine

        recorded = Table("durable_ack_floor", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text))
        engine = make_engine(record_url)
        recorded.metadata.create_all(engine)
        statement = insert(recorded)

        # Runs after Bolt's signature check, like teambot's session middleware.
        @app.middleware
        def record(req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse:
            with engine.begin() as connection:
                connection.execute(statement, {"body": req.raw_body})
            return next()

    def only_ack(ack: Ack) -> None:
        ack()

    app.command(EVERYTHING)(only_ack)
    app.event(EVERYTHING)(only_ack)
    app.action(EVERYTHING)(only_ack)
    app.view(EVERYTHING)(only_ack)
    app.shortcut(EVERYTHING)(only_ack)
    return app


def wsgi_app(app: App) -> Any:
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            payload = json.dumps({"status": "ok"}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        return slack(environ, start_response)

    return application


def _teambot_threads(serve: Any) -> int:
    """The thread count `teambot run` serves with, so both apps get the same server."""
    return int(inspect.signature(serve).parameters["threads"].default)


def main() -> None:
    from waitress import serve

    from bot.slack import http

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", metavar="DATABASE_URL", help="commit each request's body before acknowledging")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    app = create_app(os.environ["SLACK_SIGNING_SECRET"], api_url, args.record)
    serve(wsgi_app(app), host="127.0.0.1", port=args.port, threads=_teambot_threads(http.listen), ident="ack-only")


if __name__ == "__main__":
    main()
