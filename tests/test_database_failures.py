"""A database that cannot save: read-only, a full disk, a SQLite file deleted under the running
bot. A command is told plainly that nothing changed, an event is left for Slack to deliver again
(and then counts once), the log has one line (no traceback), and nothing is acknowledged as done
that was not kept. `/healthz` says 503 when the file is gone."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.features.approvals.models import Draft
from bot.features.ideas.models import Idea
from bot.outbox.sender import OutboxSender
from bot.slack.http import wsgi_app
from bot.slack.ids import ViewId
from bot.slack.outage import COULD_NOT_SAVE, COULD_NOT_SAVE_SHORT
from bot.slack.runtime import Runtime, make_client
from tests.conftest import BOT_TOKEN
from tests.driver import SIGNING_SECRET, SlackDriver

DRAFTS = "C0DRAFTS"


def _driver_on(engine: Engine, runtime: Runtime) -> SlackDriver:
    """The bot as it runs, on `engine` instead of the test's own engine (the outbox is drained
    from the test's engine: what the bot on `engine` queued, if anything)."""
    on = Runtime(
        runtime.settings,
        runtime.config,
        engine,
        make_session_factory(engine),
        make_client(BOT_TOKEN, runtime.settings.slack_api_url),
    )
    return SlackDriver(create_app(on), OutboxSender(runtime.session_factory, on.client, owner="test"))


def _second_engine(engine: Engine, on_connect: Callable[[object], None] | None = None) -> Engine:
    second = make_engine(engine.url.render_as_string(hide_password=False))
    if on_connect is not None:
        event.listen(second, "connect", lambda dbapi_connection, _record: on_connect(dbapi_connection))
    return second


def _read_only(dbapi_connection) -> None:
    cursor = dbapi_connection.cursor()
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor.execute("PRAGMA query_only = ON")
    else:
        cursor.execute("SET default_transaction_read_only = on")
        dbapi_connection.commit()
    cursor.close()


def _counts(runtime) -> tuple[int, int]:
    with runtime.session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Idea)),
            session.scalar(select(func.count()).select_from(Draft)),
        )


def _one_clear_line(caplog) -> None:
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "database unavailable" in lines[0].getMessage() and lines[0].exc_info is None


@pytest.fixture
def read_only(engine, runtime):
    broken = _second_engine(engine, _read_only)
    yield _driver_on(broken, runtime)
    broken.dispose()


def test_a_command_on_a_read_only_database_says_nothing_changed(read_only, runtime, caplog, slack):
    reply = read_only.send(*_command("/idea", "Film the support desk"), drain=False)
    assert reply.status == 200
    assert reply.json == {"response_type": "ephemeral", "text": COULD_NOT_SAVE}
    assert _counts(runtime) == (0, 0) and slack.posts() == []
    _one_clear_line(caplog)


def test_an_event_on_a_read_only_database_is_left_for_slack_to_retry(read_only, driver, runtime, caplog):
    new_draft = {"type": "message", "channel": DRAFTS, "user": "U0ANNA", "text": "Draft", "ts": "1700000000.000100"}
    reply = read_only.event(new_draft, event_id="EvDRAFT", drain=False)
    assert reply.status >= 500  # Slack delivers it again
    _one_clear_line(caplog)
    assert _counts(runtime) == (0, 0)
    # The database is writable again: Slack's retry is handled, once.
    assert driver.event(new_draft, event_id="EvDRAFT", retry_num=1).status == 200
    assert driver.event(new_draft, event_id="EvDRAFT", retry_num=2).status == 200
    assert _counts(runtime) == (0, 1)


def test_a_modal_on_a_read_only_database_shows_the_problem_in_the_form(read_only, runtime, caplog):
    values = {"title": {"value": {"type": "plain_text_input", "value": "An idea"}}}
    blocks = [{"type": "input", "block_id": "title"}]
    reply = read_only.submit_view(ViewId.IDEA, values, blocks=blocks)
    assert reply.status == 200
    assert reply.json == {"response_action": "errors", "errors": {"title": COULD_NOT_SAVE_SHORT}}
    assert _counts(runtime) == (0, 0)


def test_a_full_disk_is_a_clear_answer_not_a_raw_error(engine, runtime, caplog):
    full = _second_engine(engine)

    @event.listens_for(full, "before_cursor_execute")
    def _disk_full(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise OperationalError(statement, None, sqlite3.OperationalError("database or disk is full"))

    try:
        reply = _driver_on(full, runtime).send(*_command("/idea", "Film the support desk"), drain=False)
    finally:
        full.dispose()
    assert reply.status == 200 and reply.json["text"] == COULD_NOT_SAVE
    assert _counts(runtime) == (0, 0)
    _one_clear_line(caplog)


# -- a SQLite file deleted under the running bot ---------------------------------------------------
@pytest.fixture
def own_file(tmp_path, runtime):
    path = tmp_path / "teambot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield path, engine, _driver_on(engine, runtime)
    engine.dispose()


def _health(engine: Engine) -> tuple[str, dict]:
    app = wsgi_app(object(), engine, SIGNING_SECRET)  # type: ignore[arg-type]
    answer: list[str] = []
    body = app({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda status, _headers: answer.append(status))
    return answer[0], json.loads(b"".join(body))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_deleted_sqlite_file_is_refused_said_loudly_and_seen_by_the_health_check(own_file, caplog):
    path, engine, driver = own_file
    assert driver.send(*_command("/idea", "Before"), drain=False).json["text"] != COULD_NOT_SAVE
    assert _health(engine)[0] == "200 OK"
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()  # an operator cleaning up, a container volume lost

    reply = driver.send(*_command("/idea", "After the deletion"), drain=False)
    assert reply.json["text"] == COULD_NOT_SAVE
    assert (
        driver.event(
            {"type": "message", "channel": DRAFTS, "user": "U0ANNA", "text": "Draft", "ts": "1700000000.000100"},
            drain=False,
        ).status
        >= 500
    )
    status, body = _health(engine)
    assert status.startswith("503") and body["status"] == "error"
    loud = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(loud) == 1 and "was deleted or replaced" in loud[0].getMessage() and str(path) in loud[0].getMessage()
    assert not path.exists()  # no empty database quietly put in its place


def _command(name: str, text: str) -> tuple[str, dict[str, str]]:
    from urllib.parse import urlencode

    from tests.driver import TEAM, signed_headers

    body = urlencode(
        {
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "user_id": "U0ANNA",
            "command": name,
            "text": text,
            "response_url": "https://hooks.slack.test/r",
            "trigger_id": "t",
        }
    )
    return body, signed_headers(body)
