"""Engine, sessions and migrations."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event, func, inspect, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.core import deadline, schema

log = logging.getLogger("teambot")
SQLITE_BUSY_TIMEOUT_MS = 15_000
UPSERT_BATCH = 5_000


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = _sqlite_file(parsed) is None
        # Every SQLite transaction holds the one write lock (BEGIN IMMEDIATE below), so a file
        # database gets one pooled connection: threads then queue in the pool and are woken as soon
        # as it is free, instead of polling SQLite's busy handler (whose sleeps of up to 100 ms
        # made the slowest acknowledgements several times slower under concurrent load).
        pool = {} if in_memory else {"pool_size": 1, "max_overflow": 0, "pool_timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **pool,
        )
        _configure_sqlite(engine, in_memory=in_memory)
        if not in_memory:
            _refuse_a_vanished_file(engine, str(_sqlite_file(parsed)))
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=POSTGRES_CONNECT_ARGS,
    )
    _bound_postgres_waits(engine)
    return engine


# A server that does not answer: a new connection gives up after CONNECT_TIMEOUT_SECONDS (libpq's
# smallest useful value), a request waits at most POOL_TIMEOUT_SECONDS for a pooled connection,
# and an open connection whose peer vanished (a partition: nothing acknowledges what is sent) is
# dropped by TCP after about 30 s, so the outbox sender and jobs are not stuck for TCP's default
# quarter of an hour. Requests are bounded tighter by `bot.core.deadline`.
CONNECT_TIMEOUT_SECONDS = 2
POOL_TIMEOUT_SECONDS = 2.0
POSTGRES_CONNECT_ARGS = {
    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


def _bound_postgres_waits(engine: Engine) -> None:
    """Pooled connections are checked before use (as `pool_pre_ping` would), and every wait on the
    server is watched against the bound of the thread waiting (`bot.core.deadline`)."""
    watchdog = deadline.Watchdog()

    def dbapi(connection: Any) -> Any:
        return connection.connection.dbapi_connection

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["teambot_fresh"] = True

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop("teambot_fresh", False):
            return
        watchdog.waiting(dbapi_connection)
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if watchdog.done(dbapi_connection):
                # The server does not answer: no new connection is tried within this request.
                raise OperationalError("SELECT 1", None, exc) from exc
            # A connection the server closed (a restart): the pool replaces it and tries again.
            raise DisconnectionError(f"pooled connection lost: {exc.__class__.__name__}") from exc
        watchdog.done(dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(connection: Any, *_args: Any) -> None:
        watchdog.waiting(dbapi(connection))

    @event.listens_for(engine, "after_cursor_execute")
    def _statement_done(connection: Any, *_args: Any) -> None:
        watchdog.done(dbapi(connection))

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ending(connection: Any) -> None:
        watchdog.waiting(dbapi(connection))

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        if context.connection is not None and context.connection.connection is not None:
            with contextlib.suppress(Exception):
                watchdog.done(dbapi(context.connection))

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "reset")
    def _returned(dbapi_connection: Any, *_args: Any) -> None:
        if dbapi_connection is not None:
            watchdog.done(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def _invalidated(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        if dbapi_connection is not None:
            watchdog.done(dbapi_connection)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE below is honoured.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes SQLite's write lock up front: a read-then-write transaction can
        # then never fail half-way because another writer committed in between.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_a_vanished_file(engine: Engine, path: str) -> None:
    """A SQLite file deleted (or replaced) under a running teambot: SQLite goes on writing to the
    deleted file, so everything would be acknowledged and then lost at the next start. Every
    transaction first checks that the file is still the one opened; if not, it is refused (and
    said loudly, at most once a minute) until teambot is restarted with the file restored."""
    opened: dict[str, tuple[int, int]] = {}
    said = [0.0]

    @event.listens_for(engine, "connect", insert=True)
    def _remember(_dbapi_connection: Any, _record: Any) -> None:
        identity = _file_identity(path)
        if identity is not None:
            opened.setdefault("file", identity)

    @event.listens_for(engine, "begin", insert=True)
    def _still_there(_connection: Any) -> None:
        if "file" in opened and _file_identity(path) != opened["file"]:
            import sqlite3

            problem = f"the database file {path} was deleted or replaced while teambot was running"
            if time.monotonic() - said[0] >= 60 or not said[0]:
                said[0] = time.monotonic()
                log.critical(
                    "%s: nothing can be saved; restore the file (or restart teambot on it) now, "
                    "everything saved since it was deleted is in the deleted file only",
                    problem,
                )
            raise OperationalError("BEGIN", None, sqlite3.OperationalError(problem))


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def open_database(url: str) -> Engine:
    """The engine for DATABASE_URL with every migration applied. Whatever keeps the database from
    being used (a bad URL, a missing driver, a server that refuses, a file that is not a database)
    is one ConfigError; the URL itself is never shown, it may hold a password."""
    from bot.core.errors import ConfigError

    try:
        engine = make_engine(url)
        upgrade(engine)
    except (DBAPIError, ArgumentError, ModuleNotFoundError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] or exc.__class__.__name__
        if isinstance(exc, ModuleNotFoundError) or "Can't load plugin" in reason:
            reason = "teambot supports sqlite:///PATH and postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        raise ConfigError(f"DATABASE_URL: cannot use the database ({reason})") from None
    return engine


NO_DATABASE = "there is no database at that path yet (`teambot run` or `teambot db upgrade` creates it)"


def database_file_missing(url: str) -> bool:
    """A SQLite DATABASE_URL whose file does not exist (yet): `teambot run` or `teambot db upgrade`
    create it; commands that only read or add to the data (`export`, `digest`, `import-metrics`)
    must not, or a mistyped path would quietly give an empty export instead of an error."""
    try:
        path = _sqlite_file(make_url(url))
    except ArgumentError:
        return False  # open_database says what is wrong with it
    return path is not None and not Path(path).exists()


def _sqlite_file(parsed: URL) -> str | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error (for jobs and CLI commands)."""
    with factory() as session, session.begin():
        yield session


def insert_unless_present(session: Session, model: type[Any], **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING in one statement; True if the row was inserted. On
    PostgreSQL a concurrent insert of the same key waits for the other transaction, then yields."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    key = list(model.__table__.primary_key.columns)
    inserted = session.execute(insert(model).values(**values).on_conflict_do_nothing().returning(*key))
    return inserted.first() is not None


def upsert(session: Session, model: type[Any], **values: Any) -> None:
    """INSERT, or UPDATE the other columns of the row with the same primary key, in one statement."""
    statement = _upsert_statement(model.__table__, session.get_bind().dialect.name, tuple(sorted(values)), ())
    session.execute(statement, values)


def upsert_many(
    session: Session, model: type[Any], rows: Iterable[dict[str, Any]], *, keep_when_null: tuple[str, ...] = ()
) -> None:
    """`upsert` of many rows (all with the same keys, no primary key twice), sent in batches of
    `UPSERT_BATCH` (a batch's parameters are held whole while it is sent); a column named in
    `keep_when_null` keeps the stored value where the new row has NULL."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, UPSERT_BATCH)):
        statement = _upsert_statement(
            model.__table__, session.get_bind().dialect.name, tuple(sorted(batch[0])), tuple(sorted(keep_when_null))
        )
        session.execute(statement, batch)


@functools.cache
def _upsert_statement(table: Table, dialect: str, columns: tuple[str, ...], keep_when_null: tuple[str, ...]) -> Any:
    # Built once per table, backend and column set: on hot paths building the statement cost more
    # than running it.
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    key = [column.name for column in table.primary_key.columns]
    statement = insert(table)
    changes = {
        name: func.coalesce(statement.excluded[name], table.c[name])
        if name in keep_when_null
        else statement.excluded[name]
        for name in columns
        if name not in key
    }
    return statement.on_conflict_do_update(index_elements=key, set_=changes)


def one_of(column: Any, values: list[Any]) -> Any:
    """`column IN (values)` for a chunk of a long list, the values written into the statement
    (safely quoted by SQLAlchemy) rather than bound one parameter each. PostgreSQL cannot use an
    index or a hash for a list of hundreds of parameters once psycopg has prepared the statement
    (its fifth run) and the plan is generic: it compared every row with every parameter, 0.3-0.5 s
    a chunk on 20,000 drafts. Written in, each chunk is a statement of its own and planned with
    its values; SQLite is indifferent."""
    return column.in_(bindparam(f"{column.key}_values", values, expanding=True, literal_execute=True))


def lock_name(session: Session, name: str) -> None:
    """Hold a lock on `name` until the transaction ends, for a rule the schema cannot enforce (two
    differently written URLs of one post). PostgreSQL: a transaction-scoped advisory lock on the
    name's hash; SQLite needs none, as each transaction there holds the one write lock."""
    lock_names(session, [name])


def lock_names(session: Session, names: Iterable[str]) -> None:
    """`lock_name` for many names in one batch, taken in one order (the keys', sorted) whatever
    the order given, so that two transactions locking overlapping sets cannot deadlock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(
        {int.from_bytes(hashlib.blake2b(n.encode(), digest_size=8).digest(), "big", signed=True) for n in names}
    )
    if keys:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), [{"key": key} for key in keys])


def pending_migrations(engine: Engine) -> bool:
    """Whether the database is not at the newest revision (read from alembic_version directly:
    asking Alembic itself logs its start-up lines)."""
    heads = schema.heads()
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return True
        current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return current != heads


def upgrade(engine: Engine) -> None:
    """Apply pending migrations (`bot.core.migrate`, which imports Alembic only when there are)."""
    if not pending_migrations(engine):
        # Alembic logs two INFO lines whenever it starts, even with nothing to do; the commands
        # run from cron (`export`, `digest`) stay quiet unless something is migrated.
        return
    from bot.core import migrate

    migrate.upgrade(engine)
