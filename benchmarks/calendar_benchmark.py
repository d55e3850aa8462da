"""How fast the publishing calendar answers on a year of a busy team's plans.

Fills a fresh database (bulk inserts) with a year of a busy team: 20 accounts, 15,000 planned
posts (each on one to three accounts, every status) and 500 notes (one in ten a blackout). Then
measures, in-process, what `/calendar` does for every week of the year (the week's query and its
Block Kit), counting SQL statements with a SQLAlchemy event; the collision check of a new plan;
and the whole year's iCalendar export, first with no event serialized yet (as `teambot export
--format ics` in a new process) and then as the feed answers again (events kept). Runs on SQLite
and, when reachable, PostgreSQL.

The machine it runs on may be shared and loaded, so each figure is also given as a ratio to a
baseline measured in the same run on the same database: for `/calendar` and the collision check,
reading one draft by primary key (the cheapest round trip); for the export, reading the year's
plan rows alone, without building any event.

    python -m benchmarks.calendar_benchmark
    python -m benchmarks.calendar_benchmark --scale 0.1 --skip-postgres
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, text

from benchmarks.digest_benchmark import _bulk, postgres_database
from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.features.approvals.models import Draft
from bot.features.calendar import blocks as ui
from bot.features.calendar import ics
from bot.features.calendar import service as calendar
from bot.features.calendar.models import CalendarNote, Plan, PlanAccount

YEAR = 2026
ACCOUNTS = [f"account{n:02d}" for n in range(20)]
STATUSES = ["approved"] * 5 + ["published"] * 8 + ["pending", "rejected", "withdrawn", "expired"]
CONFIG = TeamConfig.model_validate(
    {
        "timezone": "Europe/Budapest",
        "channels": {
            "drafts": "C0DRAFTS",
            "escalations": "C0ESCALATE",
            "ideas": "C0IDEAS",
            "checklists": "C0CHECKLIST",
            "digest": "C0STAFF",
        },
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
                "client_approvers": "",
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
        shown += f" ({statistics.median(values) / baseline:.1f}x baseline)"
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
    with factory() as session:
        rows = ics.planned_posts()
        rows_alone = statistics.median(_timed(lambda: session.execute(rows).all(), 3))
        print(f"baseline, the year's plan rows read alone: median {rows_alone * 1000:.1f} ms")
        ics.post_event.cache_clear()
        ics.note_event.cache_clear()
        cold = _timed(lambda: ics.to_ical(session), 1)
        warm = _timed(lambda: ics.to_ical(session), 3)
        size = len(ics.to_ical(session))
    print(f"the year's ICS export ({size / 1_000_000:.1f} MB), no event serialized yet: {_ms(cold, rows_alone)}")
    print(f"the year's ICS export, events kept (the feed asked again): {_ms(warm, rows_alone)} over 3 runs")


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
