"""The teambot command: db upgrade, export (JSON and CSV), and start-up errors."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import subprocess
import sys

import pytest

from bot.cli.main import HANDLERS, main
from bot.core import export
from bot.core.clock import utcnow
from bot.core.db import transaction
from bot.features.approvals import service as approvals
from tests.helpers import submit_draft


@pytest.fixture
def env(monkeypatch, runtime, settings, tmp_path):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    return runtime


def _seed(runtime):
    with transaction(runtime.session_factory) as session:
        approvals.approve(session, submit_draft(session, utcnow()), by="U0CONTENT", via="reaction", now=utcnow())


def test_db_upgrade_is_idempotent(env, capsys):
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_export_json_has_the_documented_shape(env, capsys):
    _seed(env)
    assert main(["export", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"drafts", "escalations", "handoffs", "ideas", "checklist_runs", "digests"}
    draft = data["drafts"][0]
    assert {"id", "channel", "ts", "author", "status", "steps", "history"} <= set(draft)
    assert draft["status"] == "pending"
    assert draft["steps"][0]["role"] == "content_manager" and draft["steps"][0]["approved_by"] == "U0CONTENT"
    assert draft["steps"][0]["approved_at"].endswith("+00:00")
    assert {"action", "by", "at", "via", "step", "note"} <= set(draft["history"][0])


def test_export_since_filters(env, capsys):
    _seed(env)
    main(["export", "--since", "2999-01-01"])
    assert json.loads(capsys.readouterr().out)["drafts"] == []


def test_export_csv_has_a_row_per_record(env, capsys, tmp_path):
    _seed(env)
    out = tmp_path / "export.csv"
    assert main(["export", "--format", "csv", "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    kinds = [r["kind"] for r in rows]
    assert kinds[:3] == ["draft", "draft_step", "draft_step"] and "draft_history" in kinds
    assert rows[1]["parent_id"] == rows[0]["id"]


def test_csv_kind_column_is_never_overwritten_by_a_record_field():
    data = {"handoffs": [{"id": 3, "kind": "manual", "from_user": "U0ANNA", "to_user": "U0BEN"}]}
    (row,) = csv.DictReader(io.StringIO(export.to_csv(data)))
    assert row["kind"] == "handoff" and row["handoff_kind"] == "manual" and row["id"] == "3"


def test_run_without_token_is_one_line_naming_it(env, capsys):
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "SLACK_BOT_TOKEN" in err and "manifest.yml" in err


def test_bad_database_url_is_one_line_without_the_password(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://user:hunter2@127.0.0.1:1/nope")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("teambot: DATABASE_URL") and "hunter2" not in err and err.count("\n") == 0


def test_bad_config_stops_run(env, monkeypatch, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[channels]\ndrafts = "C0DRAFTS"\n', encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("TEAMBOT_CONFIG", str(bad))
    assert main(["run"]) == 2
    assert "channels.escalations: missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("month", "says"),
    [("9999-12", "between 1970-01 and 9998-12"), ("0001-01", "between 1970-01"), ("2026-13", "is not a month")],
)
def test_digest_month_out_of_range_is_one_line(env, capsys, month, says):
    with pytest.raises(SystemExit) as stopped:
        main(["digest", "--month", month, "--dry-run"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_export_ics_prints_the_calendar_and_keeps_its_events(env, capsys, tmp_path):
    from datetime import timedelta

    from icalendar import Calendar
    from sqlalchemy import select

    from bot.features.calendar.models import KeptEvents, Plan

    with transaction(env.session_factory) as session:
        draft = submit_draft(session, utcnow(), text="[instagram] Launch, day 1; <!channel>")
        session.add(
            Plan(
                draft_id=draft.id,
                accounts="instagram,x",
                slot=utcnow() + timedelta(days=2),
                summary="Launch, day 1; &lt;!channel&gt;",
                planned_by="U0ANNA",
                planned_at=utcnow(),
            )
        )
    assert main(["export", "--format", "ics"]) == 0
    printed = capsys.readouterr().out
    events = {str(e["uid"]): str(e["summary"]) for e in Calendar.from_ical(printed).walk("VEVENT")}
    assert events == {
        f"draft-{draft.id}-instagram@teambot": f"[instagram] #{draft.id} Launch, day 1; <!channel>",
        f"draft-{draft.id}-x@teambot": f"[x] #{draft.id} Launch, day 1; <!channel>",
    }
    with env.session_factory() as session:
        assert session.scalars(select(KeptEvents.source)).all() == [f"draft-{draft.id}"]
    out = tmp_path / "calendar.ics"
    assert main(["export", "--format", "ics", "--output", str(out)]) == 0
    assert out.read_bytes() == printed.encode()


def test_export_shows_peoples_text_as_written(env, capsys):
    with transaction(env.session_factory) as session:
        draft = submit_draft(session, utcnow(), text="Q&amp;A")
        draft.published_url = "https://www.instagram.com/p/abc?x=1&amp;y=2"  # stored as Slack gives it
        note = "R&amp;D &amp;amp; co &lt;b&gt; <@U0BEN>"
        approvals.approve(session, draft, by="U0CONTENT", via="command", now=utcnow(), note=note)
    assert main(["export", "--format", "json"]) == 0
    [draft] = json.loads(capsys.readouterr().out)["drafts"]
    as_written = "R&D &amp; co <b> <@U0BEN>"
    assert draft["steps"][0]["note"] == as_written and draft["history"][0]["note"] == as_written
    assert draft["published_url"] == "https://www.instagram.com/p/abc?x=1&y=2"


def test_export_also_holds_figures_roles_and_shift_notes_for_a_backup(env, capsys, tmp_path):
    from bot.features.metrics import service as metrics
    from bot.features.roles import service as roles
    from bot.features.shifts import service as shifts

    with transaction(env.session_factory) as session:
        draft = submit_draft(session, utcnow())
        metrics.record(session, draft, metrics.Figures(1000, 50, 7), utcnow(), by="U0ANA", source="command")
        roles.add(session, "U0NEW", "analyst", by="U0STRAT", now=utcnow())
        shifts.add_note(session, "support", "U0BEN", "Waiting for the customer &amp; legal", utcnow())
    assert main(["export"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["post_metrics"] == [
        {
            "draft_id": draft.id,
            "impressions": 1000,
            "engagements": 50,
            "clicks": 7,
            "engagement_rate": 0.05,
            "source": "command",
            "recorded_by": "U0ANA",
            "recorded_at": data["post_metrics"][0]["recorded_at"],
        }
    ]
    assert {"role": "analyst", "user": "U0NEW", "added_by": "U0STRAT"} in [
        {k: r[k] for k in ("role", "user", "added_by")} for r in data["roles"]
    ]
    assert [n["text"] for n in data["shift_notes"]] == ["Waiting for the customer & legal"]
    out = tmp_path / "all.csv"
    assert main(["export", "--format", "csv", "--output", str(out)]) == 0
    kinds = {row["kind"] for row in csv.DictReader(out.open())}
    assert {"post_metric", "role", "shift_note"} <= kinds


def test_reading_commands_never_create_a_database_at_a_mistyped_path(monkeypatch, capsys, tmp_path):
    missing = tmp_path / "typo" / "teambot.db"
    (tmp_path / "typo").mkdir()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    csv_file = tmp_path / "m.csv"
    csv_file.write_text("draft_id,impressions,engagements\n1,1,1\n", encoding="utf-8")
    for command in (
        ["export"],
        ["export", "--format", "ics"],
        ["digest", "--dry-run", "--month", "2026-01"],
        ["import-metrics", str(csv_file)],
    ):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.strip().count("\n") == 0
        assert "DATABASE_URL: there is no database at that path yet" in err
    assert not missing.exists()


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.strip() == "teambot 0.1.0"


@pytest.mark.parametrize("command", [["db", "upgrade"], ["export"], ["digest", "--dry-run"]])
def test_commands_on_an_up_to_date_database_print_no_migration_lines(env, caplog, command, monkeypatch, tmp_path):
    monkeypatch.setenv("TEAMBOT_CONFIG", "config/teambot.toml")
    caplog.set_level("INFO")
    assert main(command) == 0
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []


def test_a_database_behind_says_what_it_migrates(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    caplog.set_level("INFO")
    assert main(["db", "upgrade"]) == 0
    assert any("Running upgrade" in r.getMessage() for r in caplog.records if r.name.startswith("alembic"))


def test_export_ics_has_every_status_and_the_notes(env, capsys, monkeypatch):
    from datetime import date, timedelta

    from icalendar import Calendar

    from bot.core.config import Account
    from bot.features.calendar import service as calendar
    from tests.conftest import make_config

    monkeypatch.setenv("TEAMBOT_CONFIG", "config/teambot.toml")
    config = make_config(accounts=[{"name": "instagram"}, {"name": "x"}])
    now = utcnow()
    slot = now + timedelta(days=2)
    with transaction(env.session_factory) as session:
        draft = submit_draft(session, now, text="Winter &amp; snow")
        accounts = [Account(name="instagram"), Account(name="x")]
        calendar.plan(session, config, draft, accounts=accounts, slot=slot, by="U0ANNA", now=now)
        rejected = submit_draft(session, now, ts="1700000000.000200", text="Summer")
        calendar.plan(session, config, rejected, accounts=accounts[:1], slot=slot, by="U0ANNA", now=now)
        rejected.status = "rejected"
        day = date(2026, 12, 24)
        calendar.add_note(session, start=day, end=day, blackout=True, text="Quiet", by="U0STRAT", now=now)
    assert main(["export", "--format", "ics"]) == 0
    written = capsys.readouterr().out
    assert written.startswith("BEGIN:VCALENDAR\r\n")
    events = {str(e["uid"]): e for e in Calendar.from_ical(written).walk("VEVENT")}
    assert set(events) == {
        "draft-1-instagram@teambot",
        "draft-1-x@teambot",
        "draft-2-instagram@teambot",
        "note-1@teambot",
    }
    first = events["draft-1-instagram@teambot"]
    assert str(first["summary"]) == "[instagram] #1 Winter & snow" and str(first["status"]) == "TENTATIVE"
    assert first.decoded("dtstart") == slot.replace(microsecond=0)
    assert str(events["draft-2-instagram@teambot"]["status"]) == "CANCELLED"
    assert str(events["note-1@teambot"]["summary"]) == "⛔ Blackout: Quiet"


def test_a_database_of_a_newer_teambot_is_one_line(tmp_path, monkeypatch, capsys):
    from sqlalchemy import text

    from bot.core.db import make_engine

    url = f"sqlite:///{tmp_path / 'newer.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    capsys.readouterr()
    assert main(["export"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("teambot: DATABASE_URL: the database's schema is not one this teambot knows")
    assert "\n" not in err


def test_an_export_whose_reader_went_away_stops_quietly(env, settings):
    # `teambot export | head`: the reader has gone by the time the output is written (its end of
    # the pipe is closed before teambot starts, so the timing cannot vary).
    _seed(env)
    read_end, write_end = os.pipe()
    os.close(read_end)
    command = [sys.executable, "-m", "bot", "export", "--format", "json"]
    child_env = {**os.environ, "DATABASE_URL": settings.database_url}
    try:
        child = subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, env=child_env, check=False)
    finally:
        os.close(write_end)
    err = child.stderr.decode()
    assert child.returncode == 1
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


def _modules_loaded_by(argv: list[str], env: dict[str, str] | None = None) -> set[str]:
    """The modules a new process has imported once `teambot ARGV` is done."""
    probe = (
        "import sys\n"
        "from bot.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('@@', ' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    [line] = [line for line in done.stdout.splitlines() if line.startswith("@@ ")]
    return set(line.split()[1:])


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m in ("bot.app", "slack_bolt", "slack_sdk", "alembic", "mako", "matplotlib")}


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["export", "--help"], ["run", "--help"]])
def test_the_version_and_help_load_neither_the_app_nor_slack_nor_alembic(argv):
    loaded = _modules_loaded_by(argv)
    assert "bot.cli.main" in loaded
    assert _heavy(loaded) == set()
    assert "sqlalchemy" not in loaded


def test_the_calendar_file_on_an_up_to_date_database_loads_neither_the_app_nor_slack_nor_alembic(env, settings):
    import os

    assert main(["db", "upgrade"]) == 0
    loaded = _modules_loaded_by(["export", "--format", "ics"], {**os.environ, "DATABASE_URL": settings.database_url})
    assert "bot.features.calendar.ics" in loaded
    assert _heavy(loaded) == set()
    # The records need every feature (what each adds to a draft): the app, still without Alembic.
    loaded = _modules_loaded_by(["export"], {**os.environ, "DATABASE_URL": settings.database_url})
    assert "bot.app" in loaded and "alembic" not in loaded


def test_every_subcommand_has_a_handler_and_is_listed_in_the_help(capsys):
    for module, name in HANDLERS.values():
        assert callable(getattr(importlib.import_module(module), name)), (module, name)
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for command in {key.split()[0] for key in HANDLERS}:
        assert f"    {command} " in listed or f"    {command}\n" in listed, command
    for group, sub in (("db", "upgrade"), ("config", "export")):
        with pytest.raises(SystemExit):
            main([group, "--help"])
        assert f"    {sub} " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["export"], "[--format {json,csv,ics}] [--since DATE]"),
        (["digest"], "[--month YYYY-MM] [--dry-run]"),
        (["report"], "[--week YYYY-Www] [--dry-run] [--chart FILE.png]"),
        (["import-metrics"], "import-metrics [-h] FILE"),  # a CSV or an .xlsx
        (["run"], "[--port PORT]"),
    ],
)
def test_each_commands_usage_names_its_options_as_the_documentation_does(capsys, argv, usage):
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    help_text = capsys.readouterr().out
    assert usage in " ".join(help_text.split())
