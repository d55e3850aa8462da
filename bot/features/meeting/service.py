"""The weekly planning meeting (`[meeting]`): its members are asked for a short update
`ask_before_minutes` before it starts, and at its time the agenda is put together once: each
person's update and who has none, last week's standout posts, the drafts waiting for approval,
the next week's calendar and its gaps, and the most-voted open ideas for the brainstorming part.

Scheduled work is a pure selection over `now`: a meeting row per start time, and the ask and the
agenda claimed on it by conditional updates, so a retried tick, a restart or a second replica asks
and posts once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.calendar import Due, due_between, next_due
from bot.core.config import TeamConfig
from bot.core.errors import BadInput, Conflict
from bot.features.approvals.models import Draft
from bot.features.calendar import service as calendar
from bot.features.ideas.models import Idea, IdeaVote
from bot.features.meeting.models import Meeting, MeetingUpdate
from bot.features.report import service as report
from bot.features.report.service import Standout
from bot.features.roles import service as roles

UPDATE_EXAMPLE = (
    "/meeting update Learned: reels beat carousels · Working on: the spring campaign · Need help: a designer"
)
# Each part of an update, as stored (Slack's escaped form).
FIELD_LIMIT = 1000
TOP_IDEAS = 5
WAITING_SHOWN = 20


@dataclass(frozen=True)
class Ask:
    meeting: Meeting
    people: list[str]


@dataclass(frozen=True)
class Recorded:
    meeting: Meeting
    update: MeetingUpdate
    replaced: bool


@dataclass(frozen=True)
class Status:
    starts_at: datetime
    answered: list[str]
    missing: list[str]


@dataclass(frozen=True)
class WaitingDraft:
    draft: Draft
    waiting_since: datetime


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    updates: list[MeetingUpdate]
    missing: list[str]
    waiting: list[WaitingDraft]
    waiting_total: int
    ideas: list[tuple[Idea, int]] = field(default_factory=list)
    # Last week's standout posts (the weekly report's) and the week after the meeting's calendar.
    standouts: list[Standout] = field(default_factory=list)
    next_week: calendar.Week | None = None
    gaps: dict[str, list[date]] = field(default_factory=dict)


def members(session: Session, config: TeamConfig) -> list[str]:
    """Everyone holding one of the meeting's roles, each once, in a stable order."""
    people: list[str] = []
    for role in config.meeting.roles:
        people += [u for u in roles.holders(session, role) if u not in people]
    return people


def next_start(config: TeamConfig, now: datetime) -> datetime:
    """When the next meeting starts (at or after `now`)."""
    due = next_due(config.meeting.cron, config.tz, now - timedelta(microseconds=1))
    if due is None:  # a cron that never runs is refused at start-up
        raise Conflict("The meeting's schedule has no next date.")
    return due.at


def meeting_at(session: Session, starts_at: datetime) -> Meeting:
    """The meeting starting at `starts_at`, created on first use (also by two processes at once)."""
    found = session.scalar(select(Meeting).where(Meeting.starts_at == starts_at))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            found = Meeting(starts_at=starts_at)
            session.add(found)
    except IntegrityError:
        found = session.scalar(select(Meeting).where(Meeting.starts_at == starts_at))
        assert found is not None
    return found


def _starts_between(config: TeamConfig, after: datetime, until: datetime, lead: timedelta) -> list[Due]:
    """Meetings whose time minus `lead` is in (after, until]."""
    return due_between(config.meeting.cron, config.tz, after + lead, until + lead)


def _claim(session: Session, meeting: Meeting, column: str, now: datetime) -> bool:
    claimed = session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, getattr(Meeting, column).is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(meeting)
    return bool(claimed)


def due_asks(session: Session, config: TeamConfig, now: datetime, since: datetime) -> list[Ask]:
    """Meetings whose ask time fell in (since, now], claimed: each asks its members once."""
    lead = timedelta(minutes=config.meeting.ask_before_minutes)
    asks = []
    for due in _starts_between(config, since, now, lead):
        meeting = meeting_at(session, due.at)
        if _claim(session, meeting, "asked_at", now):
            answered = set(_updates_by_user(session, meeting))
            asks.append(Ask(meeting, [u for u in members(session, config) if u not in answered]))
    return asks


def due_agendas(session: Session, config: TeamConfig, now: datetime, since: datetime) -> list[Agenda]:
    """Meetings that started in (since, now], claimed: each agenda is posted once. Of several
    missed meetings only the latest is posted (an old agenda helps nobody)."""
    dues = _starts_between(config, since, now, timedelta(0))
    if not dues:
        return []
    meeting = meeting_at(session, dues[-1].at)
    if not _claim(session, meeting, "agenda_posted_at", now):
        return []
    return [agenda(session, config, meeting)]


def _updates_by_user(session: Session, meeting: Meeting) -> dict[str, MeetingUpdate]:
    rows = session.scalars(
        select(MeetingUpdate).where(MeetingUpdate.meeting_id == meeting.id).order_by(MeetingUpdate.id)
    )
    return {row.user_id: row for row in rows}


def agenda(session: Session, config: TeamConfig, meeting: Meeting) -> Agenda:
    updates = _updates_by_user(session, meeting)
    people = members(session, config)
    missing = [u for u in people if u not in updates]
    # Updates from people who sent one but hold no meeting role (any more) still count.
    ordered = [updates[u] for u in people if u in updates] + [u for k, u in updates.items() if k not in people]
    pending = select(Draft).where(Draft.status == "pending")
    waiting_total = session.scalar(select(func.count()).select_from(pending.subquery())) or 0
    drafts = session.scalars(pending.order_by(Draft.step_started_at, Draft.id).limit(WAITING_SHOWN))
    waiting = [WaitingDraft(d, d.step_started_at) for d in drafts]
    starts_on = meeting.starts_at.astimezone(config.tz).date()
    last_week = report.monday_of(starts_on) - timedelta(days=7)
    standouts = report.build(session, config, last_week).standouts
    next_week = calendar.week(session, config, report.monday_of(starts_on) + timedelta(days=7))
    return Agenda(
        meeting,
        ordered,
        missing,
        waiting,
        waiting_total,
        top_open_ideas(session),
        standouts,
        next_week,
        calendar.gaps(config, next_week),
    )


def top_open_ideas(session: Session, limit: int = TOP_IDEAS) -> list[tuple[Idea, int]]:
    votes = func.count(IdeaVote.user_id)
    rows = session.execute(
        select(Idea, votes)
        .outerjoin(IdeaVote, IdeaVote.idea_id == Idea.id)
        .where(Idea.status == "open")
        .group_by(Idea.id)
        .order_by(votes.desc(), Idea.id)
        .limit(limit)
    ).all()
    return [(idea, int(n)) for idea, n in rows]


def check_fields(learned: str, working_on: str, need_help: str) -> dict[str, str]:
    """Field errors of an update (text in Slack's escaped form), by field name; empty when fine."""
    errors = {}
    if not (learned or working_on or need_help):
        errors["working_on"] = "Say at least what you are working on."
    for name, value in (("learned", learned), ("working_on", working_on), ("need_help", need_help)):
        if len(value) > FIELD_LIMIT:
            errors[name] = f"Too long: at most {FIELD_LIMIT} characters."
    return errors


def record_update(
    session: Session,
    config: TeamConfig,
    *,
    user: str,
    now: datetime,
    learned: str = "",
    working_on: str = "",
    need_help: str = "",
) -> Recorded:
    """The person's update for the next meeting (text in Slack's escaped form); a second one
    replaces the first."""
    errors = check_fields(learned, working_on, need_help)
    if errors:
        raise BadInput(next(iter(errors.values())), UPDATE_EXAMPLE)
    meeting = meeting_at(session, next_start(config, now))
    existing = session.scalar(
        select(MeetingUpdate).where(MeetingUpdate.meeting_id == meeting.id, MeetingUpdate.user_id == user)
    )
    if existing is None:
        existing = MeetingUpdate(meeting_id=meeting.id, user_id=user, updated_at=now)
        try:
            with session.begin_nested():
                session.add(existing)
        except IntegrityError:
            raise Conflict("Your update arrived twice at once; look at `/meeting` and send it again.") from None
        replaced = False
    else:
        replaced = True
    existing.learned, existing.working_on, existing.need_help, existing.updated_at = (
        learned,
        working_on,
        need_help,
        now,
    )
    return Recorded(meeting, existing, replaced)


_LABELS = {
    "learned": ("learned", "i learned"),
    "working_on": ("working on", "working"),
    "need_help": ("need help", "help"),
}


def parse_update_text(text: str) -> dict[str, str]:
    """`/meeting update TEXT`: the parts may be labelled (`Learned: … · Working on: … · Need help: …`,
    separated by `·`, `;` or new lines); unlabelled text is what the person is working on."""
    parts: dict[str, list[str]] = {"learned": [], "working_on": [], "need_help": []}
    for chunk in [c.strip() for c in text.replace("·", "\n").replace(";", "\n").split("\n")]:
        if not chunk:
            continue
        label, _, rest = chunk.partition(":")
        key = next((k for k, names in _LABELS.items() if label.strip().lower() in names and rest.strip()), None)
        if key is None:
            parts["working_on"].append(chunk)
        else:
            parts[key].append(rest.strip())
    return {k: "\n".join(v) for k, v in parts.items()}


def own_update(session: Session, config: TeamConfig, user: str, now: datetime) -> MeetingUpdate | None:
    """The person's update for the next meeting, if they sent one (the form starts from it)."""
    return session.scalar(
        select(MeetingUpdate)
        .join(Meeting, Meeting.id == MeetingUpdate.meeting_id)
        .where(Meeting.starts_at == next_start(config, now), MeetingUpdate.user_id == user)
    )


def status(session: Session, config: TeamConfig, now: datetime) -> Status:
    starts_at = next_start(config, now)
    found = session.scalar(select(Meeting).where(Meeting.starts_at == starts_at))
    updates = _updates_by_user(session, found) if found else {}
    people = members(session, config)
    return Status(starts_at, list(updates), [u for u in people if u not in updates])
