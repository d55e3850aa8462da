"""How long the weekly report takes on a year of a busy team's data, and what its chart costs.

Fills a fresh database with one year: 20 accounts, 15,000 published posts with figures and 7,300
account-days (followers and mentions), then builds one week's report several times (time and SQL
statements), draws its chart, and measures the resident memory of a process that imports the bot
(`bot.app`) without and with matplotlib, to show the web process does not pay for charts.

    python -m benchmarks.report_benchmark
    python -m benchmarks.report_benchmark --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, event, insert

from benchmarks.digest_benchmark import postgres_database
from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.features.approvals.models import Draft
from bot.features.calendar.models import Publication
from bot.features.metrics.models import AccountDay, PostMetric
from bot.features.report import chart
from bot.features.report import service as report

ACCOUNTS = [f"account{n:02d}" for n in range(20)]
PEOPLE = [f"U{n:04d}BENCH" for n in range(30)]
POSTS = 15_000
START = date(2025, 1, 6)  # a Monday
WEEK = date(2025, 9, 1)  # the week reported (a Monday)
CONFIG = TeamConfig.model_validate(
    {
        "timezone": "Europe/Budapest",
        "channels": {"drafts": "C0D", "escalations": "C0E", "ideas": "C0I", "checklists": "C0C", "digest": "C0S"},
        "kpis": {
            "posts": 250,
            "impressions": 500000,
            "engagement_rate": 0.03,
            "followers_gained": 500,
            "mentions": 900,
        },
    }
)


def seed(engine: Engine) -> None:
    rng = random.Random(7)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    drafts, publications, metrics = [], [], []
    for n in range(POSTS):
        at = datetime.combine(START, datetime.min.time(), UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        drafts.append(
            {
                "id": n + 1,
                "channel": "C0D",
                "ts": f"{1700000000 + n}.000100",
                "author": rng.choice(PEOPLE),
                "text": "post",
                "files_signature": "",
                "status": "published",
                "current_step": 2,
                "current_role": "strategist",
                "chain": "content_manager,strategist",
                "created_at": at,
                "updated_at": at,
                "step_started_at": at,
                "decided_at": at,
            }
        )
        publications.append(
            {
                "draft_id": n + 1,
                "account": rng.choice(ACCOUNTS),
                "by": "U0PUB",
                "at": at,
                "url": f"https://example.com/p/{n}",
            }
        )
        impressions = rng.randint(500, 20000)
        metrics.append(
            {
                "draft_id": n + 1,
                "impressions": impressions,
                "engagements": int(impressions * rng.uniform(0.005, 0.08)),
                "clicks": None,
                "recorded_at": now,
                "recorded_by": None,
                "source": "import",
            }
        )
    days = [
        {
            "day": START + timedelta(days=d),
            "account": account,
            "followers": 10000 + d * 3 + i,
            "mentions": rng.randint(5, 60),
            "recorded_at": now,
            "source": "import",
        }
        for d in range(365)
        for i, account in enumerate(ACCOUNTS)
    ]
    with engine.begin() as connection:
        for table, rows in ((Draft, drafts), (Publication, publications), (PostMetric, metrics), (AccountDay, days)):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])


def measure(engine: Engine, label: str) -> None:
    seed(engine)
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    factory = make_session_factory(engine)
    timings, counts = [], []
    for week in range(5):
        with factory() as session:
            statements.clear()
            started = time.perf_counter()
            result = report.build(session, CONFIG, WEEK - timedelta(weeks=week * 6))
            timings.append(time.perf_counter() - started)
            counts.append(len(statements))
    print(
        f"{label}: report numbers median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms, {max(counts)} SQL statements "
        f"({result.team.posts} posts, {len(result.standouts)} standouts, {len(result.spikes)} spikes)"
    )


def chart_timing() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'chart.db'}")
        upgrade(engine)
        seed(engine)
        with make_session_factory(engine)() as session:
            result = report.build(session, CONFIG, WEEK)
    started = time.perf_counter()
    png = chart.render(result.series, CONFIG.kpis, "Impressions and engagement rate")
    first = time.perf_counter() - started
    started = time.perf_counter()
    chart.render(result.series, CONFIG.kpis, "Impressions and engagement rate")
    second = time.perf_counter() - started
    print(f"chart: first {first * 1000:.0f} ms (matplotlib imported), then {second * 1000:.0f} ms; {len(png):,} bytes")


def rss(code: str) -> float:
    probe = code + "\nprint(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])"
    return int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout) / 1024


def memory() -> None:
    bot_only = rss("import bot.app, sys\nassert 'matplotlib' not in sys.modules")
    with_charts = rss("import bot.app\nimport matplotlib\nmatplotlib.use('Agg')\nfrom matplotlib.figure import Figure")
    print(
        f"RSS after importing bot.app: {bot_only:.1f} MiB (matplotlib not loaded); "
        f"with matplotlib: {with_charts:.1f} MiB (+{with_charts - bot_only:.1f} MiB, paid only when a chart is drawn)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL URL whose server may create a throw-away database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'report.db'}")
        upgrade(engine)
        measure(engine, "SQLite")
    if args.postgres:
        with postgres_database(args.postgres) as engine:
            if engine is not None:
                upgrade(engine)
                measure(engine, "PostgreSQL")
    chart_timing()
    memory()


if __name__ == "__main__":
    main()
