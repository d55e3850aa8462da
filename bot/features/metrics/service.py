"""Post performance figures: `/metrics` by hand, and what `teambot import-metrics` (imports.py)
records from the team's tools. Each draft keeps its latest figures; a newer figure replaces the older one."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.db import lock_name, lock_names, one_of, upsert_many
from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import escape_raw, parse_id, parse_permalink, unwrap_link
from bot.features.approvals.models import Draft
from bot.features.calendar.models import Publication
from bot.features.metrics.addresses import post_key
from bot.features.metrics.models import MetricSource, PostMetric

METRICS_EXAMPLE = "/metrics 12 impressions=5400 engagements=310 clicks=42 url=https://www.instagram.com/p/abc"
_URL = re.compile(r"^https?://[^\s<>|]+$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,3}(?:[,_ ]?\d{3})*$|^\d+$")
MAX_COUNT = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL
MAX_URL = Draft.__table__.c.published_url.type.length
CHUNK = 500  # names or ids in one IN (...) query


@dataclass(frozen=True, slots=True)  # kept for every named row of a big import
class DraftRef:
    """How a draft is named, read without the database: by id (`12`, `#12`), by its Slack
    permalink (channel, ts), or by the URL it was published at."""

    draft_id: int | None = None
    permalink: tuple[str, str] | None = None
    url: str | None = None

    def missing(self, example: str = METRICS_EXAMPLE) -> NotFound:
        """What is said when no draft has this name."""
        if self.draft_id is not None:
            return NotFound(f"There is no draft #{self.draft_id}.", example)
        if self.permalink is not None:
            return NotFound("That message is not a draft teambot knows.", example)
        return NotFound("No draft was published at that URL (record it with `url=`).", example)


def draft_ref(token: str, *, example: str = METRICS_EXAMPLE) -> DraftRef:
    token = unwrap_link(token)
    draft_id = parse_id(token)
    if draft_id is not None:
        return DraftRef(draft_id=draft_id)
    where = parse_permalink(token)
    if where is not None:
        return DraftRef(permalink=where)
    if _URL.match(token):
        return DraftRef(url=token)
    raise BadInput(f"`{token}` is not a draft id or a link to a draft.", example)


def resolve_draft(session: Session, token: str, *, example: str = METRICS_EXAMPLE) -> Draft:
    """A draft by id (`12`, `#12`), by its Slack permalink, or by the URL it was published at."""
    ref = draft_ref(token, example=example)
    if ref.draft_id is not None:
        draft = session.get(Draft, ref.draft_id)
    elif ref.permalink is not None:
        channel, ts = ref.permalink
        draft = session.scalar(select(Draft).where(Draft.channel == channel, Draft.ts == ts))
    else:
        draft_id = draft_published_at(published_drafts(session), ref.url or "", example)
        draft = session.get_one(Draft, draft_id) if draft_id is not None else None
    if draft is None:
        raise ref.missing(example)
    return draft


def find_drafts(session: Session, refs: Collection[DraftRef]) -> dict[DraftRef, int]:
    """The drafts named by id or by permalink, `CHUNK` names a query (not one query a name);
    names of no draft are left out. Names by URL are looked up in `published_drafts`."""
    found: dict[DraftRef, int] = {}
    ids = sorted({ref.draft_id for ref in refs if ref.draft_id is not None})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            (DraftRef(draft_id=i), i) for i in session.scalars(select(Draft.id).where(one_of(Draft.id, chunk)))
        )
    # By channel, then `ts IN (...)`: the (channel, ts) index answers that on both databases.
    by_channel: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        if ref.permalink is not None:
            by_channel[ref.permalink[0]].add(ref.permalink[1])
    for channel, stamps in sorted(by_channel.items()):
        ordered = sorted(stamps)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            rows = session.execute(select(Draft.id, Draft.ts).where(Draft.channel == channel, one_of(Draft.ts, chunk)))
            found.update((DraftRef(permalink=(channel, ts)), i) for i, ts in rows)
    return found


def url_key(url: str) -> str:
    """Which post a URL points at, however a person or a social tool writes it (see `addresses`)."""
    return post_key(url)


def published_drafts(session: Session) -> dict[str, list[int]]:
    """Every published draft's id by the `url_key` of where it was published: the address `/metrics`
    or the first publication recorded, and the address of each account it was marked published on."""
    addresses = union(
        select(Draft.id, Draft.published_url).where(Draft.published_url.is_not(None)),
        select(Publication.draft_id, Publication.url).where(Publication.url.is_not(None)),
    )
    found: dict[str, list[int]] = {}
    for draft_id, url in sorted(tuple(row) for row in session.execute(addresses)):
        ids = found.setdefault(url_key(url), [])
        if draft_id not in ids:
            ids.append(draft_id)
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


@dataclass(slots=True)  # kept for every matched row of a big import
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


def record_all(
    session: Session, figures: dict[int, Figures], now: datetime, *, source: MetricSource
) -> dict[int, Conflict]:
    """`record` for many drafts at once, in a fixed number of statements per `CHUNK` drafts: the
    addresses given are checked against every draft's (and against each other, in the order
    given) and, when none clashes, the figures and addresses are written. Returns the clashes by
    draft id, having written nothing, when there are any."""
    with_url = [draft_id for draft_id, given in figures.items() if given.url is not None]
    stored: dict[int, str | None] = {}
    for start in range(0, len(with_url), CHUNK):
        chunk = with_url[start : start + CHUNK]
        stored.update(
            (i, url) for i, url in session.execute(select(Draft.id, Draft.published_url).where(one_of(Draft.id, chunk)))
        )
    moving = {i: figures[i].url for i in with_url if figures[i].url != stored.get(i)}
    conflicts: dict[int, Conflict] = {}
    if moving:
        # As in `record`: the addresses' locks first, then every draft's address as it is now.
        lock_names(session, (f"published_url:{url_key(url)}" for url in moving.values() if url))
        published = published_drafts(session)
        for draft_id, url in moving.items():
            key = url_key(url or "")
            others = [i for i in published.get(key, []) if i != draft_id]
            if others:
                conflicts[draft_id] = Conflict(f"That URL is already recorded for draft #{others[0]}.", METRICS_EXAMPLE)
                continue
            old = stored.get(draft_id)
            if old is not None and draft_id in published.get(url_key(old), []):
                published[url_key(old)].remove(draft_id)
            published.setdefault(key, []).append(draft_id)
    if conflicts:
        return conflicts
    try:
        with session.begin_nested():
            if moving:
                session.execute(update(Draft), [{"id": i, "published_url": url} for i, url in moving.items()])
            upsert_many(
                session,
                PostMetric,
                (
                    {
                        "draft_id": draft_id,
                        "impressions": given.impressions,
                        "engagements": given.engagements,
                        "clicks": given.clicks,
                        "recorded_at": now,
                        "recorded_by": None,
                        "source": source,
                    }
                    for draft_id, given in figures.items()
                ),
            )
    except IntegrityError:
        raise Conflict("Those figures were recorded by someone else at the same moment; try again.") from None
    return {}


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
