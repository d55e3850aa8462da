"""Operator mistakes caught at start-up: configured channels and people that do not exist in the
workspace are named with their config keys; the shipped example's placeholder people are not made
role members; a post to a channel Slack does not know names the channel and its config key."""

from __future__ import annotations

import logging

import pytest

from bot.core.clock import utcnow
from bot.core.config import keys_naming
from bot.core.db import transaction
from bot.outbox.queue import Outbox
from bot.outbox.sender import OutboxSender
from bot.slack.config_check import check_config, roles_to_seed
from bot.slack.runtime import make_client
from tests.conftest import BOT_TOKEN, make_config


@pytest.fixture
def unknown(slack):
    """Ids Slack answers `channel_not_found` / `user_not_found` for."""
    ids: set[str] = set()
    original = slack._answer

    def answer(method, params):
        if method in ("conversations.info", "users.info"):
            ASKED.append(params.get("channel") or params.get("user"))
        if method == "conversations.info" and params.get("channel") in ids:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if method == "users.info" and params.get("user") in ids:
            return 200, {"ok": False, "error": "user_not_found"}, {}
        return original(method, params)

    slack._answer = answer
    ASKED.clear()
    yield ids
    slack._answer = original


# What the fake Web API was asked about while `unknown` is in use.
ASKED: list[str] = []


def _lines(caplog, level=logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "teambot" and r.levelno >= level]


def test_each_id_slack_does_not_know_is_one_line_naming_its_config_keys(slack, unknown, caplog):
    unknown |= {"C0IDEAS", "U0BEN", "U0TYPO"}
    config = make_config(digest={"leaders": ["U0TYPO"]})
    client = make_client(BOT_TOKEN, slack.url)
    assert check_config(client, config) == 3
    lines = _lines(caplog)
    assert len(lines) == 3
    assert any(line.startswith("config: channels.ideas = C0IDEAS: no such channel") for line in lines)
    assert any(
        line.startswith("config: teams.support.members, shifts.support.weekday.members = U0BEN: no such person")
        and "placeholder" in line
        for line in lines
    )
    assert any(line.startswith("config: digest.leaders = U0TYPO: no such person") for line in lines)
    # Every configured id was asked about once, and nothing else.
    assert sorted(ASKED) == sorted(set(ASKED)) and "C0DRAFTS" in ASKED and "U0CEO" not in ASKED


def test_a_workspace_where_everything_exists_gives_no_line(slack, caplog):
    assert check_config(make_client(BOT_TOKEN, slack.url), make_config()) == 0
    assert _lines(caplog) == []


def test_slack_unreachable_stops_the_check_with_one_line(caplog):
    closed = make_client(BOT_TOKEN, "http://127.0.0.1:9/api/")
    assert check_config(closed, make_config()) == 0
    assert len(_lines(caplog)) == 1 and "cannot be reached" in _lines(caplog)[0]


def test_placeholder_people_of_the_example_are_not_made_role_members(slack, unknown, caplog):
    unknown |= {"U0STRAT", "U0CONTENT"}
    config = make_config(roles={"strategist": ["U0STRAT", "U1REALPERSON"], "content_manager": ["U0CONTENT"]})
    seeded = roles_to_seed(make_client(BOT_TOKEN, slack.url), config.roles)
    assert seeded.strategist == ["U1REALPERSON"] and seeded.content_manager == []
    lines = _lines(caplog)
    assert len(lines) == 2 and all("placeholder from the example config" in line for line in lines)
    assert any(line.startswith("config: roles.strategist = U0STRAT") for line in lines)
    # Only the placeholders were looked up.
    assert sorted(ASKED) == ["U0CONTENT", "U0STRAT"]


def test_placeholders_are_refused_when_slack_cannot_confirm_them(caplog):
    config = make_config(roles={"strategist": ["U0STRAT", "U1REALPERSON"]})
    seeded = roles_to_seed(make_client(BOT_TOKEN, "http://127.0.0.1:9/api/"), config.roles)
    assert seeded.strategist == ["U1REALPERSON"]
    assert len(_lines(caplog)) == 1


def test_a_config_without_placeholders_is_seeded_as_written_without_asking_slack(slack):
    config = make_config(roles={"strategist": ["U1REALPERSON"]})
    assert roles_to_seed(make_client(BOT_TOKEN, slack.url), config.roles) == config.roles
    assert slack.calls == []


def test_a_post_to_a_channel_slack_does_not_know_names_the_channel_and_its_config_key(runtime, slack, caplog):
    with transaction(runtime.session_factory) as session:
        Outbox(session, utcnow()).post("C0DRAFTS", "hello")
    slack.fail("chat.postMessage", error="channel_not_found")
    sender = OutboxSender(
        runtime.session_factory, runtime.client, owner="t", config_keys=lambda c: keys_naming(runtime.config, c)
    )
    sender.drain()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.outbox.sender"]
    assert len(lines) == 1
    assert "C0DRAFTS" in lines[0] and "channel_not_found" in lines[0] and "channels.drafts" in lines[0]
    assert sender.pending_count() == 0
