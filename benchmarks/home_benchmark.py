"""What publishing one person's Home tab costs on a year of a 50-person team.

Fills a fresh database (bulk inserts) with a year of a 50-person team: drafts (some still waiting
at every step), plans and publications on ten accounts, ideas and votes, handoffs, escalations,
checklist runs and their items, calendar notes. Then builds every person's Home tab in-process,
as the open handler and the refresh pass do (the queries, the Block Kit and the digest that tells
whether it changed), counting SQL statements with a SQLAlchemy event. Runs on SQLite and, when
reachable, PostgreSQL.

    python -m benchmarks.home_benchmark
    python -m benchmarks.home_benchmark --scale 0.1 --skip-postgres
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from benchmarks.calendar_benchmark import StatementCounter
from benchmarks.digest_benchmark import _bulk, postgres_database
from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory, transaction, upgrade
from bot.features.approvals.models import Draft
from bot.features.calendar.models import CalendarNote, Plan, PlanAccount, Publication
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.home import notices
from bot.features.home import service as home
from bot.features.ideas.models import Idea, IdeaVote
from bot.features.roles import service as roles

YEAR = 2026
NOW = datetime(YEAR, 12, 16, 9, 30, tzinfo=UTC)  # a Wednesday late in the year
PEOPLE = [f"U{n:04d}" for n in range(50)]
ACCOUNTS = [f"account{n}" for n in range(10)]
TEAMS = {"support": PEOPLE[0:12], "community": PEOPLE[12:24], "pr": PEOPLE[24:30]}
CHAIN = "content_manager,strategist"
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
        "roles": {
            "strategist": PEOPLE[30:34],
            "content_manager": PEOPLE[34:42],
            "community_manager": PEOPLE[12:24],
            "coordinator": PEOPLE[42:44],
        },
        "teams": {
            name: {"lead": members[0], "members": members, "channel": f"C0{name.upper()}"}
            for name, members in TEAMS.items()
        },
        "shifts": [
            {
                "team": name,
                "name": "day",
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "09:00",
                "end": "17:00",
                "members": members,
            }
            for name, members in TEAMS.items()
        ],
        "accounts": [{"name": name} for name in ACCOUNTS],
    }
)


def fill(engine: Engine, scale: float, seed: int = 5) -> dict[str, int]:
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1, 7, tzinfo=UTC)
    drafts = int(7_300 * scale)
    slots = {d: start + timedelta(minutes=15 * rng.randrange(350 * 96)) for d in range(1, drafts + 1)}
    statuses = {d: rng.choice(["published"] * 12 + ["approved", "pending", "rejected", "withdrawn"]) for d in slots}
    accounts = {d: rng.sample(ACCOUNTS, rng.choice((1, 1, 2))) for d in slots}

    def draft_rows() -> Iterator[dict[str, Any]]:
        for d, slot in slots.items():
            created = slot - timedelta(days=2)
            step = rng.randrange(2)
            yield {
                "id": d,
                "channel": "C0DRAFTS",
                "ts": f"{1_760_000_000 + d}.000100",
                "author": rng.choice(PEOPLE),
                "text": f"Post {d} <!channel> about the season https://acme.test/{d}",
                "files_signature": "",
                "status": statuses[d],
                "current_step": step,
                "current_role": CHAIN.split(",")[step],
                "chain": CHAIN,
                "created_at": created,
                "updated_at": created,
                "step_started_at": created,
            }

    def plan_rows() -> Iterator[dict[str, Any]]:
        for d, slot in slots.items():
            yield {
                "draft_id": d,
                "accounts": ",".join(accounts[d]),
                "slot": slot,
                "summary": f"Post {d} about the season",
                "links": "",
                "planned_by": PEOPLE[34],
                "planned_at": slot - timedelta(days=1),
            }

    def account_rows() -> Iterator[dict[str, Any]]:
        for d, slot in slots.items():
            for account in accounts[d]:
                yield {"draft_id": d, "account": account, "slot": slot}

    def publication_rows() -> Iterator[dict[str, Any]]:
        n = 0
        for d, slot in slots.items():
            if statuses[d] == "published":
                for account in accounts[d]:
                    n += 1
                    yield {"id": n, "draft_id": d, "account": account, "by": PEOPLE[12], "at": slot, "url": None}

    def idea_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, int(2_000 * scale) + 1):
            author = rng.choice(PEOPLE)
            yield {
                "id": n,
                "author": author,
                "submitted_by": author,
                "text": f"Idea {n}: a <!here> series on customers",
                "status": rng.choice(["open", "open", "accepted", "declined"]),
                "created_at": start + timedelta(hours=4 * n),
            }

    def vote_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, int(2_000 * scale) + 1):
            for voter in rng.sample(PEOPLE, rng.randrange(6)):
                yield {"idea_id": n, "user_id": voter, "voted_at": start + timedelta(hours=4 * n + 1)}

    def handoff_rows() -> Iterator[dict[str, Any]]:
        n = 0
        for day in range(int(350 * scale)):
            for team, members in TEAMS.items():
                n += 1
                at = start + timedelta(days=day, hours=9)
                yield {
                    "id": n,
                    "team": team,
                    "from_user": rng.choice(members),
                    "to_user": rng.choice(members),
                    "kind": "manual",
                    "notes": "Watch the <!channel> thread",
                    "escalation_ids": [],
                    "draft_ids": [],
                    "created_at": at,
                    "acknowledged_at": None if rng.random() < 0.02 else at + timedelta(minutes=5),
                }

    def escalation_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, int(2_000 * scale) + 1):
            team = rng.choice(list(TEAMS))
            at = start + timedelta(hours=4 * n)
            status = rng.choice(["resolved"] * 30 + ["open", "acknowledged"])
            yield {
                "id": n,
                "team": team,
                "severity": rng.choice(["low", "normal", "high", "crisis"]),
                "status": status,
                "text": f"Customer {n} is <!everyone> upset",
                "via": "command",
                "reporter": rng.choice(PEOPLE),
                "assignee": rng.choice(TEAMS[team]),
                "level": 0,
                "level_name": "on_shift",
                "created_at": at,
                "resolved_at": at + timedelta(hours=1) if status == "resolved" else None,
            }

    def run_rows() -> Iterator[dict[str, Any]]:
        for day in range(int(350 * scale) + 1):
            for n, name in enumerate(("morning", "evening")):
                due = NOW.replace(hour=7 + 8 * n, minute=0) - timedelta(days=day)
                yield {"id": day * 2 + n + 1, "checklist": name, "due_at": due, "posted_at": due, "channel": "C0CHECK"}

    def item_rows() -> Iterator[dict[str, Any]]:
        for day in range(int(350 * scale) + 1):
            for n in range(2):
                for position in range(10):
                    done = day > 0 or position < 4
                    yield {
                        "run_id": day * 2 + n + 1,
                        "position": position,
                        "text": f"Check <!here> item {position}",
                        "done_by": PEOPLE[position] if done else None,
                    }

    def note_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, int(300 * scale) + 1):
            first = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
            yield {
                "id": n,
                "start": first,
                "end": first + timedelta(days=rng.choice((0, 1))),
                "blackout": n % 10 == 0,
                "text": f"Note {n}",
                "by": PEOPLE[30],
                "created_at": datetime(YEAR - 1, 12, 1, tzinfo=UTC),
            }

    counts = {
        "drafts": _bulk(engine, Draft, draft_rows()),
        "calendar_plans": _bulk(engine, Plan, plan_rows()),
        "calendar_plan_accounts": _bulk(engine, PlanAccount, account_rows()),
        "publications": _bulk(engine, Publication, publication_rows()),
        "ideas": _bulk(engine, Idea, idea_rows()),
        "idea_votes": _bulk(engine, IdeaVote, vote_rows()),
        "handoffs": _bulk(engine, Handoff, handoff_rows()),
        "escalations": _bulk(engine, Escalation, escalation_rows()),
        "checklist_runs": _bulk(engine, ChecklistRun, run_rows()),
        "checklist_items": _bulk(engine, ChecklistItem, item_rows()),
        "calendar_notes": _bulk(engine, CalendarNote, note_rows()),
    }
    with transaction(make_session_factory(engine)) as session:
        roles.seed(session, CONFIG.roles, NOW)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return counts


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def report(name: str, engine: Engine, scale: float) -> None:
    upgrade(engine)
    started = time.perf_counter()
    counts = fill(engine, scale)
    print(f"\n== {name} ==")
    print("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    print(f"fill: {time.perf_counter() - started:.1f} s (bulk inserts)")
    factory = make_session_factory(engine)
    times, statements, blocks, sizes = [], set(), [], []
    with factory() as session:
        notices.build(session, CONFIG, PEOPLE[0], NOW)  # warm the connection and the statement cache
        for _round in range(3):
            for person in PEOPLE:
                with StatementCounter(engine) as counter:
                    began = time.perf_counter()
                    view = notices.build(session, CONFIG, person, NOW)
                    home.digest_of(view)
                    times.append(time.perf_counter() - began)
                statements.add(counter.count)
                blocks.append(len(view["blocks"]))  # type: ignore[arg-type]
                sizes.append(len(json.dumps(view)))
    print(
        f"one Home tab, each of 50 people x 3: {_ms(times)}; SQL statements per view: {sorted(statements)}; "
        f"blocks: max {max(blocks)}; view JSON: max {max(sizes) / 1000:.1f} kB"
    )


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
