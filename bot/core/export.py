"""`teambot export`: every record, in the documented JSON shape (or flattened to CSV).

Each feature contributes one section through a function `(session, since) -> list[dict]` whose
values are JSON-ready (times already ISO 8601 with offset, via `iso`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bot.core.text import as_written

Section = Callable[[Session, datetime | None], list[dict[str, Any]]]


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def since_filter(query: Select[Any], column: Any, since: datetime | None) -> Select[Any]:
    """`query` kept to rows whose `column` is on or after `since` (`--since`); all rows without it."""
    return query if since is None else query.where(column >= since)


# Fields holding people's text, stored in Slack's escaped form: a report shows them as written.
TEXT_FIELDS = frozenset(
    {"text", "note", "notes", "title", "network", "link", "published_url", "decline_reason", "resolution_note"}
    | {"account"}  # an account's name as a tool's export wrote it
    | {"reason", "summary"}  # a crisis's
)
# Kinds whose singular is not the name without its final "s".
_SINGULAR = {"crises": "crisis"}


def build(
    session: Session, sections: Mapping[str, Section], since: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    return {name: [_as_written(row) for row in section(session, since)] for name, section in sections.items()}


def _as_written(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if key in TEXT_FIELDS and isinstance(value, str):
            row[key] = as_written(value)
        elif isinstance(value, list):
            row[key] = [_as_written(item) if isinstance(item, dict) else item for item in value]
    return row


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_csv(data: dict[str, list[dict[str, Any]]]) -> str:
    """One CSV: a `kind` column, then the union of every kind's columns. Nested lists (a draft's
    steps and history, a checklist run's items) become rows of their own kind with a parent id. A
    record's own field named like those columns (a handoff's `kind`) is prefixed with its kind."""
    rows: list[dict[str, Any]] = []
    for kind, records in data.items():
        singular = _SINGULAR.get(kind, kind.removesuffix("s"))
        for record in records:
            flat: dict[str, Any] = {"kind": singular}
            children: list[dict[str, Any]] = []
            for key, value in record.items():
                if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
                    # A list of names (a draft's accounts) is one cell.
                    flat[_column(singular, key)] = ", ".join(str(item) for item in value)
                elif isinstance(value, list):
                    child_kind = f"{singular}_{key.removesuffix('s')}"
                    for child in value:
                        cells = {_column(child_kind, k): _cell(v) for k, v in child.items()}
                        children.append({"kind": child_kind, "parent_id": record.get("id"), **cells})
                else:
                    flat[_column(singular, key)] = _cell(value)
            rows.append(flat)
            rows.extend(children)
    columns: list[str] = ["kind"]
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _column(kind: str, key: str) -> str:
    return f"{kind}_{key}" if key in ("kind", "parent_id") else key


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value
