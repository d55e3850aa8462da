"""The weekly KPI report: last week (Monday to Sunday, team time) against the week before and
against `[kpis]`, for the team and per account; the standout posts and the days whose mentions
spiked; the eight weeks the chart shows. Plain Python over the store: a handful of range queries
per report, whatever the size of the year.

Where the figures come from: a post is published when an account of its plan is marked published
(the calendar's publications; a draft on two accounts is two posts), or, for a draft never planned,
when it was approved and has figures. A draft's figures (`/metrics`, `teambot import-metrics`) count
once, for the team and for the first account it was published on. Followers and mentions are the
accounts' daily figures (`date, account, followers, mentions` imports)."""

from __future__ import annotations

import bisect
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.calendar import latest_due
from bot.core.config import TeamConfig
from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.export import iso, since_filter
from bot.features.approvals.models import Draft
from bot.features.calendar.models import Publication
from bot.features.metrics.models import AccountDay, PostMetric
from bot.features.report.models import Explanation, ReportStandout, WeeklyReport

WEEK_EXAMPLE = "teambot report --week 2026-W05"
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
CHART_WEEKS = 8
# Standouts are measured against the account's posts of the 8 weeks before, and need a few of them.
BASELINE_WEEKS = 8
MIN_BASELINE_POSTS = 3
SPIKE_FACTOR = 3
SPIKE_BASELINE_DAYS = 28
MIN_SPIKE_BASELINE_DAYS = 7
NO_ACCOUNT = "(no account)"
EXPLANATION_LIMIT = 2000


# -- weeks --------------------------------------------------------------------------------------
def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> date:
    """`2026-W05` to that ISO week's Monday."""
    match = _WEEK.match(text.strip())
    if match:
        try:
            return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            pass
    raise BadInput(f"`{text}` is not an ISO week like 2026-W05 (weeks run from W01 to W52 or W53).", WEEK_EXAMPLE)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_complete_week(config: TeamConfig, now: datetime) -> date:
    """The Monday of the last week that has ended, team time."""
    return monday_of(now.astimezone(config.tz).date()) - timedelta(days=7)


def _instant(day: date, config: TeamConfig) -> datetime:
    return datetime.combine(day, time(0), tzinfo=config.tz).astimezone(UTC)


# -- figures ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Post:
    draft_id: int
    author: str
    account: str
    at: datetime
    impressions: int | None
    engagements: int | None

    @property
    def rate(self) -> float | None:
        return self.engagements / self.impressions if self.impressions and self.engagements is not None else None


@dataclass
class Figures:
    posts: int = 0
    impressions: int = 0
    engagements: int = 0
    followers_gained: int | None = None
    mentions: int | None = None

    @property
    def engagement_rate(self) -> float | None:
        return self.engagements / self.impressions if self.impressions else None


@dataclass(frozen=True)
class Target:
    name: str
    target: float
    value: float | None

    @property
    def met(self) -> bool:
        return self.value is not None and self.value >= self.target


@dataclass(frozen=True)
class Standout:
    post: Post
    median_rate: float

    @property
    def above(self) -> bool:
        return (self.post.rate or 0) >= self.median_rate


@dataclass(frozen=True)
class Spike:
    account: str
    day: date
    mentions: int
    median: float


@dataclass(frozen=True)
class WeekPoint:
    week: str
    impressions: int
    engagement_rate: float | None


@dataclass
class Report:
    week: str
    monday: date
    team: Figures
    previous: Figures
    accounts: dict[str, tuple[Figures, Figures]]
    targets: list[Target]
    standouts: list[Standout]
    spikes: list[Spike]
    series: list[WeekPoint]
    explanations: dict[int, str] = field(default_factory=dict)


def _posts(session: Session, config: TeamConfig, start: date, end: date) -> list[Post]:
    """Posts published in [start, end) team time: one per publication; a draft never planned counts
    at its approval when it has figures. Figures go with a draft's first publication."""
    since, until = _instant(start, config), _instant(end, config)
    publications = session.execute(
        select(
            Publication.id,
            Publication.draft_id,
            Publication.account,
            Publication.at,
            Draft.author,
            PostMetric.impressions,
            PostMetric.engagements,
        )
        .join(Draft, Draft.id == Publication.draft_id)
        .outerjoin(PostMetric, PostMetric.draft_id == Publication.draft_id)
        .where(Publication.at >= since, Publication.at < until)
        .order_by(Publication.at, Publication.id)
    ).all()
    # A draft's figures go with its first publication, which may lie before the window.
    drafts = {row.draft_id for row in publications}
    first_ids = (
        set(
            session.scalars(
                select(func.min(Publication.id)).where(Publication.draft_id.in_(drafts)).group_by(Publication.draft_id)
            )
        )
        if drafts
        else set()
    )
    posts = []
    for row in publications:
        first = row.id in first_ids
        impressions, engagements = (row.impressions, row.engagements) if first else (None, None)
        posts.append(Post(row.draft_id, row.author, row.account, row.at, impressions, engagements))
    unplanned = session.execute(
        select(Draft.id, Draft.author, Draft.decided_at, PostMetric.impressions, PostMetric.engagements)
        .join(PostMetric, PostMetric.draft_id == Draft.id)
        .where(
            Draft.status.in_(("approved", "published")),
            Draft.decided_at >= since,
            Draft.decided_at < until,
            ~select(Publication.id).where(Publication.draft_id == Draft.id).exists(),
        )
    ).all()
    posts += [Post(r.id, r.author, NO_ACCOUNT, r.decided_at, r.impressions, r.engagements) for r in unplanned]
    return posts


@dataclass
class Days:
    """The accounts' daily figures in a window, indexed for the questions the report asks."""

    mentions: dict[str, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))
    followers: dict[str, tuple[list[date], list[int]]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, start: date, end: date, accounts: Iterable[str] = ()) -> Days:
        """The figures of [start, end). An imported account name that is one of `accounts` (the
        configured names) in another case ("Instagram" from a tool's export) counts as that account."""
        days = cls()
        configured = {name.lower(): name for name in accounts}
        followers: dict[str, list[tuple[date, int]]] = defaultdict(list)
        rows = session.execute(
            select(AccountDay.day, AccountDay.account, AccountDay.followers, AccountDay.mentions)
            .where(AccountDay.day >= start, AccountDay.day < end)
            .order_by(AccountDay.day)
        )
        for day, imported, follower_count, mention_count in rows:
            account = configured.get(imported.lower(), imported)
            if mention_count is not None:
                days.mentions[account][day] = mention_count
            if follower_count is not None:
                followers[account].append((day, follower_count))
        days.followers = {a: ([d for d, _ in v], [n for _, n in v]) for a, v in followers.items()}
        return days

    def accounts(self) -> set[str]:
        return set(self.mentions) | set(self.followers)

    def last_followers(self, account: str, before: date) -> int | None:
        known_days, counts = self.followers.get(account, ([], []))
        index = bisect.bisect_left(known_days, before)
        return counts[index - 1] if index else None

    def figures(self, figures: Figures, start: date, account: str | None) -> None:
        """Mentions and followers gained in the week from `start`, for one account or all."""
        end = start + timedelta(days=7)
        names = [account] if account is not None else sorted(self.accounts())
        counted = [n for name in names for d, n in self.mentions.get(name, {}).items() if start <= d < end]
        if counted:
            figures.mentions = sum(counted)
        gained = []
        for name in names:
            now, before = self.last_followers(name, end), self.last_followers(name, start)
            if now is not None and before is not None:
                gained.append(now - before)
        if gained:
            figures.followers_gained = sum(gained)


def _figures(posts: list[Post], days: Days | None, start: date, account: str | None = None) -> Figures:
    figures = Figures()
    for post in posts:
        if account is None or post.account == account:
            figures.posts += 1
            figures.impressions += post.impressions or 0
            figures.engagements += post.engagements or 0
    if days is not None:
        days.figures(figures, start, account)
    return figures


def _in_week(posts: list[Post], config: TeamConfig, monday: date) -> list[Post]:
    since, until = _instant(monday, config), _instant(monday + timedelta(days=7), config)
    return [p for p in posts if since <= p.at < until]


def _week_point(posts: list[Post], config: TeamConfig, monday: date) -> WeekPoint:
    figures = _figures(_in_week(posts, config, monday), None, monday)
    return WeekPoint(week_label(monday), figures.impressions, figures.engagement_rate)


def week_series(session: Session, config: TeamConfig, mondays: list[date]) -> list[WeekPoint]:
    """The chart's points (impressions and engagement rate) of the weeks starting on `mondays`, in
    order, counted as the report counts them; for the monthly digest's chart."""
    if not mondays:
        return []
    posts = _posts(session, config, min(mondays), max(mondays) + timedelta(days=7))
    return [_week_point(posts, config, monday) for monday in mondays]


def build(session: Session, config: TeamConfig, monday: date) -> Report:
    """The report of the week starting `monday` (team time)."""
    series_start = monday - timedelta(weeks=max(CHART_WEEKS, BASELINE_WEEKS + 1) - 1)
    posts = _posts(session, config, series_start, monday + timedelta(days=7))
    # Followers need the last figure before each week; mentions need 28 days before each day.
    days = Days.load(
        session,
        min(series_start, monday - timedelta(days=SPIKE_BASELINE_DAYS + 14)),
        monday + timedelta(days=7),
        (account.name for account in config.accounts),
    )

    def week_posts(start: date) -> list[Post]:
        return _in_week(posts, config, start)

    previous_monday = monday - timedelta(days=7)
    this_posts, previous_posts = week_posts(monday), week_posts(previous_monday)
    team = _figures(this_posts, days, monday)
    previous = _figures(previous_posts, days, previous_monday)
    names = sorted({p.account for p in this_posts + previous_posts} | days.accounts())
    accounts = {
        name: (_figures(this_posts, days, monday, name), _figures(previous_posts, days, previous_monday, name))
        for name in names
    }
    chart_weeks = [monday - timedelta(weeks=weeks_back) for weeks_back in range(CHART_WEEKS - 1, -1, -1)]
    series = [_week_point(posts, config, start) for start in chart_weeks]
    baseline_since = _instant(monday - timedelta(weeks=BASELINE_WEEKS), config)
    baseline = [p for p in posts if baseline_since <= p.at < _instant(monday, config)]
    return Report(
        week=week_label(monday),
        monday=monday,
        team=team,
        previous=previous,
        accounts=accounts,
        targets=targets(config, team),
        standouts=standouts(config, this_posts, baseline),
        spikes=spikes(days, monday),
        series=series,
    )


def targets(config: TeamConfig, figures: Figures) -> list[Target]:
    kpis = config.kpis
    wanted = [
        ("posts", kpis.posts, figures.posts),
        ("impressions", kpis.impressions, figures.impressions),
        ("engagement_rate", kpis.engagement_rate, figures.engagement_rate),
        ("followers_gained", kpis.followers_gained, figures.followers_gained),
        ("mentions", kpis.mentions, figures.mentions),
    ]
    return [Target(name, target, value) for name, target, value in wanted if target is not None]


def standouts(config: TeamConfig, posts: list[Post], baseline: list[Post]) -> list[Standout]:
    """Posts whose engagement rate is at least `standout_factor` times, or at most one
    `standout_factor`-th of, their account's median over the 8 weeks before."""
    factor = config.report.standout_factor
    rates: dict[str, list[float]] = defaultdict(list)
    for post in baseline:
        if post.rate is not None:
            rates[post.account].append(post.rate)
    found = []
    for post in posts:
        history = rates.get(post.account, [])
        if post.rate is None or len(history) < MIN_BASELINE_POSTS:
            continue
        median = statistics.median(history)
        if median > 0 and (post.rate >= factor * median or post.rate <= median / factor):
            found.append(Standout(post, median))
    return sorted(found, key=lambda s: -abs((s.post.rate or 0) - s.median_rate))


def spikes(days: Days, monday: date) -> list[Spike]:
    """Days of the week whose mentions were more than 3× the account's median of the 28 days before."""
    found = []
    for account, mentions in sorted(days.mentions.items()):
        for offset in range(7):
            day = monday + timedelta(days=offset)
            if day not in mentions:
                continue
            before = [v for d, v in mentions.items() if day - timedelta(days=SPIKE_BASELINE_DAYS) <= d < day]
            if len(before) < MIN_SPIKE_BASELINE_DAYS:
                continue
            median = statistics.median(before)
            if median > 0 and mentions[day] > SPIKE_FACTOR * median:
                found.append(Spike(account, day, mentions[day], median))
    return found


# -- posting once a week ------------------------------------------------------------------------
def due_week(config: TeamConfig, now: datetime, first_start: datetime) -> date | None:
    """The week whose report fell due by `[report].cron`: the week before the one it fell due in.
    A missed report is posted any time within the week it fell due in, never for a due time before
    the scheduler's very first start."""
    this_monday = monday_of(now.astimezone(config.tz).date())
    not_before = max(first_start, _instant(this_monday, config)) - timedelta(microseconds=1)
    due = latest_due(config.report.cron, config.tz, now, not_before)
    if due is None:
        return None
    return monday_of(due.wall.date()) - timedelta(days=7)


def posted(session: Session, week: str) -> bool:
    return session.get(WeeklyReport, week) is not None


def posted_record(session: Session, week: str) -> WeeklyReport | None:
    """When the week's report was posted, if it was."""
    return session.get(WeeklyReport, week)


def claim(session: Session, result: Report, now: datetime) -> bool:
    """Record the week's report as posted, with the standout posts it names; False when it was
    already (another tick or replica)."""
    if posted(session, result.week):
        return False
    try:
        with session.begin_nested():
            session.add(WeeklyReport(week=result.week, posted_at=now))
            session.flush()
            _name_standouts(session, result)
    except IntegrityError:
        return False
    return True


def claim_again(session: Session, result: Report, now: datetime) -> None:
    """The week's report, claimed before and refused by Slack, is posted again under its claim: as
    of `now`, naming its standouts besides those named before (whose authors may have answered)."""
    record = session.get(WeeklyReport, result.week)
    assert record is not None
    record.posted_at = now
    _name_standouts(session, result)


def _name_standouts(session: Session, result: Report) -> None:
    """Record the standout posts `result` names for its (claimed) week, besides any named before."""
    known = set(session.scalars(select(ReportStandout.draft_id).where(ReportStandout.week == result.week)))
    named = {s.post.draft_id: s.post.author for s in result.standouts if s.post.draft_id not in known}
    session.add_all(ReportStandout(week=result.week, draft_id=d, author=author) for d, author in named.items())
    session.flush()


def release(session: Session, week: str) -> bool:
    """Forget that `week`'s report was posted, so it can be posted again; True when it is forgotten.
    Once an author has explained one of its standouts the claim stays, with the standouts it named
    and the answers given (the report is then posted again under it): False."""
    if session.scalar(select(Explanation.id).where(Explanation.week == week).limit(1)) is not None:
        return False
    session.execute(delete(ReportStandout).where(ReportStandout.week == week))
    session.execute(delete(WeeklyReport).where(WeeklyReport.week == week))
    return True


# -- explanations -------------------------------------------------------------------------------
def explanation_asked(session: Session, week: str, draft_id: int, user: str) -> Draft:
    """The standout draft a person is asked to explain: one the week's posted report named, and
    only its author may."""
    if not posted(session, week):
        raise NotFound(f"There is no report for {week}, so there is nothing to explain for it.")
    standout = session.get(ReportStandout, (week, draft_id))
    draft = session.get(Draft, draft_id) if standout is not None else None
    if standout is None or draft is None:
        raise NotFound(f"Draft #{draft_id} was not one of the standout posts of the report for {week}.")
    if standout.author != user:
        raise Conflict(f"Only <@{standout.author}>, who wrote draft #{draft_id}, can say what made it stand out.")
    return draft


def record_explanation(session: Session, week: str, draft_id: int, user: str, text: str, now: datetime) -> Explanation:
    """The author's explanation (Slack's escaped form); a second one replaces the first."""
    explanation_asked(session, week, draft_id, user)
    if not text.strip():
        raise BadInput("Say in a sentence or two what made the post stand out.")
    if len(text) > EXPLANATION_LIMIT:
        raise BadInput(f"Too long: at most {EXPLANATION_LIMIT} characters.")
    found = session.scalar(select(Explanation).where(Explanation.week == week, Explanation.draft_id == draft_id))
    if found is None:
        found = Explanation(week=week, draft_id=draft_id, author=user, text=text, answered_at=now)
        session.add(found)
    else:
        found.text, found.answered_at = text, now
    session.flush()
    return found


def explanations_between(session: Session, since: datetime, until: datetime) -> list[Explanation]:
    """Explanations given in [since, until), for the leadership summary."""
    return list(
        session.scalars(
            select(Explanation)
            .where(Explanation.answered_at >= since, Explanation.answered_at < until)
            .order_by(Explanation.answered_at)
        )
    )


def export(session: Session, since: datetime | None) -> list[dict[str, object]]:
    query = since_filter(select(WeeklyReport).order_by(WeeklyReport.week), WeeklyReport.posted_at, since)
    return [{"week": row.week, "posted_at": iso(row.posted_at)} for row in session.scalars(query)]
