"""Alembic environment. teambot passes its engine in `config.attributes["engine"]`; the plain
`alembic` command line (alembic.ini) builds one from DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine

import bot.app  # noqa: F401  (importing the app registers every feature's tables)
from bot.core.orm import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations stay independent of the app's code: UTCDateTime is written as a plain DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///teambot.db"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        # With SQLAlchemy 2's explicit commits the migration is only kept once committed.
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `teambot db upgrade`")
run_migrations_online()
