"""Bad input at every slash command manifest.yml declares (SPEC "What bad input gets").

A fixed sweep sends each command and each of its sub-commands empty text, `help`, unknown words,
over-long text, control characters, `<!channel>`/`<!here>`, forged links, unknown users, ids past
32 bits and days that do not exist, and checks every answer: ephemeral, never an apology or a 5xx,
no broadcast reaching anyone unescaped, and a refusal says what was wrong, shows a correct example
and stores nothing. Property-based runs add arbitrary text on top."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, inspect, text

from tests.driver import Reply, SlackDriver
from tests.fake_slack import FakeSlack

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
DECLARED = [c["command"] for c in yaml.safe_load(MANIFEST.read_text())["features"]["slash_commands"]]

# Each command's sub-commands, split by what follows them: structured arguments (ids, people,
# dates, names) that bad input must never get past, or free text that is stored as typed.
STRUCTURED: dict[str, list[str]] = {
    "/team": ["", "add", "remove", "settings"],
    "/approve": [""],
    "/escalate": ["list", "ack", "resolve", "reassign"],
    "/shift": ["", "who", "start", "end", "swap", "away"],
    "/handoff": [""],
    "/idea": ["list", "assign"],
    "/checklist": ["", "post"],
    "/guide": [],
    "/meeting": [""],
    "/metrics": [""],
    "/calendar": ["", "next", "plan", "published", "note", "notes"],
    "/crisis": [""],
}
FREE_TEXT: dict[str, list[str]] = {
    "/escalate": ["", "support", "pr high"],
    "/shift": ["note"],
    "/idea": [""],
    "/guide": [""],
    "/meeting": ["update"],
    "/crisis": ["start", "update", "end"],
}
# Sub-commands whose `SUB help` answers how that sub-command works.
WITH_SUB_HELP: dict[str, list[str]] = {
    "/team": ["add", "remove", "settings"],
    "/escalate": ["list", "ack", "resolve", "reassign"],
    "/shift": ["who", "start", "end", "note", "swap", "away"],
    "/idea": ["list", "assign"],
    "/checklist": ["post"],
    "/meeting": ["update"],
    "/calendar": ["plan", "published", "note", "notes"],
    "/crisis": ["start", "update", "end"],
}

# Sub-commands that cannot do without their arguments.
NEEDS_ARGUMENTS: dict[str, list[str]] = {
    "/team": ["add", "remove"],
    "/escalate": ["ack", "resolve", "reassign"],
    "/shift": ["swap", "away"],
    "/idea": ["assign"],
    "/checklist": ["post"],
    "/calendar": ["plan", "published", "note"],
}

GHOST = "U0GHOST"  # users.info answers user_not_found for this id
BAD_ARGUMENTS = [
    "frobnicate",
    "x" * 4000,
    "a\x00b\x07\x1b[31m\u202e\u200b",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0123|@team>",
    "<https://evil.example|https://good.example>",
    f"<@{GHOST}>",
    "4294967296",
    "#99999999999999999999",
    "2026-02-30",
]
# Unknown people where a command names one, after valid arguments (escalation #1 and idea #1
# exist when these are sent), sent by someone allowed to do it.
UNKNOWN_PEOPLE = [
    ("/handoff", f"<@{GHOST}> notes", "U0ANNA"),
    ("/team", f"add <@{GHOST}> strategist", "U0STRAT"),
    ("/team", f"remove <@{GHOST}> strategist", "U0STRAT"),
    ("/escalate", f"reassign 1 <@{GHOST}>", "U0LEAD"),
    ("/idea", f"assign 1 <@{GHOST}>", "U0CONTENT"),
    ("/shift", f"swap 2026-12-10 <@{GHOST}>", "U0ANNA"),
]
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam")
FORGED = "|https://good.example>"
APOLOGY = "Sorry"


def test_every_declared_command_is_swept() -> None:
    assert set(DECLARED) == set(STRUCTURED) | set(FREE_TEXT)


class Rows:
    """Row counts of every table, read on a connection of its own: what a request stored."""

    def __init__(self, engine: Engine):
        self.engine = create_engine(engine.url)
        tables = [t for t in inspect(self.engine).get_table_names() if t not in ("alembic_version", "processed_events")]
        self.query = text(" UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables))

    def __call__(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {name: count for name, count in connection.execute(self.query)}


def _check_safe(reply: Reply, slack: FakeSlack, sent_before: int, caplog: pytest.LogCaptureFixture, what: str) -> str:
    assert reply.status == 200, what
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, (what, errors)
    sent = "\n".join(call.all_text() for call in slack.calls[sent_before:])
    for broadcast in BROADCASTS:
        assert broadcast not in reply.body, what
        assert broadcast not in sent, what
    assert FORGED not in reply.body and FORGED not in sent, what
    if not reply.body:
        # An empty acknowledgement only when a form opened instead.
        assert any(call.method == "views.open" for call in slack.calls[sent_before:]), what
        return ""
    assert reply.json.get("response_type") == "ephemeral", what
    answer = reply.json.get("text", "")
    assert APOLOGY not in answer, what
    return answer


def _refused(
    driver: SlackDriver, slack: FakeSlack, rows: Rows, caplog, command: str, text_: str, user: str = "U0STRAT"
) -> None:
    what = f"{command} {text_[:80]!r}"
    before, sent_before = rows(), len(slack.calls)
    caplog.clear()
    reply = driver.command(command, text_, user=user)
    answer = _check_safe(reply, slack, sent_before, caplog, what)
    assert re.search(rf"Example: `{re.escape(command)}\b", answer), (what, answer)
    assert answer.split("\nExample:")[0].strip(), what
    assert rows() == before, (what, answer)
    return answer


def _accepted_or_refused(driver: SlackDriver, slack: FakeSlack, rows: Rows, caplog, command: str, text_: str) -> None:
    """Free text: stored (escaped wherever it is shown), or refused the way refusals are."""
    what = f"{command} {text_[:80]!r}"
    before, sent_before = rows(), len(slack.calls)
    caplog.clear()
    reply = driver.command(command, text_, user="U0STRAT")
    answer = _check_safe(reply, slack, sent_before, caplog, what)
    if "\nExample: `" in answer:
        assert rows() == before, (what, answer)


@pytest.fixture
def rows(engine: Engine) -> Rows:
    return Rows(engine)


@pytest.mark.parametrize("command", DECLARED)
def test_help_names_the_command_and_shows_examples(driver, slack, caplog, rows, command):
    caplog.set_level(logging.ERROR)
    for text_ in ["help", "HELP", *(f"{sub} help" for sub in WITH_SUB_HELP.get(command, []))]:
        what = f"{command} {text_}"
        before, sent_before = rows(), len(slack.calls)
        caplog.clear()
        reply = driver.command(command, text_, user="U0STRAT")
        answer = _check_safe(reply, slack, sent_before, caplog, what)
        # Help, not a refusal of "help" as an argument.
        assert "\nExample: `" not in answer, (what, answer)
        shown = answer + reply.text
        assert command in shown, what
        assert re.search(rf"`{re.escape(command)} [^`]+`", shown), (what, shown[:300])
        assert rows() == before, what


@pytest.mark.parametrize("command", DECLARED)
def test_bad_arguments_are_refused_with_an_example(driver, slack, caplog, rows, command):
    caplog.set_level(logging.ERROR)
    slack.unknown_users.add(GHOST)
    for sub in NEEDS_ARGUMENTS.get(command, []):
        _refused(driver, slack, rows, caplog, command, sub)
    for sub in STRUCTURED.get(command, []):
        for bad in BAD_ARGUMENTS:
            text_ = f"{sub} {bad}".strip()
            if command == "/calendar" and sub == "note" and bad == "2026-02-30":
                text_ += " Launch"
            _refused(driver, slack, rows, caplog, command, text_)
    for sub in FREE_TEXT.get(command, []):
        for bad in ["", *BAD_ARGUMENTS]:
            _accepted_or_refused(driver, slack, rows, caplog, command, f"{sub} {bad}".strip())


@pytest.mark.parametrize(("command", "text_", "user"), UNKNOWN_PEOPLE)
def test_unknown_people_are_refused(driver, slack, caplog, rows, command, text_, user):
    caplog.set_level(logging.ERROR)
    slack.unknown_users.add(GHOST)
    assert driver.command("/escalate", "support A customer is upset", user="U0ANNA").status == 200
    assert driver.command("/idea", "A reel about the spring range", user="U0ANNA").status == 200
    answer = _refused(driver, slack, rows, caplog, command, text_, user)
    assert f"<@{GHOST}>" in answer.split("\nExample:")[0], answer


# -- arbitrary text --------------------------------------------------------------------------------
USERS = ["U0STRAT", "U0CONTENT", "U0ANNA", "U0LEAD", "U0NOBODY"]
TOKENS = sorted(
    {sub for subs in (*STRUCTURED.values(), *FREE_TEXT.values()) for sub in subs if sub}
    | {"help", "top", "daily", "weekly", "crisis", "low", "normal", "#1", "1", "0", "-1", "delete", "blackout"}
    | {"<@U0ANNA>", "<@U0STRAT|strat>", "<@W0BOT>", "@bob", "2026-12-10", "16:30", "tomorrow", "instagram"}
    | {"<https://acme.slack.com/archives/C0DRAFTS/p1700000000000100>", "impressions=10", "engagements=x"}
    | {"clicks=-3", "url=", "url=<https://x.example/p>", "content_manager", "strategist", "&lt;b&gt;", "ünïcødé"}
    | {"🚨", "%s", "{}", "' OR 1=1 --", "\\", "\n", *BAD_ARGUMENTS[2:]}
)
texts = st.one_of(
    st.just(""),
    st.text(max_size=60),
    st.lists(st.sampled_from(TOKENS), max_size=8).map(" ".join),
    st.tuples(st.sampled_from(TOKENS), st.text(max_size=30), st.sampled_from(TOKENS)).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=3000),
)


@pytest.mark.parametrize("command", DECLARED)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text_=texts, user=st.sampled_from(USERS))
def test_any_text_gets_a_safe_answer(driver, slack, caplog, command, text_, user):
    caplog.set_level(logging.ERROR)
    caplog.clear()
    sent_before = len(slack.calls)
    reply = driver.command(command, text_, user=user)
    _check_safe(reply, slack, sent_before, caplog, f"{command} {text_[:80]!r}")
