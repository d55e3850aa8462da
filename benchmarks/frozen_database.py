"""PostgreSQL going away under teambot, on a cluster of the benchmark's own (never the shared one):

1. **Frozen** (SIGSTOP of the server and its backends, as a network partition looks): signed
   `/team` commands and new-draft events from CLIENTS concurrent clients, and `/healthz`, each
   timed from the request to its answer, while the server does not answer.
2. **Resume**: two posts queued in one channel; the first reaches Slack, then the server is
   stopped before the sender can record it, and started again OUTAGE seconds later. Timed: from
   the server accepting connections again to the second post reaching Slack.

Run: `python -m benchmarks.frozen_database [--requests 40] [--clients 8] [--outage 10]`."""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from pydantic import SecretStr

from bot.app import create_app
from bot.core.clock import utcnow
from bot.core.db import make_engine, make_session_factory, transaction, upgrade
from bot.core.env import Settings
from bot.outbox.queue import Outbox
from bot.outbox.sender import OutboxSender, OutboxWorker
from bot.slack.http import wsgi_app
from bot.slack.runtime import Runtime, make_client
from tests.conftest import BOT_TOKEN, make_config
from tests.driver import SIGNING_SECRET, TEAM, SlackDriver, signed_headers
from tests.fake_slack import start_fake_slack
from tests.throwaway_cluster import throwaway_cluster


def _summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return f"{name}: n={len(ordered)} p50={statistics.median(ordered) * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"


def frozen(runtime: Runtime, requests: int, clients: int, cluster) -> None:  # type: ignore[no-untyped-def]
    app = create_app(runtime)
    driver = SlackDriver(app, OutboxSender(runtime.session_factory, runtime.client, owner="bench"))
    http = wsgi_app(app, runtime.engine, SIGNING_SECRET)
    driver.command("/team")  # the pool holds live connections, as in a running bot

    def command() -> tuple[float, int, str]:
        body = urlencode({"team_id": TEAM, "channel_id": "C0", "user_id": "U0ANNA", "command": "/team", "text": ""})
        start = time.monotonic()
        reply = driver.send(body, signed_headers(body), drain=False)
        return time.monotonic() - start, reply.status, reply.body[:60]

    def event(n: int) -> tuple[float, int, str]:
        draft = {"type": "message", "channel": "C0DRAFTS", "user": "U0ANNA", "text": "d", "ts": f"1.{n:06d}"}
        start = time.monotonic()
        reply = driver.event(draft, event_id=f"EvBench{n}", drain=False)
        return time.monotonic() - start, reply.status, ""

    def health() -> tuple[float, int, str]:
        start = time.monotonic()
        status: list[str] = []
        b"".join(http({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda s, _h: status.append(s)))
        return time.monotonic() - start, int(status[0][:3]), ""

    cluster.freeze()
    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [pool.submit(command if n % 2 else event, *(() if n % 2 else (n,))) for n in range(requests)]
            healths = [pool.submit(health) for _ in range(5)]
            results = [f.result() for f in futures]
            health_results = [f.result() for f in healths]
    finally:
        cluster.thaw()
    commands = [r for n, r in enumerate(results) if n % 2]
    events = [r for n, r in enumerate(results) if not n % 2]
    print(f"frozen database, {clients} concurrent clients:")
    print("  " + _summary("commands", [r[0] for r in commands]), "statuses", sorted({r[1] for r in commands}))
    print("  " + _summary("events", [r[0] for r in events]), "statuses", sorted({r[1] for r in events}))
    print(
        "  " + _summary("/healthz", [r[0] for r in health_results]), "statuses", sorted({r[1] for r in health_results})
    )
    print(f"  over 3 s: {sum(r[0] > 3 for r in results + health_results)} of {len(results) + len(health_results)}")


def resume(runtime: Runtime, slack, cluster, outage: float) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime.session_factory) as session:
        outbox = Outbox(session, utcnow())
        outbox.post("C0RESUME", "first")
        outbox.post("C0RESUME", "second")
    original = slack._answer
    stopped = threading.Event()

    def answer_then_lose_the_database(method, params):  # type: ignore[no-untyped-def]
        result = original(method, params)
        if method == "chat.postMessage" and not stopped.is_set():
            stopped.set()
            cluster.stop()  # before the sender records that "first" was posted
        return result

    slack._answer = answer_then_lose_the_database
    worker = OutboxWorker(OutboxSender(runtime.session_factory, runtime.client, owner="bench"))
    worker.start()
    try:
        stopped.wait(30)
        time.sleep(outage)
        cluster.start()
        back = time.monotonic()
        while not any(c.text == "second" for c in slack.posts("C0RESUME")):
            time.sleep(0.01)
        resumed = time.monotonic() - back
    finally:
        worker.stop()
        slack._answer = original
    posted = [c.text for c in slack.posts("C0RESUME")]
    print(f"resume after a {outage:.0f} s outage with a post in flight: the channel's next post left {resumed:.2f} s")
    print(f"  after the database was back; posts: {posted}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--outage", type=float, default=10.0)
    args = parser.parse_args(argv)
    slack = start_fake_slack()
    with throwaway_cluster() as cluster:
        settings = Settings(
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.url,
            database_url=cluster.url,
        )
        engine = make_engine(cluster.url)
        upgrade(engine)
        runtime = Runtime(
            settings, make_config(), engine, make_session_factory(engine), make_client(BOT_TOKEN, slack.url)
        )
        frozen(runtime, args.requests, args.clients, cluster)
        resume(runtime, slack, cluster, args.outage)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
