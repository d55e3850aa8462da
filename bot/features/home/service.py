"""What a person's Home tab shows, gathered in a fixed number of queries whatever the size of the
data (each list is cut in SQL and counted with a window function), and the bookkeeping that
republishes a view after a change: who opened their tab, what was last published to them, and a
row per committed change to anything a Home tab shows.

A change is noticed by a session hook on the tables the tab reads rather than by every feature
naming whom it concerns: who is concerned by a draft reaching a step depends on roles, the chain
and the calendar, and getting that wrong would leave a stale tab. The refresh job rebuilds the
views of the people who opened their tab and publishes only those whose content changed, so the
person a change concerns is exactly the person whose view it changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, delete, event, exists, func, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from bot.core.config import TeamConfig
from bot.core.db import insert_unless_present
from bot.features.approvals import service as approvals
from bot.features.approvals.models import ApprovalStep, Draft
from bot.features.calendar import service as calendar
from bot.features.calendar.models import CalendarNote, ClientApprover, Plan, PlanAccount, Publication
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.escalations import service as escalations
from bot.features.escalations.models import Escalation, EscalationNotice, EscalationStatus
from bot.features.handoffs.models import Handoff
from bot.features.home.models import HomeChange, HomeView
from bot.features.ideas.models import Idea, IdeaVote
from bot.features.roles import service as roles
from bot.features.roles.models import RoleMember
from bot.features.shifts import service as shifts
from bot.features.shifts.models import ShiftEarlyEnd, ShiftOverride, ShiftSession

LIMIT = 20
# A view is rebuilt at least this often, so what depends on the clock alone (who is on shift,
# today's checklists, the week) follows without any change.
RECHECK = timedelta(minutes=5)
# How far ahead a person's own next shift is looked for.
OWN_SHIFT_HORIZON = timedelta(days=56)
# Planned posts are offered for publishing from this long before now (older ones are reported
# to the coordinators by the calendar).
PUBLISH_LOOKBACK = timedelta(days=7)

WATCHED_MODELS: tuple[type, ...] = (
    Draft,
    ApprovalStep,
    Handoff,
    Escalation,
    EscalationNotice,
    ChecklistRun,
    ChecklistItem,
    Idea,
    IdeaVote,
    ShiftSession,
    ShiftEarlyEnd,
    ShiftOverride,
    Plan,
    ClientApprover,
    PlanAccount,
    Publication,
    CalendarNote,
    RoleMember,
)
_WATCHED_TABLES = {model.__tablename__ for model in WATCHED_MODELS}  # type: ignore[attr-defined]
_FLAG = "home_change_recorded"


# -- noticing changes ----------------------------------------------------------------------------
def _record_change(session: Session) -> None:
    if not session.info.get(_FLAG):
        session.info[_FLAG] = True
        session.add(HomeChange())


@event.listens_for(Session, "before_flush")
def _changed_objects(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_FLAG):
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, WATCHED_MODELS):
            _record_change(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _changed_by_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(_FLAG) or not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if isinstance(table, Table) and table.name in _WATCHED_TABLES:
        _record_change(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_FLAG, None)


def take_changes(session: Session) -> bool:
    """Whether anything changed since the last call (the rows are taken away; rows committed
    meanwhile are left for the next call)."""
    ids = list(session.scalars(select(HomeChange.id).order_by(HomeChange.id).limit(10_000)))
    if ids:
        session.execute(delete(HomeChange).where(HomeChange.id <= ids[-1], HomeChange.id.in_(ids)))
    return bool(ids)


# -- who opened their tab ------------------------------------------------------------------------
def opened(session: Session, user: str, now: datetime, *, workspace_admin: bool = False) -> None:
    if not insert_unless_present(
        session, HomeView, user_id=user, opened_at=now, checked_at=now, workspace_admin=workspace_admin
    ):
        session.execute(
            update(HomeView).where(HomeView.user_id == user).values(opened_at=now, workspace_admin=workspace_admin)
        )


def is_workspace_admin(session: Session, user: str) -> bool:
    """What Slack said of the person when they last opened their tab."""
    return bool(session.scalar(select(HomeView.workspace_admin).where(HomeView.user_id == user)))


def views_to_check(session: Session, now: datetime, *, changed: bool) -> list[str]:
    """The people whose views to rebuild: all who opened their tab after a change, else those not
    rebuilt for a while."""
    query = select(HomeView.user_id).order_by(HomeView.user_id)
    if not changed:
        query = query.where(HomeView.checked_at <= now - RECHECK)
    return list(session.scalars(query))


def digest_of(view: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


def record_check(session: Session, user: str, digest: str, now: datetime, *, published: bool) -> None:
    values: dict[str, Any] = {"checked_at": now}
    if published:
        values.update(published_digest=digest, published_at=now)
    session.execute(update(HomeView).where(HomeView.user_id == user).values(**values))


def published_digests(session: Session, users: list[str]) -> dict[str, str | None]:
    rows = session.execute(select(HomeView.user_id, HomeView.published_digest).where(HomeView.user_id.in_(users)))
    return {user: digest for user, digest in rows}


# -- what the tab shows --------------------------------------------------------------------------
@dataclass
class Cut:
    """The first entries of a list and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    total: int = 0


@dataclass
class TeamShift:
    team: str
    now: str | None
    until: datetime | None
    next: shifts.Occurrence | None


@dataclass
class ToPublish:
    draft_id: int
    channel: str
    ts: str
    account: str
    slot: datetime | None
    summary: str


@dataclass
class Home:
    user: str
    roles: set[str]
    drafts: Cut
    handoffs: Cut
    escalations: Cut
    checklist_items: Cut  # (ChecklistRun, ChecklistItem)
    to_publish: Cut  # ToPublish
    team_shifts: list[TeamShift]
    own_next_shift: shifts.Occurrence | None
    week: calendar.Week
    ideas: Cut  # (Idea, votes)


def _cut(session: Session, query: Any, limit: int = LIMIT) -> Cut:
    rows = session.execute(query.add_columns(func.count().over()).limit(limit)).all()
    return Cut([tuple(row[:-1]) if len(row) > 2 else row[0] for row in rows], rows[0][-1] if rows else 0)


def gather(session: Session, config: TeamConfig, user: str, now: datetime) -> Home:
    mine = roles.roles_of(session, user)
    waiting = approvals.waiting_for(session, user, limit=LIMIT)
    today = calendar.today_of(config, now)
    shifts_now = shifts.overview(session, config, user, now, OWN_SHIFT_HORIZON)
    return Home(
        user=user,
        roles=mine,
        drafts=Cut(waiting.drafts, waiting.total),
        handoffs=_cut(
            session,
            select(Handoff)
            .where(Handoff.to_user == user, Handoff.acknowledged_at.is_(None))
            .order_by(Handoff.created_at, Handoff.id),
        ),
        escalations=_cut(session, _escalations_query(config, user, mine)),
        checklist_items=_cut(session, _checklist_query(config, today)),
        to_publish=_to_publish(session, config, user, mine, now, today),
        team_shifts=[
            TeamShift(t.team, t.now.user if t.now else None, t.now.until if t.now else None, t.next)
            for t in shifts_now.teams
        ],
        own_next_shift=shifts_now.own_next,
        week=calendar.week(session, config, calendar.week_start(today)),
        ideas=_cut(
            session,
            select(Idea, func.count(IdeaVote.user_id))
            .outerjoin(IdeaVote, IdeaVote.idea_id == Idea.id)
            .where(Idea.author == user)
            .group_by(Idea.id)
            .order_by(Idea.created_at.desc(), Idea.id.desc()),
        ),
    )


def _escalations_query(config: TeamConfig, user: str, mine: set[str]) -> Any:
    """Assigned to the person, or still unacknowledged and theirs to acknowledge (as
    escalations.may_acknowledge: told of it, one of its team's people, or a strategist)."""
    not_resolved = Escalation.status != EscalationStatus.RESOLVED.value
    if "strategist" in mine:
        may_ack = Escalation.status == EscalationStatus.OPEN.value
    else:
        teams = [name for name in config.team_names() if user in escalations.team_people(config, name)]
        told = exists().where(EscalationNotice.escalation_id == Escalation.id, EscalationNotice.user_id == user)
        may_ack = (Escalation.status == EscalationStatus.OPEN.value) & or_(Escalation.team.in_(teams), told)
    return (
        select(Escalation)
        .where(not_resolved, or_(Escalation.assignee == user, may_ack))
        .order_by(Escalation.created_at, Escalation.id)
    )


def _checklist_query(config: TeamConfig, today: date) -> Any:
    start = calendar.slot_of(config, today, time(0))
    end = calendar.slot_of(config, today + timedelta(days=1), time(0))
    return (
        select(ChecklistRun, ChecklistItem)
        .join(ChecklistItem, ChecklistItem.run_id == ChecklistRun.id)
        .where(ChecklistRun.due_at >= start, ChecklistRun.due_at < end, ChecklistItem.done_by.is_(None))
        .order_by(ChecklistRun.due_at, ChecklistRun.id, ChecklistItem.position)
    )


def publishing_accounts(config: TeamConfig, user: str, mine: set[str]) -> list[str]:
    """The accounts the person publishes on: named as a publisher, or a community manager on an
    account that names nobody."""
    return [
        a.name for a in config.accounts if user in a.publishers or (not a.publishers and "community_manager" in mine)
    ]


def _to_publish(session: Session, config: TeamConfig, user: str, mine: set[str], now: datetime, today: date) -> Cut:
    accounts = publishing_accounts(config, user, mine)
    if not accounts:
        return Cut()
    until = calendar.slot_of(config, today + timedelta(days=1), time(0))
    published = exists().where(Publication.draft_id == PlanAccount.draft_id, Publication.account == PlanAccount.account)
    query = (
        select(PlanAccount.draft_id, Draft.channel, Draft.ts, PlanAccount.account, PlanAccount.slot, Plan.summary)
        .join(Draft, Draft.id == PlanAccount.draft_id)
        .join(Plan, Plan.draft_id == PlanAccount.draft_id)
        .where(
            Draft.status == "approved",
            PlanAccount.account.in_(accounts),
            PlanAccount.slot >= now - PUBLISH_LOOKBACK,
            PlanAccount.slot < until,
            ~published,
        )
        .order_by(PlanAccount.slot, PlanAccount.draft_id, PlanAccount.account)
    )
    rows = session.execute(query.add_columns(func.count().over()).limit(LIMIT)).all()
    return Cut([ToPublish(*row[:-1]) for row in rows], rows[0][-1] if rows else 0)
