"""`teambot import-metrics FILE`: post figures from a tool's export (or teambot's own columns) and
account figures per day, all or nothing. Rows are read one at a time; only the rows that match a
draft (or an account-day) are kept until the end, when they are written in the caller's one
transaction, or not at all if any row was bad."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import escape_raw, parse_permalink, unwrap_link
from bot.features.approvals.models import Draft
from bot.features.metrics import service
from bot.features.metrics.addresses import looks_like_address, post_key
from bot.features.metrics.importers.numbers import BadNumber, is_blank, parse_count, parse_day, parse_rate
from bot.features.metrics.importers.reading import RowsStop, Table, Unreadable, describe, open_table
from bot.features.metrics.importers.tools import TEAMBOT, AccountLayout, Layout
from bot.features.metrics.models import AccountDay, MetricSource, PostMetric

MAX_ACCOUNT = AccountDay.__table__.c.account.type.length
SKIPPED_LINES_KEPT = 20  # the output names the first few; the count covers them all
_CHUNK = 500  # ids per IN (...) query

__all__ = ["ImportOutcome", "Unreadable", "export_account_days", "import_file"]


@dataclass
class ImportOutcome:
    read_as: str = ""  # the tool recognised and the columns read, for the output
    rows: int = 0
    drafts: set[int] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0  # rows whose address matches no draft published from teambot
    skipped_lines: list[int] = field(default_factory=list)  # the first of them
    totals: int = 0  # a tool's total rows, passed over


def import_file(session: Session, path: Path, now: datetime) -> ImportOutcome:
    """Read `path` and stage its figures in `session`. Raises `Unreadable` when the file is not an
    export at all; bad rows go to `errors` (and then nothing is staged worth committing)."""
    table = open_table(path)
    try:
        if isinstance(table.layout, AccountLayout):
            return _import_account_days(session, table, table.layout, now)
        return _import_posts(session, table, table.layout, now)
    finally:
        if callable(table.close):
            table.close()


def _rows(table: Table, outcome: ImportOutcome) -> Iterable[tuple[int, list[object]]]:
    try:
        for line, row in table.rows:
            if any(not is_blank(cell) for cell in row):
                yield line, row
    except RowsStop as stop:
        outcome.errors.append(f"line {stop.line}: {stop.message}")


def _cell(row: list[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return ""
    value = row[index]
    return value.strip() if isinstance(value, str) else value


def _count(row: list[object], index: int | None, header: list[str]) -> int | None:
    value = _cell(row, index)
    if index is None or is_blank(value):
        return None
    try:
        return parse_count(value)
    except BadNumber as exc:
        name = header[index]
        if str(exc).startswith("too large"):
            raise BadInput(f"`{name}` is {exc}.") from None
        raise BadInput(f"`{name}` must be a whole number, not `{value}`.") from None


# -- post figures ---------------------------------------------------------------------------------
def _import_posts(session: Session, table: Table, layout: Layout, now: datetime) -> ImportOutcome:
    outcome = ImportOutcome(read_as=f"{layout.summary()} ({describe(table)})")
    own = layout.tool is TEAMBOT
    published: dict[str, list[int]] | None = None
    pending: dict[int, tuple[int, service.Figures]] = {}
    for line, row in _rows(table, outcome):
        address = str(_cell(row, layout.address) or "")
        if not address and layout.bare_id is not None:
            address = str(_cell(row, layout.bare_id) or "")
        if layout.tool.summary_rows and address.lower() in layout.tool.summary_rows:
            outcome.totals += 1
            continue
        try:
            draft_token = str(_cell(row, layout.draft_id) or "") if own else ""
            if own and (draft_token or not address or parse_permalink(address) or not looks_like_address(address)):
                draft_id = _own_row_draft(session, draft_token, address).id
            else:
                if not address:
                    raise BadInput(f"the row has no `{layout.header[layout.address or 0]}`")
                published = published if published is not None else service.published_drafts(session)
                ids = published.get(post_key(unwrap_link(address), layout.tool.network), [])
                if len(ids) > 1:
                    drafts = " and ".join(f"#{i}" for i in ids)
                    raise Conflict(f"That URL is recorded for drafts {drafts}; give the draft's id instead.")
                if not ids:
                    # A tool exports every post, also those never drafted in teambot: a row whose
                    # address matches no draft is skipped (and listed), not an error.
                    outcome.skipped += 1
                    if len(outcome.skipped_lines) < SKIPPED_LINES_KEPT:
                        outcome.skipped_lines.append(line)
                    continue
                draft_id = ids[0]
            figures = _figures(row, layout)
            if own and draft_token and address and parse_permalink(address) is None:
                figures.url = service.parse_url(address, example="")
        except (BadInput, NotFound, Conflict) as exc:
            outcome.errors.append(f"line {line}: {exc.message}")
            continue
        pending[draft_id] = (line, figures)  # a later row for the same draft replaces an earlier one
        outcome.rows += 1
    if outcome.errors:
        return outcome
    _record_all(session, pending, now, outcome)
    outcome.drafts = set(pending)
    return outcome


def _record_all(
    session: Session, pending: dict[int, tuple[int, service.Figures]], now: datetime, outcome: ImportOutcome
) -> None:
    """Store the figures, a chunk of drafts at a time. A row that also records where its draft was
    published goes through `service.record` (which checks the address is no other draft's); the
    others are written together, one flush per chunk, not one savepoint per draft."""
    ids = list(pending)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        with_url = [i for i in chunk if pending[i][1].url is not None]
        for draft in session.scalars(select(Draft).where(Draft.id.in_(with_url))) if with_url else ():
            line, figures = pending[draft.id]
            try:
                service.record(session, draft, figures, now, by=None, source=MetricSource.IMPORT)
            except Conflict as exc:
                outcome.errors.append(f"line {line}: draft #{draft.id}: {exc.message}")
        plain = [i for i in chunk if pending[i][1].url is None]
        if not plain:
            continue
        existing = {m.draft_id: m for m in session.scalars(select(PostMetric).where(PostMetric.draft_id.in_(plain)))}
        for draft_id in plain:
            figures = pending[draft_id][1]
            metric = existing.get(draft_id)
            if metric is None:
                metric = PostMetric(draft_id=draft_id)
                session.add(metric)
            metric.impressions, metric.engagements, metric.clicks = (
                figures.impressions,
                figures.engagements,
                figures.clicks,
            )
            metric.recorded_at, metric.recorded_by, metric.source = now, None, MetricSource.IMPORT
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            lines = ", ".join(str(pending[i][0]) for i in plain[:5])
            outcome.errors.append(
                f"line {lines}: figures for these drafts were recorded by someone else at the same moment; try again"
            )
            return


def _own_row_draft(session: Session, draft_token: str, address: str) -> Draft:
    if draft_token:
        return service.resolve_draft(session, draft_token, example="")
    if not address:
        raise BadInput("the row has neither a draft id nor a URL")
    return service.resolve_draft(session, address, example="")


def _figures(row: list[object], layout: Layout) -> service.Figures:
    header = layout.header
    impressions = _count(row, layout.impressions, header)
    if impressions is None:
        impressions = _count(row, layout.views, header)
    if impressions is None:
        named = layout.impressions if layout.impressions is not None else layout.views
        raise BadInput(f"`{header[named or 0]}` is empty")
    engagements = _count(row, layout.engagements, header)
    if engagements is None and layout.parts and layout.tool is not TEAMBOT:
        engagements = sum(_count(row, index, header) or 0 for index in layout.parts)
    if engagements is None and layout.rate is not None and not is_blank(_cell(row, layout.rate)):
        try:
            engagements = round(parse_rate(_cell(row, layout.rate)) * impressions)
        except BadNumber:
            shown = _cell(row, layout.rate)
            raise BadInput(f"`{header[layout.rate]}` must be a rate like 6.5%, not `{shown}`.") from None
    if engagements is None:
        named = layout.engagements if layout.engagements is not None else layout.impressions
        raise BadInput(f"`{header[named or 0]}` is empty" if layout.engagements is not None else "no engagements")
    return service.Figures(impressions=impressions, engagements=engagements, clicks=_count(row, layout.clicks, header))


# -- account figures per day ----------------------------------------------------------------------
def _import_account_days(session: Session, table: Table, layout: AccountLayout, now: datetime) -> ImportOutcome:
    header = layout.header
    columns = ", ".join(
        f"{what} from `{header[index]}`"
        for what, index in (("followers", layout.followers), ("mentions", layout.mentions))
        if index is not None
    )
    outcome = ImportOutcome(read_as=f"account figures per day: {columns} ({describe(table)})")
    pending: dict[tuple[date, str], tuple[int | None, int | None]] = {}
    for line, row in _rows(table, outcome):
        try:
            raw_day = _cell(row, layout.date)
            if is_blank(raw_day):
                raise BadInput(f"`{header[layout.date]}` is empty")
            try:
                day = parse_day(raw_day, day_first=layout.day_first)
            except BadNumber:
                raise BadInput(f"`{header[layout.date]}` is not a date: `{raw_day}`.") from None
            account = escape_raw(str(_cell(row, layout.account) or ""))
            if not account:
                raise BadInput(f"`{header[layout.account]}` is empty")
            if len(account) > MAX_ACCOUNT:
                raise BadInput(f"`{header[layout.account]}` is too long (at most {MAX_ACCOUNT} characters)")
            followers = _count(row, layout.followers, header)
            mentions = _count(row, layout.mentions, header)
            if followers is None and mentions is None:
                raise BadInput("the row has neither followers nor mentions")
        except BadInput as exc:
            outcome.errors.append(f"line {line}: {exc.message}")
            continue
        pending[(day, account)] = (followers, mentions)
        outcome.rows += 1
    if outcome.errors:
        return outcome
    keys = list(pending)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        existing = {
            (d.day, d.account): d
            for d in session.scalars(select(AccountDay).where(tuple_(AccountDay.day, AccountDay.account).in_(chunk)))
        }
        for key in chunk:
            followers, mentions = pending[key]
            found = existing.get(key)
            if found is None:
                found = AccountDay(day=key[0], account=key[1], followers=None, mentions=None)
                session.add(found)
            # A day imported from two tools (followers from one, mentions from another) keeps both.
            found.followers = followers if followers is not None else found.followers
            found.mentions = mentions if mentions is not None else found.mentions
            found.recorded_at, found.source = now, MetricSource.IMPORT
        session.flush()
    outcome.accounts = {account for _, account in keys}
    return outcome


def export_account_days(session: Session, since: datetime | None) -> list[dict[str, Any]]:
    query = since_filter(select(AccountDay).order_by(AccountDay.day, AccountDay.account), AccountDay.recorded_at, since)
    return [
        {
            "date": d.day.isoformat(),
            "account": d.account,
            "followers": d.followers,
            "mentions": d.mentions,
            "source": d.source,
            "recorded_at": iso(d.recorded_at),
        }
        for d in session.scalars(query)
    ]
