"""Fixtures: a real database (SQLite file, and PostgreSQL when reachable), the fake Slack Web API,
the real Bolt app with request verification on, and a driver sending signed requests to it.

Every test that takes `runtime` (or anything built on it) runs once per backend. PostgreSQL cases
use a throw-away database created for the test session on TEAMBOT_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); they are skipped, with the reason, when no
server answers, unless TEAMBOT_REQUIRE_POSTGRES=1 (as in .ci/run), which makes that a failure."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import freezegun
import psycopg  # noqa: F401  (loaded before a test freezes the clock: its C part checks datetime's size)
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.core.config import TeamConfig
from bot.core.db import make_engine, upgrade
from bot.core.env import Settings
from bot.outbox.sender import OutboxSender
from bot.slack.runtime import Runtime, make_client
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fake_slack import BOT_ID, BOT_USER, FakeSlack, start_fake_slack
from tests.helpers import MONDAY_10

# pytest's own timing (--durations, the junit times) reads the real clock, not a frozen one.
freezegun.configure(extend_ignore_list=["_pytest.timing"])

PG_URL = os.environ.get("TEAMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("TEAMBOT_REQUIRE_POSTGRES") == "1"
BOT_TOKEN = "xoxb-test-token"

BASE_CONFIG = {
    "timezone": "Europe/Budapest",
    "channels": {
        "drafts": "C0DRAFTS",
        "escalations": "C0ESCALATE",
        "ideas": "C0IDEAS",
        "checklists": "C0CHECKLIST",
        "digest": "C0STAFF",
    },
    "roles": {
        "strategist": ["U0STRAT"],
        "content_manager": ["U0CONTENT"],
        "community_manager": ["U0COMMUNITY"],
        "coordinator": ["U0COORD"],
    },
    "teams": {
        "support": {"lead": "U0LEAD", "members": ["U0ANNA", "U0BEN"], "channel": "C0SUPPORT"},
        "pr": {"lead": "U0PRLEAD", "members": ["U0PAT"], "channel": "C0PR"},
    },
    "shifts": [
        {
            "team": "support",
            "name": "weekday",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "09:00",
            "end": "17:00",
            "members": ["U0ANNA", "U0BEN"],
        },
    ],
    "digest": {"leaders": ["U0CEO"]},
    # Reminders before each shift (on by default) would add DMs to every test that counts a
    # person's messages; tests/test_shift_care.py turns them on.
    "shifts_reminder": {"days_before": 0},
}


def make_config(**overrides: object) -> TeamConfig:
    data = {**BASE_CONFIG, **overrides}
    return TeamConfig.model_validate(data)


# -- databases ----------------------------------------------------------------------------------
def _pg_admin_engine() -> Engine | None:
    try:
        engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return engine
    except OperationalError:
        return None


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "teambot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@contextmanager
def throwaway_postgres_database(prefix: str, skip_reason: str = "PostgreSQL cases skipped") -> Iterator[str]:
    """A new PostgreSQL database for a test run, dropped afterwards; skips (or, with
    TEAMBOT_REQUIRE_POSTGRES=1, fails) when no server answers. Yields its URL."""
    admin = _pg_admin_engine()
    if admin is None:
        message = f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string(hide_password=True)}"
        if REQUIRE_PG:
            pytest.fail(message + " (TEAMBOT_REQUIRE_POSTGRES=1)")
        pytest.skip(f"{message}; {skip_reason}")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    with throwaway_postgres_database("teambot_test") as url:
        engine = make_engine(url, pool_size=20)
        upgrade(engine)
        yield engine
        engine.dispose()


def _empty(engine: Engine) -> None:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            if "sqlite_sequence" in {
                r[0] for r in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            }:
                connection.execute(text("DELETE FROM sqlite_sequence"))
            connection.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    _empty(engine)
    return engine


# -- Slack ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _fake_slack_server() -> FakeSlack:
    return start_fake_slack()


@pytest.fixture
def slack(_fake_slack_server: FakeSlack) -> FakeSlack:
    _fake_slack_server.reset()
    return _fake_slack_server


@pytest.fixture
def config() -> TeamConfig:
    """The team config for a test; override this fixture in a module to change it."""
    return make_config()


@pytest.fixture
def settings(slack: FakeSlack, engine: Engine) -> Settings:
    return Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.url,
        database_url=engine.url.render_as_string(hide_password=False),
    )


@pytest.fixture
def runtime(settings: Settings, config: TeamConfig, engine: Engine) -> Runtime:
    from bot.core.db import make_session_factory, transaction
    from bot.features.settings import service as settings_service

    runtime = Runtime(
        settings, config, engine, make_session_factory(engine), make_client(BOT_TOKEN, settings.slack_api_url)
    )
    # What `teambot run` learns from auth.test at start-up, before it serves a request.
    runtime.identity.remember({"user_id": BOT_USER, "bot_id": BOT_ID})
    with transaction(runtime.session_factory) as session:
        settings_service.seed_roles(session, config.roles, _now())
    return runtime


def _now():  # type: ignore[no-untyped-def]
    from bot.core.clock import utcnow

    return utcnow()


@pytest.fixture
def sender(runtime: Runtime) -> OutboxSender:
    return OutboxSender(runtime.session_factory, runtime.client, owner="test")


@pytest.fixture
def driver(runtime: Runtime, sender: OutboxSender) -> SlackDriver:
    return SlackDriver(create_app(runtime), sender)


@pytest.fixture
def frozen() -> Iterator[freezegun.api.FrozenDateTimeFactory]:
    """The clock stopped at MONDAY_10; move it with `frozen.tick(...)`, `frozen.move_to(...)` or
    `helpers.tick(..., clock=frozen)`."""
    with freezegun.freeze_time(MONDAY_10) as clock:
        yield clock
