"""The Home tab: published when opened, republished once after a burst of changes that alter it,
within Slack's block limit, with user text defused."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.core.db import transaction
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.home.models import HomeChange, HomeView
from bot.features.ideas.models import Idea
from bot.outbox.models import OutboxMessage
from tests.helpers import BUDAPEST, MONDAY_10, add_draft, tick

DRAFTS = "C0DRAFTS"
AUTHOR = "U0ANNA"
CM = "U0CONTENT"
STRAT = "U0STRAT"


def _open(driver, user, tab="home", drain=True):
    return driver.event(
        {"type": "app_home_opened", "user": user, "channel": "D0" + user[1:], "tab": tab, "event_ts": "1.0"},
        drain=drain,
    )


def _publishes(slack, user=None):
    calls = slack.of("views.publish")
    return [c for c in calls if user is None or c.params.get("user_id") == user]


def _view(call) -> dict:
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def _text(call) -> str:
    return json.dumps(_view(call), ensure_ascii=False)


def test_opening_the_home_tab_publishes_what_waits_shifts_week_and_ideas(driver, slack, runtime, frozen):
    driver.message(DRAFTS, AUTHOR, "Spring campaign post", "1700000000.000100")
    driver.command("/idea", "A video tour of the office", user=CM)
    driver.command("/escalate", "support high The app is down for a customer", user="U0PAT")

    reply = _open(driver, CM)

    assert reply.status == 200
    [call] = _publishes(slack, CM)
    view = _view(call)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = _text(call)
    for heading in ("Waiting for you", "Drafts at a step you may take", "On shift", "This week", "Your ideas"):
        assert heading in text
    assert "|#1>" in text and "Spring campaign post" in text  # the draft at the content manager's step
    assert "A video tour of the office" in text and "0 vote(s), open" in text
    assert "*support*: now <@U0BEN>" in text  # week 9 of the rota: Ben
    # The escalation is the on-shift person's (assigned) and the team's to acknowledge, not the CM's.
    assert "The app is down" not in text
    _open(driver, "U0BEN")
    [ben] = _publishes(slack, "U0BEN")
    assert "The app is down for a customer" in _text(ben) and "Your next shift" in _text(ben)


def test_an_event_for_the_messages_tab_publishes_nothing(driver, slack, runtime, frozen):
    assert _open(driver, CM, tab="messages").status == 200
    _open(driver, CM, tab="about")
    assert _publishes(slack) == []
    with runtime.session_factory() as session:
        assert session.scalars(select(HomeView)).all() == []


def test_a_burst_of_changes_republishes_each_concerned_view_once(driver, slack, runtime, sender, frozen):
    _open(driver, STRAT)
    _open(driver, "U0PAT")
    tick(runtime, sender, MONDAY_10 + timedelta(seconds=5), clock=frozen)
    slack.calls.clear()

    # Three drafts reach the strategist's step: six changes in a row.
    for n in range(1, 4):
        ts = f"1700000000.00010{n}"
        driver.message(DRAFTS, AUTHOR, f"Post number {n}", ts)
        driver.reaction(CM, "white_check_mark", DRAFTS, ts)
    assert _publishes(slack) == []  # nothing is republished before the scheduler's pass

    tick(runtime, sender, MONDAY_10 + timedelta(seconds=10), clock=frozen)
    [call] = _publishes(slack)
    assert call.params["user_id"] == STRAT  # Pat's view did not change; the CM never opened theirs
    text = _text(call)
    assert all(f"Post number {n}" in text for n in (1, 2, 3))

    tick(runtime, sender, MONDAY_10 + timedelta(seconds=15), clock=frozen)
    assert len(_publishes(slack)) == 1  # no change, no publish
    with runtime.session_factory() as session:
        assert session.scalars(select(HomeChange)).all() == []


def test_publishes_waiting_in_the_outbox_are_coalesced_and_survive_a_rate_limit(driver, slack, runtime, sender, frozen):
    slack.fail("views.publish", 429, retry_after=30)
    _open(driver, CM)  # answered 429: held for 30 s
    driver.message(DRAFTS, AUTHOR, "Late post", "1700000000.000100")
    _open(driver, CM, drain=False)
    _open(driver, CM, drain=False)
    with runtime.session_factory() as session:
        pending = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == f"home:{CM}", OutboxMessage.status == "pending")
        ).all()
    assert len(pending) == 1 and "Late post" in json.dumps(pending[0].payload)

    sender.drain(MONDAY_10 + timedelta(seconds=31))
    sent = [c for c in _publishes(slack, CM) if "Late post" in _text(c)]
    assert len(sent) == 1


def _huge_backlog(runtime) -> None:
    now = MONDAY_10
    with transaction(runtime.session_factory) as session:
        for n in range(150):
            draft = add_draft(session, ts=f"1700000001.{n:06d}", status="pending", text=f"Draft {n} " + "x" * 800)
            draft.current_step, draft.current_role = 1, "strategist"
        for n in range(60):
            session.add(
                Idea(author=STRAT, submitted_by=STRAT, text=f"Idea {n} " + "y" * 500, status="open", created_at=now)
            )
            session.add(
                Handoff(
                    team="support", from_user="U0ANNA", to_user=STRAT, kind="manual", notes="z" * 900, created_at=now
                )
            )
            session.add(
                Escalation(
                    team="support",
                    severity="high",
                    text="w" * 900,
                    via="command",
                    reporter="U0PAT",
                    assignee=STRAT,
                    level_name="on_shift",
                    created_at=now,
                )
            )
        run = ChecklistRun(checklist="morning", due_at=now, posted_at=now, channel="C0CHECKLIST")
        run.items = [ChecklistItem(position=i, text=f"Item {i} " + "v" * 150) for i in range(80)]
        session.add(run)


def test_huge_lists_stay_within_the_block_limit_and_say_how_many_more(driver, slack, runtime, frozen):
    _huge_backlog(runtime)
    _open(driver, STRAT)
    [call] = _publishes(slack, STRAT)
    view = _view(call)
    assert len(view["blocks"]) <= 100
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")
    text = _text(call)
    assert "…and 130 more" in text  # drafts: 150, twenty shown
    assert "…and 40 more" in text  # ideas, handoffs, escalations: 60 each
    assert "…and 60 more" in text  # checklist items: 80


def test_broadcasts_in_user_text_never_reach_slack(driver, slack, runtime, frozen):
    driver.message(
        DRAFTS,
        AUTHOR,
        "<!channel> big news <!subteam^S123|@team> and <https://evil.example|https://bank.example>",
        "1700000000.000100",
    )
    driver.command("/idea", "<!here> let us all <!everyone> vote", user=CM)
    _open(driver, CM)
    [call] = _publishes(slack, CM)
    text = _text(call)
    assert "big news" in text and "vote" in text
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<!subteam", "|https://bank.example>"):
        assert forbidden not in text


def test_more_teams_than_the_tab_lists_are_counted():
    from types import SimpleNamespace

    from bot.features.home import blocks as home_blocks
    from bot.features.home.service import TeamShift

    teams = [TeamShift(f"team{n:02d}", None, None, None) for n in range(24)]
    shown = json.dumps(home_blocks.shift_blocks(SimpleNamespace(team_shifts=teams, own_next_shift=None), BUDAPEST))
    assert "team19" in shown and "team20" not in shown and "and 4 more" in shown
