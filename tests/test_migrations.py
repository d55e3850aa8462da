"""The migrations build exactly the schema the models describe, so the store never drifts from the
code (PostgreSQL enforces every column type and length)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bot.app  # noqa: F401  (importing the app registers every feature's tables)
from bot.core.orm import Base
from tests.conftest import throwaway_postgres_database

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

    from bot.core.db import make_engine
    from bot.core.migrate import alembic_config

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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """A database no migration has run on yet, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'older.db'}"
        return
    with throwaway_postgres_database("teambot_migration") as url:
        yield url


AT = datetime(2026, 1, 1, tzinfo=UTC)


def _at_revision(url: str, revision: str):  # type: ignore[no-untyped-def]
    """An engine on an empty database migrated up to `revision`, and its Alembic config."""
    from alembic import command

    from bot.core.db import make_engine
    from bot.core.migrate import alembic_config

    engine = make_engine(url)
    config = alembic_config(engine)
    command.upgrade(config, revision)
    return engine, config


def _old_drafts(ids, **fields) -> list[dict]:  # type: ignore[no-untyped-def]
    """`drafts` rows as an older schema takes them (every column written out)."""
    row = {"channel": "C0DRAFTS", "author": "U0BEN", "text": "x", "files_signature": "", "status": "pending"}
    row |= {"current_step": 0, "current_role": "strategist", "chain": "strategist"}
    row |= {"created_at": AT, "updated_at": AT, "step_started_at": AT}
    return [{"id": n, "ts": f"1700000000.00000{n}", **row, **fields} for n in ids]


def test_0017_links_the_drafts_that_already_name_an_idea_and_goes_back_down(empty_database_url):
    from alembic import command
    from sqlalchemy import MetaData, Table, inspect, text

    engine, config = _at_revision(empty_database_url, "0016")
    with engine.begin() as connection:
        ideas = Table("ideas", MetaData(), autoload_with=connection)
        drafts = Table("drafts", MetaData(), autoload_with=connection)
        idea = {"author": "U0ANNA", "submitted_by": "U0ANNA", "text": "x", "status": "accepted", "created_at": AT}
        connection.execute(ideas.insert(), [{"id": 1, **idea}, {"id": 2, **idea}])
        texts = ["For IDEA #2 and idea #1", "about idea #9 only", "no idea #", "idea#1"]
        connection.execute(
            drafts.insert(),
            [{**row, "text": words} for row, words in zip(_old_drafts(range(1, 5)), texts, strict=True)],
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        links = connection.execute(text("SELECT draft_id, idea_id FROM idea_drafts ORDER BY draft_id")).all()
    assert [tuple(link) for link in links] == [(1, 2), (4, 1)]
    command.downgrade(config, "0016")
    inspector = inspect(engine)
    assert "idea_drafts" not in inspector.get_table_names()
    assert "owner" not in {column["name"] for column in inspector.get_columns("ideas")}
    command.upgrade(config, "head")
    engine.dispose()


def test_0019_counts_the_posts_already_explained_as_their_reports_standouts(empty_database_url):
    from alembic import command
    from sqlalchemy import MetaData, Table, inspect, text

    engine, config = _at_revision(empty_database_url, "0018")
    with engine.begin() as connection:
        drafts = Table("drafts", MetaData(), autoload_with=connection)
        connection.execute(drafts.insert(), _old_drafts((1, 2), status="approved"))
        connection.execute(
            Table("weekly_reports", MetaData(), autoload_with=connection).insert(),
            [{"week": "2026-W01", "posted_at": AT}],
        )
        connection.execute(
            Table("report_explanations", MetaData(), autoload_with=connection).insert(),
            [{"week": "2026-W01", "draft_id": 2, "author": "U0BEN", "text": "timing", "answered_at": AT}],
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT week, draft_id, author FROM report_standouts")).all()
    assert [tuple(row) for row in rows] == [("2026-W01", 2, "U0BEN")]
    command.downgrade(config, "0018")
    assert "report_standouts" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    engine.dispose()


def test_0021_gives_each_client_approver_of_a_plan_a_row_and_goes_back_down(empty_database_url):
    from alembic import command
    from sqlalchemy import MetaData, Table, text

    engine, config = _at_revision(empty_database_url, "0020")
    with engine.begin() as connection:
        drafts = Table("drafts", MetaData(), autoload_with=connection)
        plans = Table("calendar_plans", MetaData(), autoload_with=connection)
        connection.execute(
            drafts.insert(),
            _old_drafts((1, 2), channel="C0NW", author="U0ANNA", current_role="client", chain="client,strategist"),
        )
        plan = {"summary": "", "links": "", "planned_by": "U0ANNA", "planned_at": AT}
        connection.execute(
            plans.insert(),
            [
                {"draft_id": 1, "accounts": "nw", "brand": "northwind", "client_approvers": "U0CLIENT,U0BOSS", **plan},
                {"draft_id": 2, "accounts": "ig", "brand": "", "client_approvers": "", **plan},
            ],
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT draft_id, user_id, position FROM calendar_client_approvers ORDER BY position")
        ).all()
    assert [tuple(row) for row in rows] == [(1, "U0CLIENT", 0), (1, "U0BOSS", 1)]
    command.downgrade(config, "0020")
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT draft_id, client_approvers FROM calendar_plans ORDER BY draft_id")).all()
    assert [tuple(row) for row in kept] == [(1, "U0CLIENT,U0BOSS"), (2, "")]
    command.upgrade(config, "head")
    engine.dispose()


def test_the_revision_the_code_needs_is_the_one_head_of_the_scripts():
    from alembic.script import ScriptDirectory

    from bot.core import schema
    from bot.core.db import make_engine
    from bot.core.migrate import alembic_config

    engine = make_engine("sqlite://")
    assert schema.heads() == set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    assert len(schema.heads()) == 1
    engine.dispose()
