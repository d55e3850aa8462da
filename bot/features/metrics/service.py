"""Post performance figures: `/metrics` by hand, and what `teambot import-metrics` (imports.py)
records from the team's tools. Each draft keeps its latest figures; a newer figure replaces the older one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.db import lock_name
from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import escape_raw, parse_id, parse_permalink, unwrap_link
from bot.features.approvals.models import Draft
from bot.features.metrics.addresses import post_key
from bot.features.metrics.models import MetricSource, PostMetric

METRICS_EXAMPLE = "/metrics 12 impressions=5400 engagements=310 clicks=42 url=https://www.instagram.com/p/abc"
_URL = re.compile(r"^https?://[^\s<>|]+$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,3}(?:[,_ ]?\d{3})*$|^\d+$")
MAX_COUNT = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL
MAX_URL = Draft.__table__.c.published_url.type.length


def resolve_draft(session: Session, token: str, *, example: str = METRICS_EXAMPLE) -> Draft:
    """A draft by id (`12`, `#12`), by its Slack permalink, or by the URL it was published at."""
    token = unwrap_link(token)
    draft_id = parse_id(token)
    if draft_id is not None:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise NotFound(f"There is no draft #{draft_id}.", example)
        return draft
    where = parse_permalink(token)
    if where is not None:
        draft = session.scalar(select(Draft).where(Draft.channel == where[0], Draft.ts == where[1]))
        if draft is None:
            raise NotFound("That message is not a draft teambot knows.", example)
        return draft
    if _URL.match(token):
        draft_id = draft_published_at(published_drafts(session), token, example)
        if draft_id is None:
            raise NotFound("No draft was published at that URL (record it with `url=`).", example)
        return session.get_one(Draft, draft_id)
    raise BadInput(f"`{token}` is not a draft id or a link to a draft.", example)


def url_key(url: str) -> str:
    """Which post a URL points at, however a person or a social tool writes it (see `addresses`)."""
    return post_key(url)


def published_drafts(session: Session) -> dict[str, list[int]]:
    """Every published draft's id by the `url_key` of where it was published."""
    rows = session.execute(
        select(Draft.id, Draft.published_url).where(Draft.published_url.is_not(None)).order_by(Draft.id)
    )
    found: dict[str, list[int]] = {}
    for draft_id, url in rows:
        found.setdefault(url_key(url), []).append(draft_id)
    return found


def draft_published_at(published: dict[str, list[int]], url: str, example: str) -> int | None:
    """The one draft published at `url` (however it is written), None if none; a Conflict if the
    address was recorded for several (before addresses were compared this way)."""
    ids = published.get(url_key(url), [])
    if len(ids) > 1:
        drafts = " and ".join(f"#{i}" for i in ids)
        raise Conflict(f"That URL is recorded for drafts {drafts}; give the draft's id instead.", example)
    return ids[0] if ids else None


def parse_count(value: str, name: str, *, example: str = METRICS_EXAMPLE) -> int:
    value = value.strip()
    if not _NUMBER.match(value):
        raise BadInput(f"`{name}` must be a whole number, not `{value}`.", example)
    number = int(re.sub(r"[,_ ]", "", value))
    if number > MAX_COUNT:
        raise BadInput(f"`{name}` is too large (at most {MAX_COUNT:,}).", example)
    return number


def parse_url(value: str, *, example: str = METRICS_EXAMPLE) -> str:
    url = unwrap_link(value)
    if not _URL.match(url):
        raise BadInput(f"`{value}` is not a link starting with https://.", example)
    # Stored in Slack's escaped form, like every other text teambot keeps.
    stored = escape_raw(url.replace("&amp;", "&"))
    if len(stored) > MAX_URL:
        raise BadInput(f"That link is too long ({len(stored)} characters, at most {MAX_URL}).", example)
    return stored


@dataclass
class Figures:
    impressions: int
    engagements: int
    clicks: int | None = None
    url: str | None = None


def parse_command(args: list[str]) -> tuple[str, Figures]:
    """`<draft> impressions=N engagements=N [clicks=N] [url=LINK]` (any order after the draft)."""
    if not args:
        raise BadInput("`/metrics` needs a draft and its figures.", METRICS_EXAMPLE)
    values: dict[str, str] = {}
    for arg in args[1:]:
        name, sep, value = arg.partition("=")
        name = name.lower()
        if not sep or name not in ("impressions", "engagements", "clicks", "url") or not value:
            raise BadInput(
                f"`{arg}` is not a figure; use impressions=, engagements=, clicks= or url=.", METRICS_EXAMPLE
            )
        if name in values:
            raise BadInput(f"`{name}` is given twice.", METRICS_EXAMPLE)
        values[name] = value
    # What was given is checked before what is missing: a figure typed wrong is named, not only
    # the one left out.
    counts = {name: parse_count(value, name) for name, value in values.items() if name != "url"}
    url = parse_url(values["url"]) if "url" in values else None
    missing = [n for n in ("impressions", "engagements") if n not in values]
    if missing:
        raise BadInput(f"`/metrics` needs {' and '.join(m + '=N' for m in missing)}.", METRICS_EXAMPLE)
    figures = Figures(counts["impressions"], counts["engagements"], counts.get("clicks"), url)
    return args[0], figures


def record(
    session: Session, draft: Draft, figures: Figures, now: datetime, *, by: str | None, source: MetricSource
) -> PostMetric:
    """Store the draft's figures (replacing older ones) and, with a URL, where it was published."""
    if figures.url is not None and figures.url != draft.published_url:
        # Held to the end of the transaction: two drafts recorded at once with one post's address
        # (written two ways) take turns here, and the second sees the first.
        lock_name(session, f"published_url:{url_key(figures.url)}")
        others = [i for i in published_drafts(session).get(url_key(figures.url), []) if i != draft.id]
        if others:
            raise Conflict(f"That URL is already recorded for draft #{others[0]}.", METRICS_EXAMPLE)
        draft.published_url = figures.url
    metric = session.get(PostMetric, draft.id)
    if metric is None:
        metric = PostMetric(draft_id=draft.id)
        session.add(metric)
    metric.impressions, metric.engagements, metric.clicks = figures.impressions, figures.engagements, figures.clicks
    metric.recorded_at, metric.recorded_by, metric.source = now, by, source
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("Those figures were recorded by someone else at the same moment; try again.") from None
    return metric


def rate(impressions: int, engagements: int) -> float | None:
    return engagements / impressions if impressions else None


def export(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(PostMetric).order_by(PostMetric.draft_id), PostMetric.recorded_at, since)
    return [
        {
            "draft_id": m.draft_id,
            "impressions": m.impressions,
            "engagements": m.engagements,
            "clicks": m.clicks,
            "engagement_rate": rate(m.impressions, m.engagements),
            "source": m.source,
            "recorded_by": m.recorded_by,
            "recorded_at": iso(m.recorded_at),
        }
        for m in session.scalars(query)
    ]
