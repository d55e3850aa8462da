"""The migrations build exactly the schema the models describe, so the store never drifts from the
code (PostgreSQL enforces every column type and length)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bot.app  # noqa: F401  (importing the app registers every feature's tables)
from bot.core.orm import Base

# SQLite does not enforce a VARCHAR's length, so migration 0005 leaves its column as it was.
SQLITE_ONLY = {("escalations", "link")}


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    changes = [change for group in diff for change in (group if isinstance(group, list) else [group])]
    if engine.dialect.name == "sqlite":
        changes = [c for c in changes if not (c[0] == "modify_type" and (c[2], c[3]) in SQLITE_ONLY)]
    assert changes == []


def test_0006_marks_the_votes_cast_before_it(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from bot.core.db import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'older.db'}")
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ideas (id, author, submitted_by, text, status, created_at) "
                "VALUES (1, 'U0ANNA', 'U0ANNA', 'x', 'open', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(text("INSERT INTO idea_votes VALUES (1, 'U0BEN', '2026-01-01 00:00:00')"))
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        marked = connection.execute(text("SELECT idea_id, user_id, reaction FROM idea_vote_reactions")).all()
    assert marked == [(1, "U0BEN", "")]
    engine.dispose()
