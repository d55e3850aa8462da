"""The migrations build exactly the schema the models describe, so the store never drifts from the
code (PostgreSQL enforces every column type and length)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.models import Base

# SQLite does not enforce a VARCHAR's length, so migration 0005 leaves its column as it was.
SQLITE_ONLY = {("escalations", "link")}


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    changes = [change for group in diff for change in (group if isinstance(group, list) else [group])]
    if engine.dialect.name == "sqlite":
        changes = [c for c in changes if not (c[0] == "modify_type" and (c[2], c[3]) in SQLITE_ONLY)]
    assert changes == []
