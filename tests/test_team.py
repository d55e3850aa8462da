"""/team: list, add and remove roles; who may change them."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.features.roles.models import RoleMember
from tests.helpers import sqlite_only


def _holders(runtime, role):
    with runtime.session_factory() as session:
        return set(session.scalars(select(RoleMember.user_id).where(RoleMember.role == role)))


def test_lists_roles_seeded_from_config(driver):
    reply = driver.command("/team", "")
    assert reply.status == 200
    assert "<@U0STRAT>" in reply.text and "content_manager" in reply.text


@sqlite_only
def test_help_names_the_command_with_examples(driver):
    reply = driver.command("/team", "help")
    assert "/team" in reply.text and "/team add @maria content_manager" in reply.text


def test_strategist_adds_and_removes(driver, runtime):
    reply = driver.command("/team", "add <@U0NEW|new> analyst", user="U0STRAT")
    assert "<@U0NEW> is now an analyst." in reply.text
    assert "U0NEW" in _holders(runtime, "analyst")
    driver.command("/team", "remove <@U0NEW> ANALYST", user="U0STRAT")
    assert "U0NEW" not in _holders(runtime, "analyst")


def test_workspace_admin_may_change_roles(driver, runtime, slack):
    slack.users["U0ADMIN"] = {"is_admin": True}
    driver.command("/team", "add <@U0NEW> coordinator", user="U0ADMIN")
    assert "U0NEW" in _holders(runtime, "coordinator")
    assert slack.of("users.info")[0].params["user"] == "U0ADMIN"


def test_others_are_refused_and_nothing_changes(driver, runtime):
    reply = driver.command("/team", "add <@U0NEW> strategist", user="U0ANNA")
    assert reply.json["response_type"] == "ephemeral"
    assert "Only a strategist or a workspace admin" in reply.text
    assert "U0NEW" not in _holders(runtime, "strategist")


def test_refuses_when_users_info_fails(driver, runtime, slack):
    slack.fail("users.info", 500)
    reply = driver.command("/team", "add <@U0NEW> analyst", user="U0ANNA")
    assert "could not confirm" in reply.text
    assert "U0NEW" not in _holders(runtime, "analyst")


def test_a_slow_slack_is_given_a_budget_and_the_change_refused_in_time(driver, runtime, slack):
    slack.delays["users.info"] = 5.0
    started = time.monotonic()
    reply = driver.command("/team", "add <@U0NEW> analyst", user="U0ANNA")
    assert time.monotonic() - started < 2.9
    assert "could not confirm" in reply.text and "U0NEW" not in _holders(runtime, "analyst")
    assert len(slack.of("users.info")) <= 1  # tried once, never retried


def test_the_admin_check_and_the_person_check_share_one_budget(driver, runtime, slack):
    slack.users["U0ADMIN"] = {"is_admin": True}
    slack.delays["users.info"] = 1.2
    started = time.monotonic()
    reply = driver.command("/team", "add <@U0NEW> coordinator", user="U0ADMIN")
    assert time.monotonic() - started < 2.0  # not 2 × 1.2 s: the second read gets what is left
    assert "now a coordinator" in reply.text and "U0NEW" in _holders(runtime, "coordinator")


def test_only_people_of_the_workspace_get_a_role(driver, runtime, slack):
    assert "teambot cannot hold a role" in driver.command("/team", "add <@UBOT> analyst", user="U0STRAT").text
    slack.users["U0BOTTY"] = {"is_bot": True}
    assert "is a bot" in driver.command("/team", "add <@U0BOTTY> analyst", user="U0STRAT").text
    slack.users["U0GONE"] = {"deleted": True}
    assert "has left the workspace" in driver.command("/team", "add <@U0GONE> analyst", user="U0STRAT").text
    slack.fail("users.info", error="user_not_found")
    assert "is not a user of this workspace" in driver.command("/team", "add WORLD analyst", user="U0STRAT").text
    assert not _holders(runtime, "analyst")


@sqlite_only
def test_garbage_unknown_role_and_unknown_user(driver):
    assert "is not a /team command" in driver.command("/team", "frobnicate").text
    assert "`/team list` takes nothing more" in driver.command("/team", "list extra").text
    unknown_role = driver.command("/team", "add <@U0NEW> wizard", user="U0STRAT")
    assert "`wizard` is not a role" in unknown_role.text and "Example" in unknown_role.text
    unknown_user = driver.command("/team", "add @bob analyst", user="U0STRAT")
    assert "`@bob` is not a Slack user" in unknown_user.text
    assert "needs a person and a role" in driver.command("/team", "add", user="U0STRAT").text


@pytest.mark.parametrize("person", ["U" + "0" * 40, "<@W" + "A" * 40 + ">"])
def test_an_id_longer_than_any_slack_gives_is_not_a_user(driver, runtime, caplog, person):
    # Typed by hand, so it never went through Slack: told so, as on either database.
    reply = driver.command("/team", f"add {person} analyst", user="U0STRAT")
    assert "is not a Slack user" in reply.text and "Example" in reply.text
    assert "unhandled error" not in caplog.text and not _holders(runtime, "analyst")


def test_channel_ping_in_arguments_is_not_echoed(driver, slack):
    reply = driver.command("/team", "add <!channel> <!here>", user="U0STRAT")
    assert reply.status == 200
    assert "<!channel>" not in reply.body and "<!here>" not in reply.body
    assert "<!channel>" not in slack.everything_sent()


def test_config_seed_only_adds(runtime):
    from bot.core.clock import utcnow
    from bot.core.db import transaction
    from bot.features.roles import service as roles

    with transaction(runtime.session_factory) as session:
        roles.remove(session, "U0CONTENT", "content_manager")
        roles.add(session, "U0EXTRA", "content_manager", by="U0STRAT", now=utcnow())
    with transaction(runtime.session_factory) as session:
        assert roles.seed(session, runtime.config.roles, utcnow()).added == 1
    assert _holders(runtime, "content_manager") == {"U0CONTENT", "U0EXTRA"}
