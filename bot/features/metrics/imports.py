"""`teambot import-metrics FILE`: post figures from a tool's export (or teambot's own columns) and
account figures per day, all or nothing. Rows are read one at a time; only the rows that match a
draft (or an account-day) are kept until the end, when they are written in the caller's one
transaction, or not at all if any row was bad.

A few statements an import, never one a row: every draft's published address is read once (a
tool's row is matched against it in memory), the drafts that teambot's own columns name by id or
permalink are looked up together after the last row (500 names a query), and the figures are
written in batches of upserts (5,000 rows a batch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.db import upsert_many
from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.export import iso, since_filter
from bot.core.text import escape_raw, parse_permalink, unwrap_link
from bot.features.metrics import service
from bot.features.metrics.addresses import looks_like_address, post_key
from bot.features.metrics.importers.numbers import BadNumber, is_blank, parse_count, parse_day, parse_rate
from bot.features.metrics.importers.reading import RowsStop, Table, Unreadable, describe, open_table
from bot.features.metrics.importers.tools import TEAMBOT, AccountLayout, Layout
from bot.features.metrics.models import AccountDay, MetricSource

MAX_ACCOUNT = AccountDay.__table__.c.account.type.length
SKIPPED_LINES_KEPT = 20  # the output names the first few; the count covers them all

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


class _Errors(list[tuple[int, str]]):
    """Bad rows as they are found (some only once the drafts are looked up), said in line order."""

    def add(self, line: int, message: str, *, lines: str | None = None) -> None:
        self.append((line, f"line {lines or line}: {message}"))

    def in_order(self) -> list[str]:
        return [said for _, said in sorted(self, key=lambda error: error[0])]


def _rows(table: Table, errors: _Errors) -> Iterable[tuple[int, list[object]]]:
    try:
        for line, row in table.rows:
            if any(not is_blank(cell) for cell in row):
                yield line, row
    except RowsStop as stop:
        errors.add(stop.line, stop.message)


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
@dataclass(slots=True)
class _Named:
    """A row of teambot's own columns naming its draft by id or permalink, kept until the names
    are looked up together. A bad figure is said only if the draft exists (the draft comes first)."""

    line: int
    ref: service.DraftRef
    figures: service.Figures | None
    error: str | None


def _import_posts(session: Session, table: Table, layout: Layout, now: datetime) -> ImportOutcome:
    outcome = ImportOutcome(read_as=f"{layout.summary()} ({describe(table)})")
    errors = _Errors()
    own = layout.tool is TEAMBOT
    published: dict[str, list[int]] | None = None  # every draft's address, read once at the first row needing it
    pending: dict[int, tuple[int, service.Figures]] = {}  # by draft: the line and figures of its last row
    named: list[_Named] = []
    for line, row in _rows(table, errors):
        address = str(_cell(row, layout.address) or "")
        if not address and layout.bare_id is not None:
            address = str(_cell(row, layout.bare_id) or "")
        if layout.tool.summary_rows and address.lower() in layout.tool.summary_rows:
            outcome.totals += 1
            continue
        try:
            draft_token = str(_cell(row, layout.draft_id) or "") if own else ""
            ref: service.DraftRef | None = None
            if own and (draft_token or not address or parse_permalink(address) or not looks_like_address(address)):
                ref = _own_row_ref(draft_token, address)
            draft_id: int | None = None
            if ref is None or ref.url is not None:
                if not address and ref is None:
                    raise BadInput(f"the row has no `{layout.header[layout.address or 0]}`")
                published = published if published is not None else service.published_drafts(session)
                ids = published.get(post_key(unwrap_link(ref.url if ref else address), layout.tool.network), [])
                if len(ids) > 1:
                    drafts = " and ".join(f"#{i}" for i in ids)
                    raise Conflict(f"That URL is recorded for drafts {drafts}; give the draft's id instead.")
                if not ids and ref is not None:
                    raise ref.missing()
                if not ids:
                    # A tool exports every post, also those never drafted in teambot: a row whose
                    # address matches no draft is skipped (and listed), not an error.
                    outcome.skipped += 1
                    if len(outcome.skipped_lines) < SKIPPED_LINES_KEPT:
                        outcome.skipped_lines.append(line)
                    continue
                draft_id = ids[0]
            figures, error = _row_figures(row, layout, with_url=own and bool(draft_token) and bool(address))
        except (BadInput, NotFound, Conflict) as exc:
            errors.add(line, exc.message)
            continue
        if draft_id is None and ref is not None:
            named.append(_Named(line, ref, figures, error))  # looked up with the others after the last row
        elif error is not None:
            errors.add(line, error)
        elif draft_id is not None and figures is not None:
            pending.pop(draft_id, None)  # a later row for the same draft replaces an earlier one
            pending[draft_id] = (line, figures)
            outcome.rows += 1
    outcome.rows += _resolve_named(session, named, pending, errors)
    if not errors:
        _record_all(session, pending, now, errors)
    outcome.errors = errors.in_order()
    outcome.drafts = set(pending)
    return outcome


def _own_row_ref(draft_token: str, address: str) -> service.DraftRef:
    if draft_token:
        return service.draft_ref(draft_token, example="")
    if not address:
        raise BadInput("the row has neither a draft id nor a URL")
    return service.draft_ref(address, example="")


def _row_figures(row: list[object], layout: Layout, with_url: bool) -> tuple[service.Figures | None, str | None]:
    """The row's figures (and, for teambot's columns with both a draft and a link, where the
    draft was published), or what is wrong with them."""
    try:
        figures = _figures(row, layout)
        address = str(_cell(row, layout.address) or "")
        if with_url and parse_permalink(address) is None:
            figures.url = service.parse_url(address, example="")
    except BadInput as exc:
        return None, exc.message
    return figures, None


def _resolve_named(
    session: Session, named: list[_Named], pending: dict[int, tuple[int, service.Figures]], errors: _Errors
) -> int:
    """Look the drafts of `named` up together and merge their rows into `pending`, the last row of
    each draft winning; returns how many rows were good."""
    if not named:
        return 0
    found = service.find_drafts(session, [row.ref for row in named])
    merged = [(line, draft_id, figures) for draft_id, (line, figures) in pending.items()]
    good = 0
    for row in named:
        draft_id = found.get(row.ref)
        if draft_id is None:
            errors.add(row.line, row.ref.missing().message)
        elif row.error is not None:
            errors.add(row.line, row.error)
        elif row.figures is not None:
            merged.append((row.line, draft_id, row.figures))
            good += 1
    pending.clear()
    for line, draft_id, figures in sorted(merged, key=lambda m: m[0]):
        pending.pop(draft_id, None)
        pending[draft_id] = (line, figures)
    return good


def _record_all(
    session: Session, pending: dict[int, tuple[int, service.Figures]], now: datetime, errors: _Errors
) -> None:
    """Write every row's figures together (a fixed number of statements per few hundred drafts,
    none per row); a row whose address is already another draft's is reported at its line."""
    figures = {draft_id: given for draft_id, (_, given) in pending.items()}
    try:
        clashes = service.record_all(session, figures, now, source=MetricSource.IMPORT)
    except Conflict:
        lines = [line for line, _ in pending.values()]
        errors.add(
            min(lines),
            "figures for these drafts were recorded by someone else at the same moment; try again",
            lines=", ".join(str(line) for line in sorted(lines)[:5]) + (" …" if len(lines) > 5 else ""),
        )
        return
    for draft_id, clash in clashes.items():
        errors.add(pending[draft_id][0], f"draft #{draft_id}: {clash.message}")


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
    errors = _Errors()
    pending: dict[tuple[date, str], tuple[int | None, int | None]] = {}
    for line, row in _rows(table, errors):
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
            errors.add(line, exc.message)
            continue
        if (day, account) in pending:
            # Two rows for one day: the later one's figures win, as a second import's would.
            earlier_followers, earlier_mentions = pending[(day, account)]
            followers = followers if followers is not None else earlier_followers
            mentions = mentions if mentions is not None else earlier_mentions
        pending[(day, account)] = (followers, mentions)
        outcome.rows += 1
    outcome.errors = errors.in_order()
    if outcome.errors:
        return outcome
    # One batch of upserts: a day imported before keeps a figure this file leaves out (followers
    # from one tool, mentions from another).
    upsert_many(
        session,
        AccountDay,
        (
            {
                "day": day,
                "account": account,
                "followers": followers,
                "mentions": mentions,
                "recorded_at": now,
                "source": MetricSource.IMPORT,
            }
            for (day, account), (followers, mentions) in pending.items()
        ),
        keep_when_null=("followers", "mentions"),
    )
    outcome.accounts = {account for _, account in pending}
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
