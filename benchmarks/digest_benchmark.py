"""How long the monthly digest takes on a year of a 50-person team's data.

Fills a fresh database (bulk inserts) with one year of activity — 50,000 drafts with their approval
steps, 500,000 reactions, 20,000 ideas with votes (one draft in ten carrying one out), 10,000
escalations, handoffs, checklist runs and post figures — then builds one month's digest several
times and reports the time and the number of SQL statements. Runs on SQLite and, when reachable,
PostgreSQL (a throw-away database).

    python -m benchmarks.digest_benchmark
    python -m benchmarks.digest_benchmark --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python -m benchmarks.digest_benchmark --scale 0.1 --skip-postgres
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.features.approvals.models import ApprovalStep, Draft, DraftReaction
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.digest import service as digest
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.ideas.models import Idea, IdeaDraft, IdeaVote
from bot.features.metrics.models import PostMetric

PEOPLE = [f"U{n:04d}BENCH" for n in range(50)]
EMOJI = ["heart", "fire", "tada", "clap", "eyes", "raised_hands", "100", "rocket", "white_check_mark", "+1", "memo"]
YEAR = 2025
MONTH = "2025-06"
BATCH = 10_000
# The channels every benchmark's team config names (only ids: no Slack is reached).
CHANNELS = {
    "drafts": "C0DRAFTS",
    "escalations": "C0ESCALATE",
    "ideas": "C0IDEAS",
    "checklists": "C0CHECKLIST",
    "digest": "C0STAFF",
}

CONFIG = TeamConfig.model_validate(
    {
        "timezone": "Europe/Budapest",
        "channels": CHANNELS,
        "digest": {"leaders": ["U0CEO"], "top": 5, "samples": 2},
    }
)


def _moment(rng: random.Random) -> datetime:
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(365 * 24 * 3600))


def _bulk(engine: Engine, model: Any, rows: Iterator[dict[str, Any]]) -> int:
    """Insert rows in batches (executemany / multi-row VALUES); returns how many."""
    total = 0
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                connection.execute(insert(model), batch)
                total += len(batch)
                batch = []
        if batch:
            connection.execute(insert(model), batch)
            total += len(batch)
    return total


def fill(engine: Engine, scale: float, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    n_drafts, n_reactions = int(50_000 * scale), int(500_000 * scale)
    n_ideas, n_escalations = int(20_000 * scale), int(10_000 * scale)
    counts: dict[str, int] = {}

    drafts: list[tuple[int, datetime, datetime | None, str]] = []
    for draft_id in range(1, n_drafts + 1):
        created = _moment(rng)
        status = rng.choices(["approved", "pending", "rejected", "changes_requested"], [80, 8, 6, 6])[0]
        decided = created + timedelta(minutes=rng.randrange(20, 48 * 60)) if status != "pending" else None
        drafts.append((draft_id, created, decided, status))

    def draft_rows() -> Iterator[dict[str, Any]]:
        for draft_id, created, decided, status in drafts:
            yield {
                "id": draft_id,
                "channel": "C0DRAFTS",
                "ts": f"{1735689600 + draft_id}.000100",
                "author": rng.choice(PEOPLE),
                "text": f"Draft {draft_id}: " + " ".join(rng.choices(["launch", "tips", "team", "story"], k=30)),
                "files_signature": "",
                "status": status,
                "current_step": 2 if status == "approved" else 0,
                "chain": "content_manager,strategist",
                "created_at": created,
                "updated_at": decided or created,
                "step_started_at": created,
                "decided_at": decided,
                "published_url": f"https://social.example/p/{draft_id}" if status == "approved" else None,
            }

    def step_rows() -> Iterator[dict[str, Any]]:
        for draft_id, created, decided, status in drafts:
            if status != "approved" or decided is None:
                continue
            middle = created + (decided - created) / 2
            for index, (role, at) in enumerate((("content_manager", middle), ("strategist", decided))):
                yield {
                    "draft_id": draft_id,
                    "step_index": index,
                    "role": role,
                    "approved_by": rng.choice(PEOPLE),
                    "approved_at": at,
                    "via": rng.choice(["reaction", "button", "command"]),
                    "note": None,
                    "active": True,
                }

    def reaction_rows() -> Iterator[dict[str, Any]]:
        per_draft = max(1, n_reactions // max(1, n_drafts))
        produced = 0
        for draft_id, created, _decided, _status in drafts:
            pairs = rng.sample([(u, e) for u in PEOPLE[:20] for e in EMOJI], per_draft)
            for user, emoji in pairs:
                if produced >= n_reactions:
                    return
                produced += 1
                yield {"draft_id": draft_id, "user_id": user, "emoji": emoji, "added_at": created}

    def metric_rows() -> Iterator[dict[str, Any]]:
        for draft_id, _created, decided, status in drafts:
            if status == "approved" and decided is not None and rng.random() < 0.3:
                impressions = rng.randrange(100, 50_000)
                yield {
                    "draft_id": draft_id,
                    "impressions": impressions,
                    "engagements": rng.randrange(0, impressions // 5 + 1),
                    "clicks": rng.randrange(0, 500),
                    "recorded_at": decided + timedelta(days=3),
                    "recorded_by": None,
                    "source": "import",
                }

    def idea_rows() -> Iterator[dict[str, Any]]:
        for idea_id in range(1, n_ideas + 1):
            created = _moment(rng)
            status = rng.choices(["open", "accepted", "declined"], [60, 20, 20])[0]
            yield {
                "id": idea_id,
                "author": rng.choice(PEOPLE),
                "submitted_by": rng.choice(PEOPLE),
                "text": f"Idea {idea_id}",
                "status": status,
                "created_at": created,
                "decided_by": "U0CONTENT" if status != "open" else None,
                "decided_at": created + timedelta(days=2) if status != "open" else None,
            }

    def vote_rows() -> Iterator[dict[str, Any]]:
        for idea_id in range(1, n_ideas + 1):
            for user in rng.sample(PEOPLE, rng.randrange(0, 6)):
                yield {"idea_id": idea_id, "user_id": user, "voted_at": datetime(YEAR, 6, 1, tzinfo=UTC)}

    def idea_draft_rows() -> Iterator[dict[str, Any]]:
        # One draft in ten says `idea #N`: the digest credits the idea beside the post.
        for draft_id, created, _decided, _status in drafts:
            if n_ideas and rng.random() < 0.1:
                yield {"draft_id": draft_id, "idea_id": rng.randrange(1, n_ideas + 1), "linked_at": created}

    def escalation_rows() -> Iterator[dict[str, Any]]:
        for _ in range(n_escalations):
            created = _moment(rng)
            acked = created + timedelta(minutes=rng.randrange(1, 240)) if rng.random() < 0.8 else None
            resolved = acked + timedelta(minutes=rng.randrange(5, 2000)) if acked and rng.random() < 0.75 else None
            yield {
                "team": "support",
                "severity": rng.choice(["low", "normal", "high", "crisis"]),
                "status": "resolved" if resolved else ("acknowledged" if acked else "open"),
                "text": "A complaint",
                "via": "command",
                "reporter": rng.choice(PEOPLE),
                "assignee": rng.choice(PEOPLE),
                "level": 0,
                "level_name": "on_shift",
                "created_at": created,
                "acknowledged_at": acked,
                "resolved_at": resolved,
            }

    def handoff_rows() -> Iterator[dict[str, Any]]:
        for day in range(365):
            created = datetime(YEAR, 1, 1, 16, tzinfo=UTC) + timedelta(days=day)
            yield {
                "team": "support",
                "from_user": rng.choice(PEOPLE),
                "to_user": rng.choice(PEOPLE),
                "kind": "scheduled",
                "escalation_ids": [],
                "draft_ids": [],
                "created_at": created,
                "acknowledged_at": created + timedelta(minutes=10) if rng.random() < 0.9 else None,
            }

    runs = [datetime(YEAR, 1, 1, 8, tzinfo=UTC) + timedelta(days=d) for d in range(365)]

    def run_rows() -> Iterator[dict[str, Any]]:
        for run_id, due in enumerate(runs, start=1):
            wall = due.strftime("%Y-%m-%dT%H:%M")
            yield {
                "id": run_id,
                "checklist": "daily",
                "due_wall": wall,
                "due_at": due,
                "posted_at": due,
                "channel": "C0C",
            }

    def item_rows() -> Iterator[dict[str, Any]]:
        for run_id, due in enumerate(runs, start=1):
            for position in range(4):
                done = rng.random() < 0.85
                yield {
                    "run_id": run_id,
                    "position": position,
                    "text": f"item {position}",
                    "done_by": rng.choice(PEOPLE) if done else None,
                    "done_at": due + timedelta(hours=1) if done else None,
                }

    counts["drafts"] = _bulk(engine, Draft, draft_rows())
    counts["approval_steps"] = _bulk(engine, ApprovalStep, step_rows())
    counts["draft_reactions"] = _bulk(engine, DraftReaction, reaction_rows())
    counts["post_metrics"] = _bulk(engine, PostMetric, metric_rows())
    counts["ideas"] = _bulk(engine, Idea, idea_rows())
    counts["idea_votes"] = _bulk(engine, IdeaVote, vote_rows())
    counts["idea_drafts"] = _bulk(engine, IdeaDraft, idea_draft_rows())
    counts["escalations"] = _bulk(engine, Escalation, escalation_rows())
    counts["handoffs"] = _bulk(engine, Handoff, handoff_rows())
    counts["checklist_runs"] = _bulk(engine, ChecklistRun, run_rows())
    counts["checklist_items"] = _bulk(engine, ChecklistItem, item_rows())
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("drafts", "ideas", "checklist_runs"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            connection.execute(text("ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return counts


def measure(engine: Engine, repeats: int) -> tuple[list[float], int, digest.DigestData]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    factory = make_session_factory(engine)
    timings: list[float] = []
    data = None
    for _ in range(repeats):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            with factory() as session:
                started = time.perf_counter()
                data = digest.build(session, CONFIG, MONTH)
                timings.append(time.perf_counter() - started)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert data is not None
    return timings, len(statements), data


def measure_posting(engine: Engine, repeats: int) -> tuple[list[float], float, float, bool]:
    """The digest as posted (`prepare`: `build` plus the month's chart weeks and the explanations the
    leaders' summary quotes), and drawing its chart: the first time (which loads matplotlib) and
    the next."""
    from bot.features.digest import notices

    factory = make_session_factory(engine)
    timings: list[float] = []
    data = None
    for _ in range(repeats):
        with factory() as session:
            started = time.perf_counter()
            data = digest.prepare(session, CONFIG, MONTH, datetime(2025, 7, 1, 7, tzinfo=UTC))
            timings.append(time.perf_counter() - started)
    assert data is not None and data.chart is not None
    loads_matplotlib = "matplotlib" not in sys.modules
    drawn = []
    for _ in range(2):
        started = time.perf_counter()
        notices.chart_png(CONFIG, data)
        drawn.append(time.perf_counter() - started)
    return timings, drawn[0], drawn[1], loads_matplotlib


def report(name: str, engine: Engine, scale: float, repeats: int) -> None:
    upgrade(engine)
    started = time.perf_counter()
    counts = fill(engine, scale)
    filled = time.perf_counter() - started
    timings, queries, data = measure(engine, repeats)
    print(f"\n== {name} ==")
    print("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    print(f"fill: {filled:.1f} s (bulk inserts)")
    print(
        f"digest {MONTH}: median {statistics.median(timings) * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms over {repeats} runs; "
        f"{queries} SQL statements per digest"
    )
    posting, first_chart, next_chart, loaded = measure_posting(engine, repeats)
    print(
        f"digest as posted (with the chart's weeks and the summary's explanations): median "
        f"{statistics.median(posting) * 1000:.0f} ms; chart drawn in {first_chart * 1000:.0f} ms "
        f"{'(loading matplotlib)' if loaded else 'the first time'}, {next_chart * 1000:.0f} ms the next"
    )
    print(
        f"  month: {data.approvals:,} approvals, {data.escalations:,} escalations, "
        f"{data.ideas_submitted:,} ideas, {data.checklist_items:,} checklist items; top post #{data.top[0].draft_id}"
        if data.top
        else "  month: no approved posts"
    )


@contextmanager
def postgres_database(admin_url: str) -> Iterator[Engine | None]:
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        print(f"\n== PostgreSQL: not reachable ({str(exc.orig).splitlines()[0]}); skipped ==")
        yield None
        return
    name = f"teambot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full year's data (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="digest builds to time (default 5)")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            report("SQLite", engine, args.scale, args.repeats)
        finally:
            engine.dispose()
    if not args.skip_postgres:
        with postgres_database(args.postgres) as engine:
            if engine is not None:
                report("PostgreSQL", engine, args.scale, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
