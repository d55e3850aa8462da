"""How fast the publishing calendar answers on a year of a busy team's plans.

Fills a fresh database (bulk inserts) with a year of a busy team: 20 accounts, 15,000 planned
posts (each on one to three accounts, every status) and 500 notes (one in ten a blackout). Then
measures, in-process, what `/calendar` does for every week of the year (the week's query and its
Block Kit), counting SQL statements with a SQLAlchemy event; the collision check of a new plan;
and the whole year's iCalendar export: the first one (no event kept yet: each is serialized, then
kept in the database), then cold (connections closed and the process's caches cleared, as in a
new process), warm (the feed asked again), cold again after a day's changes, and the real
`teambot export --format ics` command in a new process. Runs on SQLite and, when reachable,
PostgreSQL.

The machine it runs on may be shared and loaded, so each figure is also given as a ratio to a
baseline measured in the same run on the same database: for `/calendar` and the collision check,
reading one draft by primary key (the cheapest round trip); for the export, the year's file built
as before events were kept (every event built with `Event.add` and serialized), with the year's
plan rows read alone shown beside it.

    python -m benchmarks.calendar_benchmark
    python -m benchmarks.calendar_benchmark --scale 0.1 --skip-postgres
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Event
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.digest_benchmark import CHANNELS, _bulk, postgres_database
from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.core.text import as_written
from bot.features.approvals.models import Draft
from bot.features.calendar import blocks as ui
from bot.features.calendar import ics
from bot.features.calendar import service as calendar
from bot.features.calendar.models import CalendarNote, KeptEvents, Plan, PlanAccount

YEAR = 2026
ACCOUNTS = [f"account{n:02d}" for n in range(20)]
STATUSES = ["approved"] * 5 + ["published"] * 8 + ["pending", "rejected", "withdrawn", "expired"]
CONFIG = TeamConfig.model_validate(
    {
        "timezone": "Europe/Budapest",
        "channels": CHANNELS,
        "accounts": [{"name": name, "min_gap_minutes": 120} for name in ACCOUNTS],
    }
)


def fill(engine: Engine, scale: float, seed: int = 11) -> dict[str, int]:
    rng = random.Random(seed)
    posts = int(15_000 * scale)
    start = datetime(YEAR, 1, 1, 6, tzinfo=UTC)
    plans: list[tuple[int, datetime, list[str]]] = []
    for draft_id in range(1, posts + 1):
        slot = start + timedelta(minutes=15 * rng.randrange(365 * 24 * 4))
        plans.append((draft_id, slot, rng.sample(ACCOUNTS, rng.choice((1, 1, 2, 3)))))

    def draft_rows() -> Iterator[dict[str, Any]]:
        for draft_id, slot, _accounts in plans:
            created = slot - timedelta(days=3)
            yield {
                "id": draft_id,
                "channel": "C0DRAFTS",
                "ts": f"{1_760_000_000 + draft_id}.000100",
                "author": "U0AUTHOR",
                "text": f"Post {draft_id} about winter https://acme.test/{draft_id % 900}",
                "files_signature": "",
                "status": rng.choice(STATUSES),
                "current_step": 0,
                "current_role": "content_manager",
                "chain": "content_manager,strategist",
                "created_at": created,
                "updated_at": created,
                "step_started_at": created,
            }

    def plan_rows() -> Iterator[dict[str, Any]]:
        for draft_id, slot, accounts in plans:
            yield {
                "draft_id": draft_id,
                "accounts": ",".join(accounts),
                "slot": slot,
                "brand": "",
                "summary": f"Post {draft_id} about winter",
                "links": f"https://acme.test/{draft_id % 900}",
                "planned_by": "U0AUTHOR",
                "planned_at": slot - timedelta(days=2),
            }

    def account_rows() -> Iterator[dict[str, Any]]:
        for draft_id, slot, accounts in plans:
            for account in accounts:
                yield {"draft_id": draft_id, "account": account, "slot": slot}

    def note_rows() -> Iterator[dict[str, Any]]:
        for n in range(int(500 * scale)):
            first = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
            yield {
                "id": n + 1,
                "start": first,
                "end": first + timedelta(days=rng.choice((0, 0, 1, 2))),
                "blackout": n % 10 == 0,
                "text": f"Note {n}: campaign <!channel> launch",
                "by": "U0CONTENT",
                "created_at": datetime(YEAR - 1, 12, 1, tzinfo=UTC),
            }

    counts = {
        "drafts": _bulk(engine, Draft, draft_rows()),
        "calendar_plans": _bulk(engine, Plan, plan_rows()),
        "calendar_plan_accounts": _bulk(engine, PlanAccount, account_rows()),
        "calendar_notes": _bulk(engine, CalendarNote, note_rows()),
    }
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in ("drafts", "calendar_notes"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        connection.execute(text("ANALYZE"))
    return counts


class StatementCounter:
    def __init__(self, engine: Engine):
        self.engine, self.count = engine, 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _ms(values: list[float], baseline: float | None = None) -> str:
    shown = f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"
    if baseline:
        ratio = statistics.median(values) / baseline
        shown += f" ({ratio:.0f}x baseline)" if ratio >= 10 else f" ({ratio:.2g}x baseline)"
    return shown


def _timed(work: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return times


def report(name: str, engine: Engine, scale: float) -> None:
    upgrade(engine)
    started = time.perf_counter()
    counts = fill(engine, scale)
    print(f"\n== {name} ==")
    print("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    print(f"fill: {time.perf_counter() - started:.1f} s (bulk inserts)")
    factory = make_session_factory(engine)
    with factory() as session:
        one_row = select(Draft.status).where(Draft.id == 1)
        session.execute(one_row).one()
        baseline = statistics.median(_timed(lambda: session.execute(one_row).one(), 200))
    print(f"baseline, one draft by primary key: median {baseline * 1000:.2f} ms")
    monday = calendar.week_start(date(YEAR, 1, 1))
    week_times, filtered_times, statements, posts_shown = [], [], set(), []
    with factory() as session:
        calendar.week(session, CONFIG, monday)  # warm the connection and the statement cache
        for week in range(52):
            day = monday + timedelta(days=7 * week)
            with StatementCounter(engine) as counter:
                began = time.perf_counter()
                view = calendar.week(session, CONFIG, day)
                ui.week_view(view, CONFIG.tz)
                week_times.append(time.perf_counter() - began)
            statements.add(counter.count)
            posts_shown.append(sum(len(v) for v in view.days.values()))
            began = time.perf_counter()
            ui.week_view(calendar.week(session, CONFIG, day, ACCOUNTS[week % 20]), CONFIG.tz)
            filtered_times.append(time.perf_counter() - began)
    print(
        f"/calendar, each of 52 weeks ({statistics.median(posts_shown):.0f} posts a week): "
        f"{_ms(week_times, baseline)}; "
        f"SQL statements per week: {sorted(statements)}"
    )
    print(f"/calendar ACCOUNT, each of 52 weeks: {_ms(filtered_times, baseline)}")
    collision_times, collision_statements = [], set()
    rng = random.Random(3)
    with factory() as session:
        calendar.collisions(session, CONFIG, 0, ACCOUNTS[:1], datetime(YEAR, 6, 1, tzinfo=UTC), [])  # warm, as above
        for _ in range(200):
            slot = datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * rng.randrange(365 * 96))
            with StatementCounter(engine) as counter:
                began = time.perf_counter()
                calendar.collisions(
                    session, CONFIG, 0, rng.sample(ACCOUNTS, 2), slot, [f"https://acme.test/{rng.randrange(900)}"]
                )
                collision_times.append(time.perf_counter() - began)
            collision_statements.add(counter.count)
    print(
        f"collision check of a new plan (200 slots): {_ms(collision_times, baseline)}; "
        f"statements: {sorted(collision_statements)}"
    )
    ics_figures(engine, factory)


def events_built_with_add(session: Session) -> bytes:
    """The baseline for the file: every event built with `Event.add` and serialized, nothing kept
    (what the export did before events were kept in the database)."""
    parts = [ics.header()]
    for draft_id, slot, accounts, summary, planned_at, status, channel, ts in session.execute(ics.planned_posts()):
        for account in accounts.split(","):
            event = Event()
            event.add("uid", f"draft-{draft_id}-{account}@teambot")
            event.add("dtstamp", planned_at)
            event.add("dtstart", slot)
            event.add("dtend", slot + ics.EVENT_LENGTH)
            event.add("summary", f"[{account}] #{draft_id} {as_written(summary)}".strip())
            event.add("status", ics.ICS_STATUS.get(status, "TENTATIVE"))
            event.add("url", f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}")
            parts.append(event.to_ical())
    for note_id, created_at, start, end, blackout, note in session.execute(ics.calendar_notes()):
        event = Event()
        event.add("uid", f"note-{note_id}@teambot")
        event.add("dtstamp", created_at)
        event.add("dtstart", start)
        event.add("dtend", end + timedelta(days=1))
        event.add("summary", ("⛔ Blackout: " if blackout else "") + as_written(note))
        event.add("transp", "TRANSPARENT")
        parts.append(event.to_ical())
    return b"".join([*parts, ics.FOOTER])


def _cold(engine: Engine) -> None:
    """As in a new process: no connection open yet, nothing cached in the process."""
    engine.dispose()
    ics.header.cache_clear()
    ics.writer.cache_clear()


def ics_figures(engine: Engine, factory: sessionmaker[Session]) -> None:
    with factory() as session:
        rows = ics.planned_posts()
        session.execute(rows).all()
        rows_alone = statistics.median(_timed(lambda: session.execute(rows).all(), 3))
        with_add = []
        for _ in range(2):
            _cold(engine)
            with_add += _timed(lambda: events_built_with_add(session), 1)
    baseline = statistics.median(with_add)
    print(f"baseline, the year's plan rows read alone: median {rows_alone * 1000:.1f} ms")
    print(f"baseline, the year's ICS built with Event.add, nothing kept (2 runs): {_ms(with_add)}")
    _cold(engine)
    began = time.perf_counter()
    size = len(ics.export(factory))
    first = time.perf_counter() - began
    with factory() as session:
        kept = session.scalar(select(func.count()).select_from(KeptEvents))
    print(f"the year's ICS export ({size / 1_000_000:.1f} MB; the events of {kept:,} posts and notes kept)")
    print(f"  first export, nothing kept yet (every event serialized, then kept): {_ms([first], baseline)}")
    cold = []
    for _ in range(3):
        _cold(engine)
        cold += _timed(lambda: ics.export(factory), 1)
    print(f"  cold (no connection, nothing cached in the process; events kept): {_ms(cold, baseline)} over 3 runs")
    warm = _timed(lambda: ics.export(factory), 5)
    print(f"  warm (the feed asked again): {_ms(warm, baseline)} over 5 runs")
    with factory() as session, session.begin():
        changed = session.execute(
            update(Draft).where(Draft.id % 50 == 0, Draft.status == "approved").values(status="withdrawn")
        ).rowcount
        edited = session.execute(
            update(Plan).where(Plan.draft_id % 75 == 0).values(summary="Edited, the day after")
        ).rowcount
    again = len(ics.assemble(_read(factory)).serialized)
    _cold(engine)
    after = _timed(lambda: ics.export(factory), 1)
    print(
        f"  cold, after a day's changes ({changed} drafts withdrawn, {edited} summaries edited: "
        f"the events of {again} posts serialized again): {_ms(after, baseline)}"
    )
    print(f"  `teambot export --format ics` in a new process (start-up and imports included): {_cli(engine)}")


def _read(factory: sessionmaker[Session]) -> ics.Contents:
    with factory() as session:
        return ics.read(session)


def _cli(engine: Engine) -> str:
    url = engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as directory:
        output = Path(directory) / "calendar.ics"
        command = [sys.executable, "-m", "bot", "export", "--format", "ics", "--output", str(output)]
        times, cpu = [], []
        for _ in range(2):
            began, used = time.perf_counter(), _children_cpu()
            subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True)
            times.append(time.perf_counter() - began)
            cpu.append(_children_cpu() - used)
    return f"{_ms(times)}; CPU median {statistics.median(cpu) * 1000:.0f} ms, over 2 runs"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the year's data (default 1)")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            report("SQLite", engine, args.scale)
        finally:
            engine.dispose()
    if not args.skip_postgres:
        with postgres_database(args.postgres) as engine:
            if engine is not None:
                report("PostgreSQL", engine, args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
