"""Load benchmark: signed slash commands, events and button clicks against a real `teambot run`
over HTTP, and the same load against an ack-only Bolt app in the same run (the ratio between the
two is what to compare on a busy machine).

    .venv/bin/python benchmarks/load.py                      # SQLite and PostgreSQL, 1/8/32 clients
    .venv/bin/python benchmarks/load.py --backends sqlite --clients 8 --requests 4000
    .venv/bin/python benchmarks/load.py --soak 100000 --skip-matrix --backends postgresql
    .venv/bin/python benchmarks/load.py --json results.json
    .venv/bin/python benchmarks/load.py --topologies split   # web replica + `teambot scheduler`
    .venv/bin/python benchmarks/load.py --floor              # also the durable-ack floor

Everything runs on 127.0.0.1: a fake Slack Web API (benchmarks/fake_web_api.py), `teambot run`
with a config written here, and benchmarks/ack_only_app.py. SQLite uses a temporary file;
PostgreSQL a throw-away database created on --pg-url and dropped afterwards. The load generator is
a thread pool, each thread keeping one HTTP/1.1 connection, bounded by a request count and a time
limit per cell. Topology `one` is a single `teambot run` (scheduler and outbox sender inside);
`split` is the deployment of docs/deployment.md on one machine: `teambot run --no-scheduler
--no-sender` taking the requests and a `teambot scheduler` posting what it queues. Each cell runs
teambot, ack-only, ack-only, teambot (half the requests each time) so drift on a shared machine
hits both apps alike; then it waits for the outbox to drain and reports how long that took.
With `--floor` a third app runs in each cell, ack-only plus one committed insert of the request
before the acknowledgement (`ack_only_app.py --record`): the floor of any design that never loses
an acknowledged request.

The request mix is MIX below; kinds whose listener is not in this build (Bolt answers 404), or
that need drafts when none were created, are skipped and listed as such."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
TEAM = "T0TEAM"
DRAFTS = "C0DRAFTS"
DEFAULT_PG_URL = os.environ.get("TEAMBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SLACK_DEADLINE_MS = 3000.0

CONFIG = f"""
timezone = "Europe/Budapest"

[channels]
drafts = "{DRAFTS}"
escalations = "C0ESCALATE"
ideas = "C0IDEAS"
checklists = "C0CHECKLIST"
digest = "C0STAFF"

[roles]
strategist = ["U0STRAT"]
content_manager = ["U0CONTENT"]
community_manager = ["U0COMMUNITY"]

[teams.support]
lead = "U0LEAD"
members = ["U0ANNA", "U0BEN"]
channel = "C0SUPPORT"
"""


# -- requests ---------------------------------------------------------------------------------------
@dataclass
class State:
    """What the request builders may use: drafts known to exist (id, ts)."""

    drafts: list[tuple[int, str]] = field(default_factory=list)


Body = tuple[str, str]  # (body, content type)
Builder = Callable[[int, State], Body]
FORM = "application/x-www-form-urlencoded"


def command(name: str, text: str, user: str = "U0ANNA") -> Builder:
    def build(n: int, _state: State) -> Body:
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "channel_id": "C0GENERAL",
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": name,
                "text": text,
                "response_url": "https://hooks.slack.test/commands/1",
                "trigger_id": f"trigger-{n}",
            }
        )
        return body, FORM

    return build


def _event(n: int, event: dict[str, Any]) -> Body:
    payload = {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:16].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        "event": event,
    }
    return json.dumps(payload), "application/json"


def draft_ts(n: int) -> str:
    return f"1700{n % 1_000_000:06d}.{n % 1_000_000:06d}"


def new_draft(n: int, _state: State) -> Body:
    event = {
        "type": "message",
        "channel": DRAFTS,
        "channel_type": "channel",
        "user": ("U0ANNA", "U0BEN", "U0COMMUNITY")[n % 3],
        "text": f"Draft {n}: our spring campaign goes live on Monday <!channel>",
        "ts": draft_ts(n),
        "event_ts": draft_ts(n),
    }
    return _event(n, event)


def reaction(n: int, state: State) -> Body:
    # Approvers' ticks on known drafts, other people's emoji and reactions on other messages.
    user, emoji = (
        ("U0CONTENT", "white_check_mark"),
        ("U0STRAT", "white_check_mark"),
        ("U0ANNA", "+1"),
        ("U0BEN", "eyes"),
    )[n % 4]
    ts = state.drafts[n % len(state.drafts)][1] if state.drafts else draft_ts(n)
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": emoji,
        "item_user": "U0ANNA",
        "item": {"type": "message", "channel": DRAFTS, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }
    return _event(n, event)


def approve_click(n: int, state: State) -> Body:
    draft_id, ts = state.drafts[n % len(state.drafts)]
    user = ("U0CONTENT", "U0STRAT", "U0ANNA")[n % 3]
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0APP",
        "trigger_id": f"trigger-{n}",
        "channel": {"id": DRAFTS},
        "container": {"type": "message", "message_ts": ts, "channel_id": DRAFTS},
        "message": {"ts": ts, "type": "message", "text": "", "blocks": []},
        "response_url": "https://hooks.slack.test/actions/1",
        "actions": [
            {
                "action_id": "draft_approve",
                "block_id": f"draft:{draft_id}",
                "value": str(draft_id),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}), FORM


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int
    build: Builder
    needs_drafts: bool = False


# The request mix; extend it as features land (weights are relative frequencies).
MIX: list[Kind] = [
    Kind("/team", 3, command("/team", "")),
    Kind("/team help", 1, command("/team", "help")),
    Kind("garbage", 1, command("/team", "frobnicate <!channel>")),
    Kind("/approve", 2, command("/approve", "", user="U0CONTENT")),
    Kind("reaction", 3, reaction),
    Kind("draft message", 1, new_draft),
    Kind("approve click", 2, approve_click, needs_drafts=True),
]


def signed(body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


# -- processes --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def teambot_command() -> list[str]:
    script = Path(sys.executable).parent / "teambot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def status(self, field_name: str) -> int | None:
        """A /proc/PID/status figure in KiB (VmRSS, VmHWM)."""
        try:
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start(name: str, argv: list[str], env: dict[str, str], port: int, workdir: Path) -> Proc:
    log = workdir / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    proc = Proc(name, popen, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise SystemExit(f"{name} exited with {popen.returncode}:\n{proc.log_tail()}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return proc
        time.sleep(0.2)
    proc.stop()
    raise SystemExit(f"{name} did not answer /healthz within 90 s:\n{proc.log_tail()}")


def start_fake_api(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port_file = workdir / "fake_api.port"
    popen = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_web_api", "--port", "0", "--port-file", str(port_file)], cwd=ROOT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return popen, int(port_file.read_text())
        time.sleep(0.05)
    popen.kill()
    raise SystemExit("the fake Web API did not start")


def fake_api_stats(port: int) -> dict[str, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/stats")
    return json.loads(connection.getresponse().read())


@contextlib.contextmanager
def database(backend: str, workdir: Path, pg_url: str) -> Iterator[str | None]:
    """A fresh database URL for the backend, or None when it cannot be had (PostgreSQL down)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"teambot_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        print(f"PostgreSQL not reachable ({str(exc.orig).splitlines()[0]}); skipping it", file=sys.stderr)
        admin.dispose()
        yield None
        return
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- load -------------------------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str
    status: int  # 0: connection error
    ms: float


@dataclass
class Cell:
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: Cell) -> None:
        self.samples.extend(other.samples)
        self.seconds += other.seconds

    def latencies(self) -> list[float]:
        return sorted(s.ms for s in self.samples if s.status == 200)

    def summary(self) -> dict[str, Any]:
        ok = self.latencies()
        failures = Counter(f"{s.kind}:{s.status}" for s in self.samples if s.status != 200)
        return {
            "requests": len(self.samples),
            "ok": len(ok),
            "failures": dict(failures),
            "p50_ms": round(percentile(ok, 50), 2),
            "p99_ms": round(percentile(ok, 99), 2),
            "max_ms": round(ok[-1], 2) if ok else 0.0,
            "rps": round(len(self.samples) / self.seconds, 1) if self.seconds else 0.0,
            "by_kind": self.by_kind(),
        }

    def by_kind(self) -> dict[str, dict[str, float]]:
        kinds: dict[str, list[float]] = {}
        for s in self.samples:
            if s.status == 200:
                kinds.setdefault(s.kind, []).append(s.ms)
        out = {}
        for kind, values in kinds.items():
            values.sort()
            p50, p99 = percentile(values, 50), percentile(values, 99)
            out[kind] = {"n": len(values), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
        return out


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class Sequence:
    """Hands out request numbers to worker threads until the count or the time runs out."""

    def __init__(self, start: int, count: int, seconds: float):
        self._numbers = itertools.count(start)
        self._end = start + count
        self._deadline = time.monotonic() + seconds
        self._lock = threading.Lock()

    def next(self) -> int | None:
        with self._lock:
            n = next(self._numbers)
        return n if n < self._end and time.monotonic() < self._deadline else None


def send(connection: http.client.HTTPConnection, body: str, content_type: str) -> tuple[int, bytes]:
    connection.request("POST", "/slack/events", body=body.encode(), headers=signed(body, content_type))
    response = connection.getresponse()
    return response.status, response.read()


def worker(port: int, kinds: list[Kind], state: State, numbers: Sequence) -> list[Sample]:
    samples: list[Sample] = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while (n := numbers.next()) is not None:
        kind = kinds[n % len(kinds)]
        body, content_type = kind.build(n, state)
        started = time.perf_counter()
        try:
            status, _ = send(connection, body, content_type)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        samples.append(Sample(kind.name, status, (time.perf_counter() - started) * 1000))
    connection.close()
    return samples


def run_load(port: int, kinds: list[Kind], state: State, clients: int, count: int, seconds: float, start: int) -> Cell:
    numbers = Sequence(start, count, seconds)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(worker, port, kinds, state, numbers) for _ in range(clients)]
        samples = [s for f in futures for s in f.result()]
    return Cell(samples, time.perf_counter() - started)


def weighted(kinds: list[Kind]) -> list[Kind]:
    """The mix as a cycle: each kind `weight` times, interleaved."""
    rounds = max(k.weight for k in kinds)
    return [k for r in range(rounds) for k in kinds if k.weight > r]


def probe(port: int, kinds: list[Kind], state: State) -> tuple[list[Kind], dict[str, str]]:
    """Send each kind once; keep those the app handles."""
    usable, skipped = [], {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i, kind in enumerate(kinds):
        if kind.needs_drafts and not state.drafts:
            skipped[kind.name] = "no drafts were created (the draft feature is not in this build)"
            continue
        status, _ = send(connection, *kind.build(900_000 + i, state))
        if status == 200:
            usable.append(kind)
        else:
            skipped[kind.name] = f"answered {status} (no listener in this build)"
    connection.close()
    return usable, skipped


def _query(database_url: str, sql: str) -> list[Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def known_drafts(database_url: str) -> list[tuple[int, str]]:
    rows = _query(database_url, "SELECT id, ts FROM drafts ORDER BY id LIMIT 200")
    return [(int(r[0]), str(r[1])) for r in rows]


def outbox_drained_after(database_url: str, limit: float = 300) -> float | None:
    """Seconds until every queued post has left, counted from now (the end of the load)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        rows = _query(database_url, "SELECT count(*) FROM outbox WHERE status = 'pending'")
        if rows and rows[0][0] == 0:
            return round(time.monotonic() - started, 2)
        time.sleep(0.1)
    return None


def prepare_drafts(port: int, database_url: str, count: int = 40) -> State:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(count):
        send(connection, *new_draft(800_000 + i, State()))
    connection.close()
    time.sleep(1.0)  # let the outbox settle
    return State(drafts=known_drafts(database_url))


# -- the run ----------------------------------------------------------------------------------------
def environment(database_url: str, api_port: int, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMBOT_", "DATABASE_URL"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{api_port}/api/",
        DATABASE_URL=database_url,
        TEAMBOT_CONFIG=str(config),
        PYTHONPATH=str(ROOT),
    )
    return env


def run_backend(backend: str, topology: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any] | None:
    with database(backend, workdir, args.pg_url) as url:
        if url is None:
            return None
        config = workdir / "teambot.toml"
        config.write_text(CONFIG)
        api, api_port = start_fake_api(workdir)
        env = environment(url, api_port, config)
        bot = ack = floor = scheduler = None
        label = backend if topology == "one" else f"{backend} {topology}"
        try:
            bot_port, ack_port = free_port(), free_port()
            argv = [*teambot_command(), "run", "--host", "127.0.0.1", "--port", str(bot_port)]
            if topology == "split":
                argv += ["--no-scheduler", "--no-sender"]
            bot = start(f"teambot-{backend}", argv, env, bot_port, workdir)
            if topology == "split":
                log = workdir / "scheduler.log"
                with log.open("wb") as handle:
                    popen = subprocess.Popen(
                        [*teambot_command(), "scheduler"], env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT
                    )
                scheduler = Proc("scheduler", popen, 0, log)
            ack_argv = [sys.executable, "-m", "benchmarks.ack_only_app", "--port", str(ack_port)]
            ack = start("ack-only", ack_argv, env, ack_port, workdir)
            if args.floor:
                floor_url = f"sqlite:///{workdir / 'floor.db'}" if backend == "sqlite" else url
                floor_port = free_port()
                floor_argv = [*ack_argv[:-1], str(floor_port), "--record", floor_url]
                floor = start("durable-ack", floor_argv, env, floor_port, workdir)
            state = prepare_drafts(bot.port, url)
            kinds, skipped = probe(bot.port, MIX, state)
            _, ack_skipped = probe(ack.port, kinds, state)
            if ack_skipped:
                raise SystemExit(f"the ack-only app refused: {ack_skipped}")
            cycle = weighted(kinds)
            print(f"\n[{label}] mix: {', '.join(k.name for k in kinds)}", file=sys.stderr)
            for name, why in skipped.items():
                print(f"[{label}] skipped {name}: {why}", file=sys.stderr)
            # Warm both up (imports, connection pools, caches) before measuring.
            run_load(bot.port, cycle, state, 4, args.warmup, 60, 0)
            run_load(ack.port, cycle, state, 4, args.warmup, 60, 0)
            if floor is not None:
                run_load(floor.port, cycle, state, 4, args.warmup, 60, 0)
            result: dict[str, Any] = {
                "backend": backend,
                "topology": topology,
                "label": label,
                "mix": [k.name for k in kinds],
                "skipped": skipped,
            }
            cells = []
            numbers = itertools.count(1_000_000, 1_000_000)
            if not args.skip_matrix:
                for clients in args.clients:
                    bot_cell, ack_cell, floor_cell = Cell(), Cell(), Cell()
                    half, seconds = max(1, args.requests // 2), args.max_seconds / 2
                    order = [(bot, bot_cell), (ack, ack_cell)]
                    if floor is not None:
                        order.append((floor, floor_cell))
                    for target, cell in order + order[::-1]:
                        cell.add(run_load(target.port, cycle, state, clients, half, seconds, next(numbers)))
                    row = {
                        "clients": clients,
                        "teambot": bot_cell.summary(),
                        "ack_only": ack_cell.summary(),
                        "teambot_rss_kib": bot.status("VmRSS"),
                        "ack_only_rss_kib": ack.status("VmRSS"),
                    }
                    row["p99_ratio"] = ratio(row["teambot"]["p99_ms"], row["ack_only"]["p99_ms"])
                    row["p50_ratio"] = ratio(row["teambot"]["p50_ms"], row["ack_only"]["p50_ms"])
                    if floor is not None:
                        row["durable_ack"] = floor_cell.summary()
                        row["durable_ack_rss_kib"] = floor.status("VmRSS")
                        row["durable_ack_p99_ratio"] = ratio(row["durable_ack"]["p99_ms"], row["ack_only"]["p99_ms"])
                    row["outbox_drained_after_s"] = outbox_drained_after(url)
                    cells.append(row)
                    print_row(label, row)
            result["cells"] = cells
            if args.soak:
                result["soak"] = soak(bot, cycle, state, args, next(numbers))
            result["teambot_peak_rss_kib"] = bot.status("VmHWM")
            result["ack_only_peak_rss_kib"] = ack.status("VmHWM")
            time.sleep(1.5)
            result["web_api_calls"] = fake_api_stats(api_port)
            return result
        finally:
            for proc in (bot, ack, floor, scheduler):
                if proc is not None:
                    proc.stop()
            api.terminate()
            api.wait()


def soak(bot: Proc, cycle: list[Kind], state: State, args: argparse.Namespace, start: int) -> dict[str, Any]:
    samples = [{"requests": 0, "rss_kib": bot.status("VmRSS")}]
    total = Cell()
    sent = 0
    while sent < args.soak:
        chunk = min(args.soak_every, args.soak - sent)
        cell = run_load(bot.port, cycle, state, args.soak_clients, chunk, args.soak_max_seconds, start + sent)
        total.add(cell)
        sent += len(cell.samples)
        samples.append({"requests": sent, "rss_kib": bot.status("VmRSS")})
        print(f"  soak: {sent} requests, VmRSS {samples[-1]['rss_kib']} KiB", file=sys.stderr)
        if len(cell.samples) < chunk:
            break  # time limit
    after_warmup = samples[1]["rss_kib"] if len(samples) > 1 else samples[0]["rss_kib"]
    return {
        "clients": args.soak_clients,
        "samples": samples,
        "summary": total.summary(),
        "rss_growth_after_first_sample_kib": (samples[-1]["rss_kib"] or 0) - (after_warmup or 0),
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


HEADER = (
    f"{'backend':<17}{'clients':>7}  {'app':<9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}"
    f"{'errors':>7}{'RSS MiB':>9}  p50/p99 ratio, outbox drained after"
)


def print_row(backend: str, row: dict[str, Any]) -> None:
    apps = [("teambot", "teambot", "teambot_rss_kib"), ("ack-only", "ack_only", "ack_only_rss_kib")]
    if "durable_ack" in row:
        apps.append(("durable", "durable_ack", "durable_ack_rss_kib"))
    for app, key, rss in apps:
        s = row[key]
        errors = s["requests"] - s["ok"]
        mib = f"{(row[rss] or 0) / 1024:.0f}"
        ratios = ""
        if app == "teambot":
            ratios = f"{row['p50_ratio']}x / {row['p99_ratio']}x, {row.get('outbox_drained_after_s')} s"
        elif app == "durable":
            ratios = f"p99 {row['durable_ack_p99_ratio']}x the ack-only app's"
        print(
            f"{backend:<17}{row['clients']:>7}  {app:<9}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['max_ms']:>9.1f}"
            f"{s['rps']:>8.1f}{errors:>7}{mib:>9}  {ratios}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--topologies", default="one,split", help="comma-separated: one,split (see above)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients per cell, comma-separated")
    parser.add_argument("--requests", type=int, default=2000, help="requests per app per cell (default 2000)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time limit per app per cell (default 60)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per app first (default 200)")
    parser.add_argument("--soak", type=int, default=0, help="then send N more requests to teambot, sampling RSS")
    parser.add_argument("--soak-every", type=int, default=10_000, help="RSS sample interval (default 10000)")
    parser.add_argument("--soak-clients", type=int, default=8)
    parser.add_argument("--soak-max-seconds", type=float, default=900, help="time limit per soak chunk")
    parser.add_argument("--skip-matrix", action="store_true", help="only the soak")
    parser.add_argument("--floor", action="store_true", help="also measure the durable-ack floor (see above)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server for the throw-away database")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    # Stopped from outside (timeout, kill): still stop the processes started here.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - {"sqlite", "postgresql"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    topologies = [t.strip() for t in args.topologies.split(",") if t.strip()]
    if unknown := set(topologies) - {"one", "split"}:
        parser.error(f"unknown topology(ies): {', '.join(sorted(unknown))}")

    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    print(HEADER)
    results = []
    workdir = Path(tempfile.mkdtemp(prefix="teambot-bench-"))
    try:
        for backend, topology in itertools.product(backends, topologies):
            (workdir / f"{backend}-{topology}").mkdir()
            result = run_backend(backend, topology, args, workdir / f"{backend}-{topology}")
            if result is not None:
                backend = result["label"]
                results.append(result)
                if "soak" in result:
                    s = result["soak"]
                    series = ", ".join(f"{x['requests']}: {(x['rss_kib'] or 0) / 1024:.1f}" for x in s["samples"])
                    print(f"{backend:<17}soak ({s['clients']} clients) VmRSS MiB by requests sent: {series}")
                    print(
                        f"{backend:<17}soak p50 {s['summary']['p50_ms']} ms, p99 {s['summary']['p99_ms']} ms, "
                        f"{s['summary']['rps']} req/s, errors {s['summary']['requests'] - s['summary']['ok']}"
                    )
                print(
                    f"{backend:<17}peak RSS (VmHWM): teambot {(result['teambot_peak_rss_kib'] or 0) / 1024:.0f} MiB, "
                    f"ack-only {(result['ack_only_peak_rss_kib'] or 0) / 1024:.0f} MiB; "
                    f"Web API calls made: {result['web_api_calls']}"
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        meta = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "args": sys.argv[1:]}
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    slow = [
        (r["label"], c["clients"])
        for r in results
        for c in r["cells"]
        if c["teambot"]["p99_ms"] > SLACK_DEADLINE_MS or c["teambot"]["ok"] < c["teambot"]["requests"]
    ]
    if slow:
        print(f"over Slack's 3 s or with errors: {slow}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
