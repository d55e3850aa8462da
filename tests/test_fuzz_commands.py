"""Property-based bad input: arbitrary text, unicode, huge and empty arguments at every command.
Whatever arrives, teambot answers 200 (never a 5xx or an unhandled error) and never lets a
`<!channel>`-style broadcast through unescaped."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

COMMANDS = ["/team", "/approve", "/escalate", "/shift", "/handoff", "/idea", "/checklist", "/metrics"]
USERS = ["U0STRAT", "U0CONTENT", "U0ANNA", "U0LEAD", "U0NOBODY"]
TOKENS = [
    "help",
    "list",
    "top",
    "add",
    "remove",
    "ack",
    "resolve",
    "reassign",
    "start",
    "end",
    "note",
    "who",
    "post",
    "support",
    "pr",
    "legal",
    "crisis",
    "high",
    "normal",
    "low",
    "daily",
    "weekly",
    "#1",
    "1",
    "#999999999999",
    "0",
    "-1",
    "<@U0ANNA>",
    "<@U0STRAT|strat>",
    "<@W0BOT>",
    "@bob",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0123|@team>",
    "<https://acme.slack.com/archives/C0DRAFTS/p1700000000000100>",
    "<https://evil.example|https://bank.example>",
    "impressions=10",
    "engagements=x",
    "clicks=-3",
    "url=",
    "url=<https://x.example/p>",
    "content_manager",
    "strategist",
    "&lt;b&gt;",
    "ünïcødé",
    "🚨",
    "\u200b",
    "%s",
    "{}",
    "' OR 1=1 --",
    "\\",
    "\n",
]
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam")

texts = st.one_of(
    st.just(""),
    st.text(max_size=60),
    st.lists(st.sampled_from(TOKENS), max_size=8).map(" ".join),
    st.tuples(st.sampled_from(TOKENS), st.text(max_size=30), st.sampled_from(TOKENS)).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=3000),
)


@pytest.mark.parametrize("command", COMMANDS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, user=st.sampled_from(USERS))
def test_any_text_gets_a_safe_answer(driver, slack, caplog, command, text, user):
    caplog.set_level(logging.ERROR)
    caplog.clear()
    reply = driver.command(command, text, user=user)
    assert reply.status == 200, reply.body
    for broadcast in BROADCASTS:
        assert broadcast not in reply.body
        assert broadcast not in slack.everything_sent()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[0].getMessage()
