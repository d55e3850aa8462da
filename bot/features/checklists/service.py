"""Checklist runs: posted on their cron (team wall clock) exactly once per due time, extra runs on
demand, ticks recorded per item, and a single nudge for unfinished items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Subquery, and_, case, cast, exists, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.core.calendar import Due, latest_due, next_due
from bot.core.config import Checklist, TeamConfig
from bot.core.errors import NotFound
from bot.core.export import iso, since_filter
from bot.core.text import escape_raw, names_list
from bot.features.checklists.models import ChecklistItem, ChecklistRun

RUN_KEY_PREFIX = "checklist_run:"


def run_key(run_id: int) -> str:
    """The key of a run's message (its updates and its nudge's thread find it by this key)."""
    return f"{RUN_KEY_PREFIX}{run_id}"


@dataclass
class Nudge:
    """A run with unfinished items to nudge about, in the thread of its message."""

    run: ChecklistRun
    thread_ts: str


def find(config: TeamConfig, name: str) -> Checklist:
    checklist = config.checklist(name.lower())
    if checklist is None:
        names = names_list([c.name for c in config.checklists]) or "none configured"
        raise NotFound(f"There is no checklist named `{name}`. Checklists: {names}.", "/checklist post daily")
    return checklist


def _new_run(
    config: TeamConfig, checklist: Checklist, due_wall: str | None, due_at: datetime, now: datetime, by: str | None
) -> ChecklistRun:
    return ChecklistRun(
        checklist=checklist.name,
        due_wall=due_wall,
        due_at=due_at,
        posted_at=now,
        channel=checklist.channel or config.channels.checklists,
        posted_by=by,
        items=[ChecklistItem(position=i, text=escape_raw(text)) for i, text in enumerate(checklist.items)],
    )


def post_scheduled(
    session: Session, config: TeamConfig, checklist: Checklist, due: Due, now: datetime
) -> ChecklistRun | None:
    """The run due at `due`, to be posted; None when it exists already (unique per checklist and
    wall time)."""
    taken = select(ChecklistRun.id).where(ChecklistRun.checklist == checklist.name, ChecklistRun.due_wall == due.key)
    if session.scalar(taken) is not None:
        return None
    run = _new_run(config, checklist, due.key, due.at, now, None)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        # Another scheduler process posted it at the same moment.
        return None
    return run


def post_extra(session: Session, config: TeamConfig, name: str, by: str, now: datetime) -> ChecklistRun:
    """`/checklist post NAME`: an extra run now; scheduled runs are unaffected."""
    checklist = find(config, name)
    run = _new_run(config, checklist, None, now, now, by)
    session.add(run)
    session.flush()
    return run


def post_due(session: Session, config: TeamConfig, now: datetime, since: datetime) -> list[ChecklistRun]:
    """The runs to post: every checklist whose latest due time is in (since, now]: the scheduler's window, at most
    the misfire grace back (see `leader.due_since`). Runs missed by more than the grace are skipped;
    of several missed runs of one checklist only the latest is posted."""
    posted = []
    for checklist in config.checklists:
        due = latest_due(checklist.cron, config.tz, now, since)
        run = post_scheduled(session, config, checklist, due, now) if due is not None else None
        if run is not None:
            posted.append(run)
    return posted


def nudge_due(session: Session, config: TeamConfig, now: datetime, posted: Subquery) -> list[Nudge]:
    """Runs to nudge, once, about their unfinished items `nudge_after_minutes` after their post
    reached Slack (in the run's thread); each is marked nudged. `posted` is the messages teambot
    posted (`key`, `ts`, and `sent_at`, when it reached Slack). Counting from when Slack took the
    post, a checklist held back by a Slack outage is still nudged; a nudge more than the misfire
    grace late (the bot was down) is skipped."""
    grace = timedelta(minutes=config.scheduler.misfire_grace_minutes)
    unfinished = exists().where(ChecklistItem.run_id == ChecklistRun.id, ChecklistItem.done_by.is_(None))
    nudges = []
    for checklist in config.checklists:
        if not checklist.nudge_after_minutes:
            continue
        cutoff = now - timedelta(minutes=checklist.nudge_after_minutes)
        key = literal(RUN_KEY_PREFIX) + cast(ChecklistRun.id, String)
        # When the post went out; once that is forgotten (30 days on) the queue time stands in.
        went_out = func.coalesce(posted.c.sent_at, ChecklistRun.posted_at)
        rows = session.execute(
            select(ChecklistRun, posted.c.ts)
            .join(posted, posted.c.key == key)
            .where(
                ChecklistRun.checklist == checklist.name,
                ChecklistRun.nudged_at.is_(None),
                went_out <= cutoff,
                went_out > cutoff - grace,
                unfinished,
            )
            .options(selectinload(ChecklistRun.items))
        ).all()
        for run, ts in rows:
            run.nudged_at = now
            nudges.append(Nudge(run, ts))
    return nudges


def toggle(
    session: Session,
    run_id: int,
    position: int,
    user: str,
    done: bool,
    now: datetime,
) -> ChecklistRun:
    """Tick or untick one item. The run row is locked so concurrent ticks on one run apply one after
    the other and the last message update shows them all."""
    run = session.scalar(select(ChecklistRun).where(ChecklistRun.id == run_id).with_for_update())
    if run is None:
        raise NotFound(f"Checklist run #{run_id} no longer exists.")
    item = session.get(ChecklistItem, (run_id, position))
    if item is None:
        raise NotFound(f"Checklist run #{run_id} has no item {position + 1}.")
    if done and item.done_by is None:
        item.done_by, item.done_at = user, now
        item.changed_by, item.changed_at = user, now
    elif not done and item.done_by is not None:
        item.done_by, item.done_at = None, None
        item.changed_by, item.changed_at = user, now
    session.flush()
    session.refresh(run, ["items"])
    return run


def overview(
    session: Session, config: TeamConfig, now: datetime
) -> list[tuple[str, list[ChecklistRun], datetime | None]]:
    """Each configured checklist with its current runs and its next due time. The current runs are
    the latest scheduled one and the extra runs posted since (an extra run never hides a scheduled
    one); a checklist that was never scheduled shows its latest extra run."""
    latest_scheduled = func.max(case((ChecklistRun.due_wall.is_not(None), ChecklistRun.id)))
    since = (
        select(ChecklistRun.checklist, func.coalesce(latest_scheduled, func.max(ChecklistRun.id)).label("run_id"))
        .group_by(ChecklistRun.checklist)
        .subquery()
    )
    runs = session.scalars(
        select(ChecklistRun)
        .join(since, and_(since.c.checklist == ChecklistRun.checklist, ChecklistRun.id >= since.c.run_id))
        .order_by(ChecklistRun.id)
        .options(selectinload(ChecklistRun.items))
    ).all()
    by_name: dict[str, list[ChecklistRun]] = {}
    for run in runs:
        by_name.setdefault(run.checklist, []).append(run)
    rows = []
    for checklist in config.checklists:
        upcoming = next_due(checklist.cron, config.tz, now)
        rows.append((checklist.name, by_name.get(checklist.name, []), upcoming.at if upcoming else None))
    return rows


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = select(ChecklistRun).options(selectinload(ChecklistRun.items)).order_by(ChecklistRun.id)
    query = since_filter(query, ChecklistRun.due_at, since)
    return [
        {
            "id": run.id,
            "checklist": run.checklist,
            "due_at": iso(run.due_at),
            "posted_at": iso(run.posted_at),
            "items": [
                {
                    "text": i.text,
                    "done_by": i.done_by,
                    "done_at": iso(i.done_at),
                    "changed_by": i.changed_by,
                    "changed_at": iso(i.changed_at),
                }
                for i in run.items
            ],
            "channel": run.channel,
            "extra": run.due_wall is None,
            "posted_by": run.posted_by,
            "nudged_at": iso(run.nudged_at),
        }
        for run in session.scalars(query)
    ]
