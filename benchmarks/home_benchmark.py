"""What publishing one person's Home tab costs on a year of a 50-person team, per role.

Fills a fresh database (bulk inserts) with a year of a 50-person team: drafts with their approval
steps (some still waiting at every step, some on a client's account whose chain starts with the
client, on an account with its own chain, and on one whose first role nobody holds, so that it
falls to the strategists; one content manager joined last week and has approved nothing yet),
plans and publications on thirteen accounts, ideas and votes, handoffs,
escalations, checklist runs and their items, calendar notes. Then, for one person of each role,
builds the Home tab in-process as the open handler and the refresh pass do (the queries, the
Block Kit and the digest that tells whether it changed), counting SQL statements with a
SQLAlchemy event, and times the waiting list alone. The baseline, measured in the same run and
interleaved with it, is how it was done before: the waiting list's earlier query
(`baseline_waiting_for`), and the Home tab built with it and with the shift lookups made team by
team (`baseline_shift_overview`). Runs on SQLite and PostgreSQL (skipped with a message when the
server does not answer; `--postgres URL` or TEAMBOT_BENCH_POSTGRES_URL names it).

    python -m benchmarks.home_benchmark
    python -m benchmarks.home_benchmark --scale 0.1 --skip-postgres
    python -m benchmarks.home_benchmark --explain     # also the waiting list's query plans
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

import bot.app  # noqa: F401  (installs the calendar's draft extension, which holds the chain role `client`)
from benchmarks.calendar_benchmark import StatementCounter
from benchmarks.digest_benchmark import CHANNELS, _bulk, postgres_database
from bot.core.config import TeamConfig
from bot.core.db import make_engine, make_session_factory, transaction, upgrade
from bot.features.approvals import service as approvals
from bot.features.approvals.models import ApprovalStep, Draft
from bot.features.calendar.models import CalendarNote, ClientApprover, Plan, PlanAccount, Publication
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.home import notices
from bot.features.home import service as home
from bot.features.ideas.models import Idea, IdeaVote
from bot.features.roles import service as roles
from bot.features.roles.models import RoleMember
from bot.features.shifts import service as shifts

YEAR = 2026
NOW = datetime(YEAR, 12, 16, 9, 30, tzinfo=UTC)  # a Wednesday late in the year
PEOPLE = [f"U{n:04d}" for n in range(50)]
CLIENTS = ["UCLIENT0", "UCLIENT1"]  # the agency's client, who approves the posts on its account
ACCOUNTS = [f"account{n}" for n in range(10)]
TEAMS = {"support": PEOPLE[0:12], "community": PEOPLE[12:24], "pr": PEOPLE[24:30]}
CHAIN = ["content_manager", "strategist"]
# A content manager who joined last week and has approved nothing yet.
NEWCOMER = PEOPLE[49]
# Accounts with their own chain: the client's (the client approves first), one the strategists
# alone approve, and one whose first role nobody holds (its drafts fall to the strategists).
OWN_CHAINS = {
    "northwind-ig": ["client", "strategist"],
    "linkedin": ["strategist"],
    "reports": ["analyst", "strategist"],
}
CONFIG = TeamConfig.model_validate(
    {
        "timezone": "Europe/Budapest",
        "channels": CHANNELS,
        "roles": {
            "strategist": PEOPLE[30:34],
            "content_manager": [*PEOPLE[34:42], NEWCOMER],
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
        "accounts": [{"name": name} for name in ACCOUNTS]
        + [
            {"name": name, "chain": chain, **({"brand": "northwind"} if "client" in chain else {})}
            for name, chain in OWN_CHAINS.items()
        ],
        "brands": [{"name": "northwind", "drafts_channel": "C0NORTHWIND", "client_approvers": CLIENTS}],
    }
)
# One person of each kind whose Home tab is measured.
VIEWERS = {
    "strategist": PEOPLE[30],
    "content_manager": PEOPLE[34],
    "community_manager": PEOPLE[12],
    "coordinator": PEOPLE[42],
    "client approver": CLIENTS[0],
    "team member, no role": PEOPLE[1],
    "no role, no team": PEOPLE[45],
}


def _approvers(rng: random.Random, role: str, author: str, taken: list[str]) -> str:
    """Who took a step of `role` on a draft: a holder who is not the author and has not taken an
    earlier step, else a strategist (the fallback)."""
    holders = CLIENTS if role == "client" else list(getattr(CONFIG.roles, role))
    free = [u for u in holders if u not in (author, NEWCOMER) and u not in taken]
    return rng.choice(free or [u for u in CONFIG.roles.strategist if u != author and u not in taken])


def fill(engine: Engine, scale: float, seed: int = 5) -> dict[str, int]:
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1, 7, tzinfo=UTC)
    drafts = int(7_300 * scale)
    slots = {d: start + timedelta(minutes=15 * rng.randrange(350 * 96)) for d in range(1, drafts + 1)}
    statuses = {d: rng.choice(["published"] * 12 + ["approved", "pending", "rejected", "withdrawn"]) for d in slots}
    accounts = {
        d: rng.choice([rng.sample(ACCOUNTS, rng.choice((1, 1, 2)))] * 16 + [[name] for name in OWN_CHAINS])
        for d in slots
    }
    chains = {d: OWN_CHAINS.get(accounts[d][0], CHAIN) for d in slots}
    authors = {d: rng.choice(PEOPLE) for d in slots}
    steps: dict[int, int] = {}  # the current step
    approved_by: dict[int, list[str]] = {}  # who took each step before it
    for d in slots:
        chain = chains[d]
        done = statuses[d] in ("approved", "published")
        steps[d] = len(chain) - 1 if done else rng.randrange(len(chain))
        taken: list[str] = []
        for role in chain[: len(chain) if done else steps[d]]:
            taken.append(_approvers(rng, role, authors[d], taken))
        approved_by[d] = taken

    def draft_rows() -> Iterator[dict[str, Any]]:
        for d, slot in slots.items():
            created = slot - timedelta(days=2)
            yield {
                "id": d,
                "channel": "C0NORTHWIND" if "client" in chains[d] else "C0DRAFTS",
                "ts": f"{1_760_000_000 + d}.000100",
                "author": authors[d],
                "text": f"Post {d} <!channel> about the season https://acme.test/{d}",
                "files_signature": "",
                "status": statuses[d],
                "current_step": steps[d],
                "current_role": chains[d][steps[d]],
                "chain": ",".join(chains[d]),
                "created_at": created,
                "updated_at": created,
                "step_started_at": created,
            }

    def step_rows() -> Iterator[dict[str, Any]]:
        n = 0
        for d, slot in slots.items():
            for index, user in enumerate(approved_by[d]):
                n += 1
                at = slot - timedelta(days=2) + timedelta(hours=index + 1)
                role = chains[d][index]
                yield {
                    "id": n,
                    "draft_id": d,
                    "step_index": index,
                    "role": role,
                    "approved_by": user,
                    "approved_at": at,
                    "via": "reaction",
                    "note": None,
                    "active": True,
                }

    def client_rows() -> Iterator[dict[str, Any]]:
        for d in slots:
            if "client" in chains[d]:
                for position, user in enumerate(CLIENTS):
                    yield {"draft_id": d, "user_id": user, "position": position}

    def plan_rows() -> Iterator[dict[str, Any]]:
        for d, slot in slots.items():
            yield {
                "draft_id": d,
                "accounts": ",".join(accounts[d]),
                "slot": slot,
                "brand": "northwind" if "client" in chains[d] else "",
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
        "approval_steps": _bulk(engine, ApprovalStep, step_rows()),
        "calendar_client_approvers": _bulk(engine, ClientApprover, client_rows()),
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


# -- the baseline: the waiting list's earlier query ----------------------------------------------
def baseline_waiting_for(session: Session, user: str, limit: int = approvals.MAX_WAITING_SCAN) -> approvals.Waiting:
    """The waiting list as it was read before: holders of the draft's role looked up per draft in
    nested correlated subqueries (the inner one lost its correlation and scanned every draft), and
    the client's drafts unknown to it."""
    mine = roles.roles_of(session, user)
    if not mine:
        return approvals.Waiting([], 0)
    may_take = [Draft.current_role.in_(mine)]
    if "strategist" in mine:
        holder, their_step = aliased(RoleMember), aliased(ApprovalStep)
        holder_took_a_step = exists().where(
            their_step.draft_id == Draft.id, their_step.approved_by == holder.user_id, their_step.active.is_(True)
        )
        someone_else_can = exists().where(
            holder.role == Draft.current_role, holder.user_id != Draft.author, ~holder_took_a_step
        )
        may_take.append(~someone_else_can)
    already_took_a_step = exists().where(
        ApprovalStep.draft_id == Draft.id, ApprovalStep.approved_by == user, ApprovalStep.active.is_(True)
    )
    conditions = [Draft.status == "pending", Draft.author != user, or_(*may_take), ~already_took_a_step]
    rows = session.execute(
        select(Draft, func.count().over()).where(*conditions).order_by(Draft.created_at, Draft.id).limit(limit)
    ).all()
    return approvals.Waiting([draft for draft, _total in rows], rows[0][1] if rows else 0)


def baseline_shift_overview(
    session: Session, config: TeamConfig, user: str, now: datetime, horizon: timedelta
) -> shifts.Overview:
    """The Home tab's shifts as they were read before: each team's lookups one after the other
    (four or five statements a team)."""
    teams = [
        shifts.TeamNow(
            team, shifts.on_shift(session, config, team, now), shifts.next_occurrence(session, config, team, now)
        )
        for team in config.team_names()
    ]
    found: list[shifts.Occurrence] = []
    for team in config.team_names():
        if not shifts.team_shifts(config, team):
            continue
        for occurrence in shifts.occurrences(session, config, team, now, now + horizon):
            if occurrence.start > now and occurrence.person == user:
                found.append(occurrence)
                break
    return shifts.Overview(teams, min(found, key=lambda o: o.start) if found else None)


@contextmanager
def home_as(kind: str) -> Iterator[None]:
    """The Home tab as this build makes it ("new"), or as it was made before ("baseline": the
    waiting list's earlier query and the shift lookups team by team)."""
    waiting, overview = approvals.waiting_for, shifts.overview
    if kind == "baseline":
        approvals.waiting_for = baseline_waiting_for  # type: ignore[assignment]
        shifts.overview = baseline_shift_overview  # type: ignore[assignment]
    try:
        yield
    finally:
        approvals.waiting_for, shifts.overview = waiting, overview  # type: ignore[assignment]


# -- measuring -----------------------------------------------------------------------------------
def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


@dataclass
class Figures:
    """One viewer's measurements, for the baseline and the current build."""

    waiting: dict[str, int] = field(default_factory=dict)
    wait_times: dict[str, list[float]] = field(default_factory=lambda: {"baseline": [], "new": []})
    home_times: dict[str, list[float]] = field(default_factory=lambda: {"baseline": [], "new": []})
    # This process's CPU time for the tab (the database server's own work is not in it): what a
    # busy machine's wall clock swells.
    home_cpu: list[float] = field(default_factory=list)
    statements: dict[str, set[int]] = field(default_factory=lambda: {"baseline": set(), "new": set()})


def _measure(engine: Engine, factory: Any, kind: str, user: str, figures: Figures) -> None:
    """One view of `user`'s tab and one read of their waiting list, each in a fresh session as a
    request has (the role members are read again)."""
    read = baseline_waiting_for if kind == "baseline" else approvals.waiting_for
    with factory() as session:
        began = time.perf_counter()
        waiting = read(session, user, limit=home.LIMIT)
        figures.wait_times[kind].append(time.perf_counter() - began)
    figures.waiting[kind] = waiting.total
    with factory() as session, home_as(kind), StatementCounter(engine) as counter:
        began, cpu = time.perf_counter(), time.process_time()
        view = notices.build(session, CONFIG, user, NOW)
        home.digest_of(view)
        figures.home_times[kind].append(time.perf_counter() - began)
        if kind == "new":
            figures.home_cpu.append(time.process_time() - cpu)
    figures.statements[kind].add(counter.count)


def explain(engine: Engine, user: str) -> None:
    """The query plan of the waiting list of `user` (EXPLAIN ANALYZE on PostgreSQL)."""
    with make_session_factory(engine)() as session:
        captured: list[tuple[str, Any]] = []

        def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
            captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            approvals.waiting_for(session, user, limit=home.LIMIT)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        statement, parameters = captured[-1]
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
        cursor = session.connection().connection.driver_connection.cursor()
        cursor.execute(prefix + statement, parameters)
        for row in cursor.fetchall():
            print("    " + (row[-1] if engine.dialect.name == "sqlite" else row[0]))


def report(name: str, engine: Engine, scale: float, rounds: int, show_plans: bool) -> None:
    upgrade(engine)
    started = time.perf_counter()
    counts = fill(engine, scale)
    print(f"\n== {name} == (load average {' '.join(f'{n:.2f}' for n in os.getloadavg())})")
    print("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    print(f"fill: {time.perf_counter() - started:.1f} s (bulk inserts)")
    factory = make_session_factory(engine)
    for kind in ("baseline", "new"):  # warm the connections and the statement caches
        for user in VIEWERS.values():
            _measure(engine, factory, kind, user, Figures())
    figures = {role: Figures() for role in VIEWERS}
    for _round in range(rounds):
        for role, user in VIEWERS.items():
            for kind in ("baseline", "new"):  # interleaved, so both meet the same machine
                _measure(engine, factory, kind, user, figures[role])
    print(
        f"per role, median of {rounds} (fresh session each); ratio = new / baseline, measured in this run:\n"
        f"  {'viewer':<22} {'waiting':>11}  {'waiting list ms':>30}  {'Home tab ms (max)':>40}  {'new, CPU':>8}"
        "  statements"
    )
    for role, fig in figures.items():
        wait = {k: _median_ms(v) for k, v in fig.wait_times.items()}
        tab = {k: _median_ms(v) for k, v in fig.home_times.items()}
        top = {k: max(v) * 1000 for k, v in fig.home_times.items()}
        print(
            f"  {role:<22} {fig.waiting['baseline']:>4} → {fig.waiting['new']:<4}"
            f"  {wait['baseline']:8.2f} → {wait['new']:6.2f} ({wait['new'] / wait['baseline']:5.2f}x)"
            f"  {tab['baseline']:6.1f} ({top['baseline']:6.1f}) → {tab['new']:5.1f} ({top['new']:5.1f})"
            f" ({tab['new'] / tab['baseline']:4.2f}x)  {_median_ms(fig.home_cpu):8.1f}"
            f"  {sorted(fig.statements['baseline'])} → {sorted(fig.statements['new'])}"
        )
    times, statements, blocks, sizes = [], set(), [], []
    for _round in range(3):
        for person in [*PEOPLE, *CLIENTS]:
            with factory() as session, StatementCounter(engine) as counter:
                began = time.perf_counter()
                view = notices.build(session, CONFIG, person, NOW)
                home.digest_of(view)
                times.append(time.perf_counter() - began)
            statements.add(counter.count)
            blocks.append(len(view["blocks"]))  # type: ignore[arg-type]
            sizes.append(len(json.dumps(view)))
    print(
        f"one Home tab, each of 52 people x 3: {_ms(times)}; SQL statements per view: {sorted(statements)}; "
        f"blocks: max {max(blocks)}; view JSON: max {max(sizes) / 1000:.1f} kB"
    )
    if show_plans:
        print(f"waiting list of the strategist {VIEWERS['strategist']}, query plan:")
        explain(engine, VIEWERS["strategist"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the year's data (default 1)")
    parser.add_argument("--rounds", type=int, default=10, help="views per viewer and build (default 10)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEAMBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create a throw-away database on (default: TEAMBOT_BENCH_POSTGRES_URL or "
        "the local server)",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print the waiting list's query plan")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            report("SQLite", engine, args.scale, args.rounds, args.explain)
        finally:
            engine.dispose()
    if not args.skip_postgres:
        with postgres_database(args.postgres) as engine:
            if engine is not None:
                report("PostgreSQL", engine, args.scale, args.rounds, args.explain)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
