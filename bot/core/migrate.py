"""Applying the migrations with Alembic (imported here only: `bot.core.db` asks for it when the
database is behind the scripts)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from bot.core.errors import ConfigError
from bot.core.schema import migrations_dir

# PostgreSQL advisory lock key held while migrating ("teambot" in ASCII, as a bigint).
MIGRATION_LOCK_KEY = 0x74_65_61_6D_62_6F_74


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply pending migrations. Several processes starting at once on one PostgreSQL database
    (web replicas and the scheduler) take turns: the first migrates, the others find it done.
    On SQLite the migration's own BEGIN IMMEDIATE already serialises them."""
    try:
        if engine.dialect.name != "postgresql":
            command.upgrade(alembic_config(engine), "head")
            return
        with engine.connect() as lock:
            lock.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            try:
                command.upgrade(alembic_config(engine), "head")
            finally:
                lock.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
    except CommandError as exc:
        # Typically a database migrated by a newer teambot than this one.
        raise ConfigError(f"DATABASE_URL: the database's schema is not one this teambot knows ({exc})") from None
