"""Reads made inside a request stay inside Slack's 3-second acknowledgement deadline."""

from __future__ import annotations

import dataclasses
import time

from bot.app import create_app
from bot.features.escalations.models import Escalation
from tests.conftest import make_config
from tests.driver import SlackDriver


def test_slow_slack_does_not_delay_the_acknowledgement(driver, slack, runtime):
    for method in ("conversations.history", "conversations.replies", "chat.getPermalink"):
        slack.delays[method] = 5
    started = time.monotonic()
    reply = driver.reaction("U0COMMUNITY", "rotating_light", "C0SOCIAL", "1709542800.000100", item_user="U0CUST")
    elapsed = time.monotonic() - started
    assert reply.status == 200
    assert elapsed < 2.9  # the lookups gave up within their shared budget
    with runtime.session_factory() as session:
        (escalation,) = session.query(Escalation).all()
    assert escalation.link == "https://slack.com/archives/C0SOCIAL/p1709542800000100"


def test_failing_slack_falls_back_to_a_built_link(driver, slack, runtime):
    slack.fail("conversations.history", 500)
    slack.fail("conversations.replies", 500)
    slack.fail("chat.getPermalink", 500)
    driver.reaction("U0COMMUNITY", "rotating_light", "C0SOCIAL", "1709542800.000100", item_user="U0CUST")
    with runtime.session_factory() as session:
        (escalation,) = session.query(Escalation).all()
    assert escalation.link.endswith("/archives/C0SOCIAL/p1709542800000100")


def test_one_reaction_that_is_both_an_escalation_and_an_idea_keeps_one_budget(runtime, sender, slack):
    same_emoji = make_config(ideas={"emoji": "rotating_light"})
    driver = SlackDriver(create_app(dataclasses.replace(runtime, config=same_emoji)), sender)
    for method in ("conversations.history", "conversations.replies", "chat.getPermalink"):
        slack.delays[method] = 5
    started = time.monotonic()
    reply = driver.reaction("U0COMMUNITY", "rotating_light", "C0SOCIAL", "1709542800.000100", item_user="U0CUST")
    assert reply.status == 200 and time.monotonic() - started < 2.9


def test_concurrent_reactions_on_a_slow_slack_are_all_acknowledged_in_time(driver, slack, runtime):
    """On SQLite the requests take turns at the one connection; a request that waited behind
    another's slow reads has that much less budget for its own, so none is answered late."""
    from concurrent.futures import ThreadPoolExecutor

    for method in ("conversations.history", "conversations.replies", "chat.getPermalink"):
        slack.delays[method] = 2

    def react(n: int) -> tuple[int, float]:
        event = {
            "type": "reaction_added",
            "user": "U0COMMUNITY",
            "reaction": "rotating_light",
            "item_user": "U0CUST",
            "item": {"type": "message", "channel": "C0SOCIAL", "ts": f"1709542800.00010{n}"},
        }
        started = time.monotonic()
        reply = driver.event(event, drain=False)
        return reply.status, time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(react, range(4)))
    assert [status for status, _ in answers] == [200] * 4
    assert max(seconds for _, seconds in answers) < 2.9, answers
    with runtime.session_factory() as session:
        assert session.query(Escalation).count() == 4
