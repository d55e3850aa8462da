"""Races: fifty people acting on one thing at the same moment, through real signed requests to the
Bolt app from fifty threads — approvals of one draft, acknowledgements of one escalation, votes on
one idea (with duplicates). The outcome is one consistent state, every request is answered 200
and nothing is logged as an unhandled error. Each case runs on SQLite (which serialises writers)
and on PostgreSQL (row locks and unique keys)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.features.escalations.models import Escalation
from bot.features.ideas.models import IdeaVote
from bot.outbox.models import SlackMessage
from bot.slack.app import UNEXPECTED
from bot.slack.ids import ActionId
from tests.conftest import BASE_CONFIG, make_config
from tests.driver import TEAM, signed_headers
from tests.helpers import exported

PEOPLE = [f"U1{i:03d}" for i in range(50)]
DRAFTS, ESCALATE, IDEAS = "C0DRAFTS", "C0ESCALATE", "C0IDEAS"
DRAFT_TS = "1712000000.000100"


@pytest.fixture
def config():
    teams = dict(BASE_CONFIG["teams"])  # type: ignore[arg-type]
    teams["support"] = {"lead": "U0LEAD", "members": ["U0ANNA", "U0BEN", *PEOPLE], "channel": "C0SUPPORT"}
    return make_config(
        roles={
            "strategist": ["U0STRAT", *PEOPLE],
            "content_manager": ["U0CONTENT", *PEOPLE],
            "community_manager": ["U0COMMUNITY"],
        },
        teams=teams,
    )


@pytest.fixture
def errors_logged(caplog) -> list[logging.LogRecord]:
    caplog.set_level(logging.WARNING)
    return caplog.records


def _click_body(action_id: str, value: str, user: str, channel: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0APP",
        "trigger_id": f"trigger-{user}-{time.monotonic_ns()}",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1712000000.000900", "channel_id": channel},
        "message": {"ts": "1712000000.000900", "type": "message", "text": "", "blocks": []},
        "response_url": "https://hooks.slack.test/actions/1",
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button", "action_ts": "1"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def _reaction_body(user: str, emoji: str, channel: str, ts: str, event_id: str) -> str:
    payload = {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        "event": {
            "type": "reaction_added",
            "user": user,
            "reaction": emoji,
            "item_user": "UBOT",
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": f"{time.time():.6f}",
        },
    }
    return json.dumps(payload)


def _at_once(driver, requests: list[tuple[str, str]]) -> list[int]:
    """Send every (body, content type) from its own thread, all released together; the statuses."""
    statuses: list[int | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))
    failures: list[BaseException] = []

    def send(index: int, body: str, content_type: str) -> None:
        try:
            headers = signed_headers(body, content_type=content_type)
            start.wait(timeout=30)
            statuses[index] = driver.send(body, headers, drain=False).status
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    assert not failures, failures
    driver.sender.drain()
    return [s or 0 for s in statuses]


def _no_errors(slack, records: list[logging.LogRecord]) -> None:
    assert [r.getMessage() for r in records if r.levelno >= logging.ERROR] == []
    assert UNEXPECTED not in slack.everything_sent()


# -- approvals ----------------------------------------------------------------------------------
def test_fifty_approvals_at_once_give_one_approval_per_step(driver, runtime, slack, errors_logged):
    driver.message(DRAFTS, "U0ANNA", "Product launch thread, part 1", DRAFT_TS)
    # Everyone holds both roles of the chain; ten people click twice.
    clickers = PEOPLE + PEOPLE[:10]
    form = "application/x-www-form-urlencoded"
    statuses = _at_once(driver, [(_click_body(ActionId.APPROVE, "1", user, DRAFTS), form) for user in clickers])
    assert statuses == [200] * len(clickers)

    (draft,) = exported(runtime)["drafts"]
    assert draft["status"] == "approved"
    approvers = [step["approved_by"] for step in draft["steps"]]
    assert len(approvers) == 2 and None not in approvers and len(set(approvers)) == 2
    assert [(h["action"], h["by"]) for h in draft["history"]] == [("approved", a) for a in approvers]
    # Everyone else was told why nothing happened; a winner's second click is a silent duplicate.
    refused = [c for c in slack.ephemerals() if c.channel == DRAFTS]
    assert Counter(c.params["user"] for c in refused) == Counter(u for u in clickers if u not in approvers)
    thread = [c.text for c in slack.posts(DRAFTS) if c.params.get("thread_ts") == DRAFT_TS]
    assert len(thread) == 3  # the status message, step 1 done, approved
    assert len([c for c in slack.of("chat.update") if c.channel == DRAFTS]) == 2
    _no_errors(slack, errors_logged)


# -- escalations --------------------------------------------------------------------------------
def test_fifty_acknowledgements_at_once_give_one_acknowledger(driver, runtime, slack, errors_logged):
    driver.command("/escalate", "crisis Our post is trending for the wrong reasons", user="U0COMMUNITY")
    with runtime.session_factory() as session:
        assignee = session.scalars(select(Escalation.assignee)).one()
    assert assignee not in PEOPLE
    updates_before = len(slack.of("chat.update"))
    form = "application/x-www-form-urlencoded"
    statuses = _at_once(driver, [(_click_body(ActionId.ESCALATION_ACK, "1", u, ESCALATE), form) for u in PEOPLE])
    assert statuses == [200] * len(PEOPLE)

    with runtime.session_factory() as session:
        esc = session.scalars(select(Escalation)).one()
    assert esc.status == "acknowledged" and esc.acknowledged_by in PEOPLE and esc.assignee == esc.acknowledged_by
    assert esc.acknowledged_at is not None and esc.next_climb_at is None
    told = [c for c in slack.ephemerals() if c.channel == ESCALATE]
    assert len(told) == 50
    winners = [c.params["user"] for c in told if "You acknowledged escalation #1" in c.text]
    assert winners == [esc.acknowledged_by]
    losers = [c for c in told if f"already acknowledged by <@{esc.acknowledged_by}>" in c.text]
    assert len(losers) == 49
    # One message update and one note to the former assignee, not fifty.
    assert len(slack.of("chat.update")) - updates_before == 1
    assert sum("acknowledged escalation #1" in c.text for c in slack.posts(assignee)) == 1
    _no_errors(slack, errors_logged)


# -- votes --------------------------------------------------------------------------------------
def test_fifty_votes_at_once_count_each_person_once(driver, runtime, slack, errors_logged):
    driver.command("/idea", "Weekly live Q&A with the product team", user="U0BEN")
    with runtime.session_factory() as session:
        idea_ts = session.get(SlackMessage, "idea:1").ts
    # Fifty people vote, ten of them twice (once with a skin tone), and the author votes too.
    votes = [(user, "+1") for user in PEOPLE] + [(user, "+1::skin-tone-4") for user in PEOPLE[:10]]
    votes.append(("U0BEN", "+1"))
    requests = [
        (_reaction_body(user, emoji, IDEAS, idea_ts, f"EvVOTE{n:04d}"), "application/json")
        for n, (user, emoji) in enumerate(votes)
    ]
    statuses = _at_once(driver, requests)
    assert statuses == [200] * len(requests)

    with runtime.session_factory() as session:
        voters = session.scalars(select(IdeaVote.user_id)).all()
        count = session.scalar(select(func.count()).select_from(IdeaVote))
    assert sorted(voters) == sorted(PEOPLE) and count == 50
    assert [i["votes"] for i in exported(runtime)["ideas"]] == [50]
    updates = [c for c in slack.of("chat.update") if c.channel == IDEAS]
    assert len(updates) == 50  # one per counted vote
    # The message people see ends with the true count.
    assert "Votes: *50*" in updates[-1].all_text()
    _no_errors(slack, errors_logged)


def test_votes_arriving_while_an_idea_is_accepted_leave_its_message_accepted(driver, runtime, slack, errors_logged):
    driver.command("/idea", "Weekly live Q&A with the product team", user="U0BEN")
    with runtime.session_factory() as session:
        idea_ts = session.get(SlackMessage, "idea:1").ts
    form = "application/x-www-form-urlencoded"
    requests = [(_click_body(ActionId.IDEA_ACCEPT, "1", "U0CONTENT", IDEAS), form)] + [
        (_reaction_body(user, "+1", IDEAS, idea_ts, f"EvACCEPTVOTE{n:02d}"), "application/json")
        for n, user in enumerate(PEOPLE[:10])
    ]
    assert _at_once(driver, requests) == [200] * len(requests)
    [idea] = exported(runtime)["ideas"]
    assert (idea["status"], idea["votes"]) == ("accepted", 10)
    last = [c for c in slack.of("chat.update") if c.channel == IDEAS][-1].all_text()
    assert "Status: *accepted" in last and "Votes: *10*" in last and ActionId.IDEA_ACCEPT not in last
    _no_errors(slack, errors_logged)


def test_one_post_recorded_for_two_drafts_at_once_goes_to_one_of_them(driver, runtime, slack, errors_logged):
    for ts in ("1712000000.000101", "1712000000.000102"):
        driver.message(DRAFTS, "U0ANNA", f"Draft {ts}", ts)
    bodies = [
        urlencode({"command": "/metrics", "text": text, "user_id": "U0ANNA", "channel_id": "C1", "team_id": TEAM})
        for text in (
            "1 impressions=100 engagements=10 url=https://www.instagram.com/p/abc",
            "2 impressions=100 engagements=10 url=https://instagram.com/p/abc/?utm_source=x",
        )
    ]
    assert _at_once(driver, [(body, "application/x-www-form-urlencoded") for body in bodies]) == [200, 200]
    published = [d["published_url"] for d in exported(runtime)["drafts"]]
    assert published.count(None) == 1, published  # the other was told the address is taken
    _no_errors(slack, errors_logged)
