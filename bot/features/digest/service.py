"""The monthly digest: last month's best approved posts, ideas and the team's own numbers, posted
once per month in the digest channel, with a short summary DMed to the leaders.

`build` runs a fixed number of SQL queries however much data there is (aggregation happens in the
database; only the top rows and one row per approved draft / escalation of the month come back)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.calendar import latest_due
from bot.core.config import TeamConfig
from bot.core.export import iso, since_filter
from bot.features.approvals.models import Draft, DraftReaction, DraftStatus
from bot.features.calendar import service as calendar
from bot.features.calendar.models import Plan
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.digest.models import DigestRecord
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.ideas.models import Idea, IdeaDraft, IdeaStatus, IdeaVote
from bot.features.metrics.models import PostMetric
from bot.features.report import service as report
from bot.features.report.service import WeekPoint

IDEAS_LISTED = 5
ACCEPTED_LISTED = 20


@dataclass
class TopPost:
    draft_id: int
    author: str
    text: str
    published_url: str | None
    impressions: int | None
    engagements: int | None
    clicks: int | None
    reactions: int
    # The idea the post carries out (its draft says `idea #N`), and who had and submitted it.
    idea_id: int | None = None
    idea_author: str | None = None
    idea_submitted_by: str | None = None

    @property
    def rate(self) -> float | None:
        if self.impressions is None or self.engagements is None or not self.impressions:
            return None
        return self.engagements / self.impressions


@dataclass
class IdeaLine:
    idea_id: int
    author: str
    submitted_by: str
    title: str | None
    text: str
    votes: int
    status: str


@dataclass
class MonthChart:
    """The report's chart for the weeks of a month (see `chart_weeks`)."""

    points: list[WeekPoint]

    @property
    def has_figures(self) -> bool:
        """Whether any of its weeks has post figures; a chart of nothing but zeros is not posted."""
        return any(p.impressions or p.engagement_rate is not None for p in self.points)

    @property
    def first_week(self) -> str:
        return self.points[0].week

    @property
    def last_week(self) -> str:
        return self.points[-1].week


@dataclass(frozen=True)
class StandoutAnswer:
    """An author's explanation of their standout post, as the leadership summary quotes it."""

    draft: Draft
    week: str
    author: str
    text: str  # Slack's escaped form, as stored
    answered_at: datetime


@dataclass
class DigestData:
    month: str
    top: list[TopPost] = field(default_factory=list)
    samples: int = 0
    top_ideas: list[IdeaLine] = field(default_factory=list)
    accepted_ideas: list[IdeaLine] = field(default_factory=list)
    ideas_submitted: int = 0
    ideas_accepted: int = 0
    approvals: int = 0
    median_approve: timedelta | None = None
    escalations: int = 0
    median_acknowledge: timedelta | None = None
    median_resolve: timedelta | None = None
    handoffs: int = 0
    handoffs_acknowledged: int = 0
    checklist_runs: int = 0
    checklist_items: int = 0
    checklist_done: int = 0
    # Added by `prepare` for the digest as posted (`build` leaves them unset): the month's chart and
    # the explanations of standout posts that the leadership summary quotes.
    chart: MonthChart | None = None
    explanations: list[StandoutAnswer] = field(default_factory=list)

    @property
    def label(self) -> str:
        return date.fromisoformat(self.month + "-01").strftime("%B %Y")

    @property
    def sample_posts(self) -> list[TopPost]:
        return self.top[: self.samples]


# -- months in the team's time ---------------------------------------------------------------------
def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a "YYYY-MM" month on the team's wall clock, as UTC instants."""
    first = date.fromisoformat(month + "-01")
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime(first.year, first.month, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(following.year, following.month, 1, tzinfo=tz).astimezone(UTC)
    return start, end


def chart_weeks(month: str) -> list[date]:
    """The Mondays of the weeks the month's chart shows: the weeks (Monday to Sunday) that end in
    the month. So every week is in exactly one month's chart, and each is complete when the digest
    is posted on the 1st (a week still running then is the next month's)."""
    first = date.fromisoformat(month + "-01")
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    mondays = []
    while sunday < following:
        mondays.append(sunday - timedelta(days=6))
        sunday += timedelta(days=7)
    return mondays


def previous_month(day: date) -> str:
    last = day.replace(day=1) - timedelta(days=1)
    return month_key(last)


def last_complete_month(now: datetime, tz: ZoneInfo) -> str:
    return previous_month(now.astimezone(tz).date())


# -- building --------------------------------------------------------------------------------------
def workflow_emoji(config: TeamConfig) -> set[str]:
    """teambot's own workflow emoji; reactions with them are not applause."""
    return {
        config.approval.approve_emoji,
        config.approval.reject_emoji,
        config.approval.changes_emoji,
        config.escalation.emoji,
        config.ideas.emoji,
        config.ideas.vote_emoji,
    }


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def build(session: Session, config: TeamConfig, month: str) -> DigestData:
    start, end = month_bounds(month, config.tz)
    data = DigestData(month=month, samples=config.digest.samples)
    # Approved drafts of the month, and those published since: a published post was approved first,
    # and it is the one its figures are about.
    approved_or_published = Draft.status.in_((DraftStatus.APPROVED, DraftStatus.PUBLISHED))
    in_month = (approved_or_published, Draft.decided_at >= start, Draft.decided_at < end)

    # 1. Best approved posts: by engagement rate where there are figures, else by the team's reactions.
    # Correlated counts use the reactions' primary key (draft_id first) for each draft of the month.
    reaction_count = (
        select(func.count())
        .where(DraftReaction.draft_id == Draft.id, DraftReaction.emoji.not_in(sorted(workflow_emoji(config))))
        .correlate(Draft)
        .scalar_subquery()
    )
    has_figures = case((PostMetric.draft_id.is_not(None), 1), else_=0)
    rate = case((PostMetric.impressions > 0, cast(PostMetric.engagements, Float) / PostMetric.impressions), else_=-1.0)
    ranked = (
        select(
            Draft.id.label("draft_id"),
            Draft.decided_at.label("decided_at"),
            has_figures.label("has_figures"),
            rate.label("rate"),
            reaction_count.label("reactions"),
            PostMetric.impressions.label("impressions"),
            PostMetric.engagements.label("engagements"),
            PostMetric.clicks.label("clicks"),
        )
        .outerjoin(PostMetric, PostMetric.draft_id == Draft.id)
        .where(*in_month)
        .subquery("ranked")
    )
    rows = session.execute(
        select(
            Draft.id,
            Draft.author,
            Draft.text,
            Draft.published_url,
            ranked.c.impressions,
            ranked.c.engagements,
            ranked.c.clicks,
            ranked.c.reactions,
            Idea.id,
            Idea.author,
            Idea.submitted_by,
            Plan.draft_id.is_not(None),
        )
        .join(ranked, ranked.c.draft_id == Draft.id)
        .outerjoin(IdeaDraft, IdeaDraft.draft_id == Draft.id)
        .outerjoin(Idea, Idea.id == IdeaDraft.idea_id)
        .outerjoin(Plan, Plan.draft_id == Draft.id)
        .order_by(
            ranked.c.has_figures.desc(),
            ranked.c.rate.desc(),
            ranked.c.reactions.desc(),
            ranked.c.decided_at,
            ranked.c.draft_id,
        )
        .limit(config.digest.top)
    ).all()
    # A planned draft starts with its plan (`[instagram] fri 16:30 …`): the post is what follows.
    today = end.astimezone(config.tz).date()
    data.top = []
    for *fields, planned in rows:
        post = TopPost(*fields)
        if planned:
            post.text = calendar.post_text(post.text, today)
        data.top.append(post)

    # 2. Approvals and time to approve.
    approved = session.execute(select(Draft.created_at, Draft.decided_at).where(*in_month)).all()
    data.approvals = len(approved)
    data.median_approve = _median([decided - created for created, decided in approved if decided])

    # 3. Escalations opened in the month: time to acknowledge and to resolve.
    rows = session.execute(
        select(Escalation.created_at, Escalation.acknowledged_at, Escalation.resolved_at).where(
            Escalation.created_at >= start, Escalation.created_at < end
        )
    ).all()
    data.escalations = len(rows)
    data.median_acknowledge = _median([ack - created for created, ack, _ in rows if ack])
    data.median_resolve = _median([resolved - created for created, _, resolved in rows if resolved])

    # 4. Handoffs written in the month, and how many were acknowledged.
    total, acknowledged = session.execute(
        select(func.count(), func.count(Handoff.acknowledged_at)).where(
            Handoff.created_at >= start, Handoff.created_at < end
        )
    ).one()
    data.handoffs, data.handoffs_acknowledged = int(total or 0), int(acknowledged or 0)

    # 5. Checklist completion of the runs due in the month.
    runs, items, done = session.execute(
        select(
            func.count(func.distinct(ChecklistRun.id)),
            func.count(ChecklistItem.position),
            func.count(ChecklistItem.done_by),
        )
        .select_from(ChecklistRun)
        .join(ChecklistItem, ChecklistItem.run_id == ChecklistRun.id)
        .where(ChecklistRun.due_at >= start, ChecklistRun.due_at < end)
    ).one()
    data.checklist_runs, data.checklist_items, data.checklist_done = int(runs or 0), int(items or 0), int(done or 0)

    # 6-8. Ideas: submitted in the month, the most-voted of them, and those accepted in the month.
    vote_count = select(func.count()).where(IdeaVote.idea_id == Idea.id).correlate(Idea).scalar_subquery()
    idea_columns = (Idea.id, Idea.author, Idea.submitted_by, Idea.title, Idea.text, vote_count, Idea.status)
    created_in_month = (Idea.created_at >= start, Idea.created_at < end)
    accepted_in_month = and_(Idea.status == IdeaStatus.ACCEPTED, Idea.decided_at >= start, Idea.decided_at < end)
    submitted, accepted = session.execute(
        select(
            func.sum(case((and_(*created_in_month), 1), else_=0)),
            func.sum(case((accepted_in_month, 1), else_=0)),
        ).where(or_(and_(*created_in_month), accepted_in_month))
    ).one()
    data.ideas_submitted, data.ideas_accepted = int(submitted or 0), int(accepted or 0)
    rows = session.execute(
        select(*idea_columns)
        .where(*created_in_month, Idea.status != IdeaStatus.DECLINED, vote_count > 0)
        .order_by(vote_count.desc(), Idea.id)
        .limit(IDEAS_LISTED)
    ).all()
    data.top_ideas = [IdeaLine(*row) for row in rows]
    rows = session.execute(
        select(*idea_columns).where(accepted_in_month).order_by(vote_count.desc(), Idea.id).limit(ACCEPTED_LISTED)
    ).all()
    data.accepted_ideas = [IdeaLine(*row) for row in rows]
    return data


# -- the chart and the leadership summary's quotes ----------------------------------------------------
def month_chart(session: Session, config: TeamConfig, month: str) -> MonthChart:
    return MonthChart(report.week_series(session, config, chart_weeks(month)))


def summary_window(session: Session, config: TeamConfig, month: str, now: datetime) -> tuple[datetime, datetime]:
    """[since, until) of the explanations `month`'s leadership summary quotes: those answered since
    the previous summary went out (the digest posted last before this one) until this one did (or
    `now`, while it has not). So each answer is quoted once, in the next summary, even when a
    month's digest was missed. The very first summary reaches back to the start of its month."""
    record = already_posted(session, month)
    until = record.posted_at if record is not None else now
    previous = session.scalar(
        select(DigestRecord.posted_at)
        .where(DigestRecord.month != month, DigestRecord.posted_at < until)
        .order_by(DigestRecord.posted_at.desc())
        .limit(1)
    )
    since = previous if previous is not None else min(month_bounds(month, config.tz)[0], until)
    return since, until


def standout_answers(session: Session, since: datetime, until: datetime) -> list[StandoutAnswer]:
    explanations = report.explanations_between(session, since, until)
    ids = {e.draft_id for e in explanations}
    drafts = {d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(ids)))} if ids else {}
    return [
        StandoutAnswer(drafts[e.draft_id], e.week, e.author, e.text, e.answered_at)
        for e in explanations
        if e.draft_id in drafts
    ]


def prepare(session: Session, config: TeamConfig, month: str, now: datetime) -> DigestData:
    """The digest as it is posted: `build`, the month's chart, and the explanations its leadership
    summary quotes."""
    data = build(session, config, month)
    data.chart = month_chart(session, config, month)
    data.explanations = standout_answers(session, *summary_window(session, config, month, now))
    return data


# -- posting ---------------------------------------------------------------------------------------
def already_posted(session: Session, month: str) -> DigestRecord | None:
    return session.scalar(select(DigestRecord).where(DigestRecord.month == month))


def post(session: Session, config: TeamConfig, month: str, now: datetime) -> DigestData | None:
    """Record `month`'s digest as posted and build it, once ever per month (unique month row); None
    when it was posted before."""
    if already_posted(session, month) is not None:
        return None
    try:
        with session.begin_nested():
            session.add(DigestRecord(month=month, posted_at=now))
    except IntegrityError:
        return None
    return prepare(session, config, month, now)


def release(session: Session, month: str) -> None:
    """Forget that `month`'s digest was posted, so it can be posted again."""
    session.execute(delete(DigestRecord).where(DigestRecord.month == month))


def post_due(session: Session, config: TeamConfig, now: datetime, first_start: datetime) -> DigestData | None:
    """Post the digest due by `[digest].cron` (for the month before the one it falls due in). A
    missed digest is posted any time within the month it fell due in, never for a due time
    before the scheduler's very first start."""
    local_now = now.astimezone(config.tz)
    month_start = datetime(local_now.year, local_now.month, 1, tzinfo=config.tz).astimezone(UTC)
    not_before = max(first_start, month_start) - timedelta(microseconds=1)
    due = latest_due(config.digest.cron, config.tz, now, not_before)
    if due is None:
        return None
    return post(session, config, previous_month(due.wall.date()), now)


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(DigestRecord).order_by(DigestRecord.month), DigestRecord.posted_at, since)
    return [{"month": row.month, "posted_at": iso(row.posted_at)} for row in session.scalars(query)]
