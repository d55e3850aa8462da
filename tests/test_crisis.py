"""Crisis mode through the real Bolt app: starting it (command and the crisis escalation's button),
holding planned posts (also those planned later), the owner's update prompts, updates, the end
with its summary and the released drafts, the calendar's banner, the export, and bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from freezegun import freeze_time
from pydantic import ValidationError

from bot.app import export_all, run_jobs
from bot.core.config import TeamConfig
from bot.core.db import transaction
from bot.core.export import to_csv
from bot.features.approvals import service as approvals_service
from bot.features.calendar import service as calendar_service
from bot.slack.ids import ActionId, ViewId
from tests.conftest import make_config
from tests.helpers import action_ids

DRAFTS = "C0DRAFTS"
ESCALATIONS = "C0ESCALATE"
AUTHOR = "U0ANNA"
CM = "U0CONTENT"
STRAT = "U0STRAT"
COMMUNITY = "U0COMMUNITY"
LEAD = "U0LEAD"
CEO = "U0CEO"
# Wednesday 2026-12-09, 10:00 in Budapest (UTC+1).
NOW = "2026-12-09 09:00:00"
HOSTILE = "<!channel> <!here> <!subteam^S0TEAM|@everyone-team> <https://evil.test/login|https://bank.test> done"


@pytest.fixture
def config() -> TeamConfig:
    return make_config(accounts=[{"name": "instagram", "network": "instagram"}])


@pytest.fixture(autouse=True)
def _frozen():
    with freeze_time(NOW):
        yield


def _ts(n: int) -> str:
    return f"1700000000.{n:06d}"


def _export(runtime):
    with runtime.session_factory() as session:
        return export_all(session)


def _draft(runtime, draft_id):
    return next(d for d in _export(runtime)["drafts"] if d["id"] == draft_id)


def _thread(slack, n, channel=DRAFTS):
    return [c for c in slack.posts(channel) if c.params.get("thread_ts") == _ts(n)]


def _now() -> datetime:
    return datetime.fromisoformat(NOW + "+00:00")


def _tick(runtime, sender, at: str):
    with freeze_time(at):
        run_jobs(runtime, datetime.fromisoformat(at + "+00:00"))
        sender.drain()


def _approve(driver, draft_id):
    driver.command("/approve", str(draft_id), user=CM)
    driver.command("/approve", str(draft_id), user=STRAT)


def _plan_drafts(driver):
    """#1 pending tomorrow, #2 approved tomorrow, #3 in eleven days, #4 rejected tomorrow, #5 unplanned."""
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Cheerful launch", _ts(1))
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 14:00 Happy Thursday", _ts(2))
    _approve(driver, 2)
    driver.message(DRAFTS, AUTHOR, "[instagram] 2026-12-20 10:00 Far away", _ts(3))
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 16:00 Rejected one", _ts(4))
    driver.reaction(CM, "x", DRAFTS, _ts(4))
    driver.message(DRAFTS, AUTHOR, "No plan at all", _ts(5))


def _escalation_posts(slack):
    return [c for c in slack.posts(ESCALATIONS) if not c.params.get("thread_ts")]


# -- starting ------------------------------------------------------------------------------------
def test_start_holds_the_posts_planned_in_the_window_and_tells_everyone(driver, slack, runtime):
    _plan_drafts(driver)
    assert _draft(runtime, 4)["status"] == "rejected"
    reply = driver.command("/crisis", "start Data leak at our delivery partner", user=STRAT)
    assert "Crisis mode is on (crisis #1); 2 post(s) held" in reply.text
    statuses = {d["id"]: d["status"] for d in _export(runtime)["drafts"]}
    assert statuses == {1: "on_hold", 2: "on_hold", 3: "pending", 4: "rejected", 5: "pending"}
    held = [e for e in _draft(runtime, 2)["history"] if e["action"] == "held"]
    assert len(held) == 1 and held[0]["by"] == STRAT and held[0]["note"] == "crisis #1"
    assert held[0]["via"] == "command"
    (crisis,) = _export(runtime)["crises"]
    assert crisis["reason"] == "Data leak at our delivery partner" and crisis["started_by"] == STRAT
    assert crisis["held"] == [1, 2] and crisis["ended_at"] is None and crisis["updates"] == []
    (post,) = _escalation_posts(slack)
    assert "Crisis mode is on" in post.all_text() and "Data leak" in post.all_text()
    assert [c for c in _thread(slack, 1) if "On hold" in c.text]
    assert [c for c in _thread(slack, 2) if "On hold" in c.text]
    assert not [c for c in _thread(slack, 3) if "On hold" in c.text]
    # The leaders are told; the publishers hear which of their posts wait; the starter is answered.
    assert [c for c in slack.posts(CEO) if "started crisis mode" in c.text]
    (publisher_dm,) = [c for c in slack.posts(COMMUNITY) if "Do not publish" in c.text]
    assert "#1" in publisher_dm.text and "#2" in publisher_dm.text and "#3" not in publisher_dm.text
    assert not [c for c in slack.posts(STRAT) if "started crisis mode" in c.text]
    # A held draft cannot be approved meanwhile.
    assert "on hold" in driver.command("/approve", "1", user=CM).text


def test_a_publisher_with_many_held_posts_hears_twenty_and_how_many_more(driver, slack, runtime):
    for n in range(1, 26):
        driver.message(DRAFTS, AUTHOR, f"[instagram] tomorrow {n % 24:02d}:{n:02d} Post {n}", _ts(n))
    driver.command("/crisis", "start Outage", user=STRAT)
    (dm,) = [c for c in slack.posts(COMMUNITY) if "Do not publish" in c.text]
    assert dm.text.count("• ") == 20 and "and 5 more" in dm.text
    (post,) = _escalation_posts(slack)
    assert "25 post(s)" in post.all_text() and "and 5 more" in post.all_text()


def test_strategists_hear_of_a_crisis_a_team_lead_started(driver, slack, runtime):
    driver.command("/crisis", "start Outage", user=LEAD)
    assert [c for c in slack.posts(STRAT) if "started crisis mode" in c.text]
    assert [c for c in slack.posts(CEO) if "started crisis mode" in c.text]


def test_held_posts_get_no_publish_prompts_or_slot_reminders(driver, slack, runtime, sender):
    _plan_drafts(driver)
    driver.command("/crisis", "start Outage", user=STRAT)
    before = len(slack.posts(COMMUNITY))
    # Draft #1's approval reminders (1440 and 120 minutes before 09:00 UTC tomorrow), its deadline,
    # draft #2's slot (13:00 UTC) and its publish reminders.
    for at in ("2026-12-09 09:00:05", "2026-12-10 07:00:05", "2026-12-10 08:00:05", "2026-12-10 13:00:05"):
        _tick(runtime, sender, at)
    _tick(runtime, sender, "2026-12-10 13:30:05")
    _tick(runtime, sender, "2026-12-10 14:00:05")
    assert len(slack.posts(COMMUNITY)) == before
    assert not [c for c in _thread(slack, 1) if "still waits" in c.text or "expired" in c.text]
    assert not [c for c in _thread(slack, 2) if "publishing" in c.text]
    assert not slack.posts("U0COORD")
    assert _draft(runtime, 1)["status"] == "on_hold"


def test_drafts_planned_into_the_window_while_it_lasts_are_held(driver, slack, runtime):
    driver.command("/crisis", "start Outage", user=STRAT)
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 10:00 Planned in the text", _ts(1))
    driver.message(DRAFTS, AUTHOR, "Planned by command", _ts(2))
    driver.command("/calendar", "plan 2 instagram tomorrow 12:00", user=AUTHOR)
    driver.message(DRAFTS, AUTHOR, "[instagram] 2026-12-20 10:00 Beyond the window", _ts(3))
    statuses = {d["id"]: d["status"] for d in _export(runtime)["drafts"]}
    assert statuses == {1: "on_hold", 2: "on_hold", 3: "pending"}
    assert _export(runtime)["crises"][0]["held"] == [1, 2]
    # The history says how each came to be held: planned in the draft's text, by /calendar plan.
    assert [[e["via"] for e in _draft(runtime, n)["history"] if e["action"] == "held"] for n in (1, 2)] == [
        ["command"],
        ["command"],
    ]
    status_message = _thread(slack, 1)[-1]
    assert "on hold" in status_message.all_text()
    assert [c for c in _thread(slack, 2) if "On hold" in c.text]
    # A held draft edited during the crisis stays held.
    driver.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "message": {"user": AUTHOR, "text": "Planned by command, reworded", "ts": _ts(2)},
            "previous_message": {"user": AUTHOR, "text": "Planned by command", "ts": _ts(2)},
            "ts": "1700000099.000001",
        }
    )
    assert _draft(runtime, 2)["status"] == "on_hold"


def test_an_approved_draft_edited_while_held_waits_for_the_release_before_review(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Cheerful", _ts(1))
    _approve(driver, 1)
    driver.command("/crisis", "start Outage", user=STRAT)
    reviewers_told = len(slack.posts(CM))
    driver.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "message": {"user": AUTHOR, "text": "[instagram] tomorrow 10:00 Cheerful, reworded", "ts": _ts(1)},
            "previous_message": {"user": AUTHOR, "text": "[instagram] tomorrow 10:00 Cheerful", "ts": _ts(1)},
            "ts": "1700000099.000001",
        }
    )
    assert _draft(runtime, 1)["status"] == "on_hold"
    assert [e["via"] for e in _draft(runtime, 1)["history"] if e["action"] == "held"] == ["command", "edit"]
    (reset,) = [c for c in _thread(slack, 1) if "edited after review" in c.text]
    assert "once crisis mode releases it" in reset.text and f"<@{CM}>" not in reset.text
    assert len(slack.posts(CM)) == reviewers_told


def test_a_draft_planned_as_the_crisis_starts_is_held_on_the_next_tick(driver, slack, runtime, sender):
    """The outcome of the race on PostgreSQL where the plan and the crisis commit at the same
    moment and neither sees the other: a draft planned into the window without being held."""
    driver.message(DRAFTS, AUTHOR, "Cheerful and unplanned", _ts(1))
    driver.command("/crisis", "start Outage", user=STRAT)
    with transaction(runtime.session_factory) as session:
        accounts = calendar_service.resolve_accounts(runtime.config, ["instagram"], None, "")
        slot = datetime.fromisoformat("2026-12-10 09:00:00+00:00")
        draft = approvals_service.lock(session, 1)
        calendar_service.plan(session, runtime.config, draft, accounts=accounts, slot=slot, by=AUTHOR, now=_now())
    assert _draft(runtime, 1)["status"] == "pending"
    before = len(slack.posts(COMMUNITY))
    _tick(runtime, sender, "2026-12-09 09:00:05")
    _tick(runtime, sender, "2026-12-09 09:00:10")
    draft = _draft(runtime, 1)
    assert draft["status"] == "on_hold"
    assert [(e["by"], e["via"]) for e in draft["history"] if e["action"] == "held"] == [(STRAT, "schedule")]
    assert _export(runtime)["crises"][0]["held"] == [1]
    assert len([c for c in _thread(slack, 1) if "On hold" in c.text]) == 1
    (publisher_dm,) = [c for c in slack.posts(COMMUNITY)[before:] if "Do not publish" in c.text]
    assert "#1" in publisher_dm.text


def test_a_crisis_longer_than_hold_hours_keeps_holding_the_posts_that_come_within_hold_hours(
    driver, slack, runtime, sender
):
    """While it lasts, the posts planned within the next `hold_hours` are held: on the fourth day of a
    crisis, a post for that day is held too, and its publisher is never prompted to publish it."""
    driver.message(DRAFTS, AUTHOR, "[instagram] 2026-12-13 10:00 Sunday cheer", _ts(1))  # 97 h after the start
    _approve(driver, 1)
    driver.command("/crisis", "start Outage", user=STRAT)
    assert _draft(runtime, 1)["status"] == "approved"  # beyond the first 72 h
    _tick(runtime, sender, "2026-12-12 09:00:05")  # 72 h on: Sunday 10:00 is within the next 72 h now
    draft = _draft(runtime, 1)
    assert draft["status"] == "on_hold" and _export(runtime)["crises"][0]["held"] == [1]
    _tick(runtime, sender, "2026-12-13 09:00:05")  # the slot
    assert not [c for c in slack.posts(COMMUNITY) if "Mark published" in c.all_text()]
    # Planned on the fourth day for the fifth: held at once.
    driver.message(DRAFTS, AUTHOR, "Planned late", _ts(2))
    with freeze_time("2026-12-13 09:00:10"):
        driver.command("/calendar", "plan 2 instagram 2026-12-14 10:00", user=AUTHOR)
    assert _draft(runtime, 2)["status"] == "on_hold"


def test_calendar_shows_the_banner_while_crisis_mode_is_on(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Cheerful", _ts(1))
    assert "Crisis mode is on" not in driver.command("/calendar", user=AUTHOR).text
    driver.command("/crisis", "start Outage", user=STRAT)
    week = driver.command("/calendar", user=AUTHOR)
    assert "Crisis mode is on" in json.dumps(week.json.get("blocks"))
    assert "on hold" in json.dumps(week.json.get("blocks"))
    driver.command("/crisis", "end", user=STRAT)
    assert "Crisis mode is on" not in json.dumps(driver.command("/calendar", user=AUTHOR).json.get("blocks"))


# -- updates -------------------------------------------------------------------------------------
def test_the_owner_is_asked_for_an_update_every_period_once(driver, slack, runtime, sender):
    driver.command("/crisis", "start Outage", user=LEAD)
    _tick(runtime, sender, "2026-12-09 09:29:59")
    assert not [c for c in slack.posts(LEAD) if "stakeholder update" in c.text]
    _tick(runtime, sender, "2026-12-09 09:30:01")
    _tick(runtime, sender, "2026-12-09 09:30:05")  # a second tick or replica: still once
    prompts = [c for c in slack.posts(LEAD) if "stakeholder update" in c.text]
    assert len(prompts) == 1 and ActionId.CRISIS_POST_UPDATE in action_ids(prompts[0])
    # After an outage only the latest prompt is due.
    _tick(runtime, sender, "2026-12-09 10:45:00")
    _tick(runtime, sender, "2026-12-09 10:45:05")
    assert len([c for c in slack.posts(LEAD) if "stakeholder update" in c.text]) == 2
    with freeze_time("2026-12-09 10:50:00"):
        driver.command("/crisis", "end", user=LEAD)
    _tick(runtime, sender, "2026-12-09 11:30:00")
    assert len([c for c in slack.posts(LEAD) if "stakeholder update" in c.text]) == 2


def test_updates_go_to_the_crisis_thread_and_the_leaders(driver, slack, runtime):
    driver.command("/crisis", "start Outage", user=STRAT)
    (root,) = _escalation_posts(slack)
    root_ts = slack.messages[ESCALATIONS][0]["ts"]
    reply = driver.command("/crisis", "update Statement agreed with legal", user=STRAT)
    assert "posted in the crisis #1 thread" in reply.text
    (in_thread,) = [c for c in slack.posts(ESCALATIONS) if c.params.get("thread_ts") == root_ts]
    assert "Statement agreed with legal" in in_thread.all_text()
    assert [c for c in slack.posts(CEO) if "Statement agreed with legal" in c.text]
    (update,) = _export(runtime)["crises"][0]["updates"]
    assert update == {"by": STRAT, "at": "2026-12-09T09:00:00+00:00", "text": "Statement agreed with legal"}
    assert root is not None


def test_post_update_button_opens_the_form_and_posts_it(driver, slack, runtime):
    driver.command("/crisis", "start Outage", user=LEAD)
    driver.click(ActionId.CRISIS_POST_UPDATE, "1", user=LEAD)
    (opened,) = slack.of("views.open")
    assert ViewId.CRISIS_UPDATE in opened.all_text()
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    reply = driver.submit_view(
        ViewId.CRISIS_UPDATE,
        {"update": {"value": {"type": "plain_text_input", "value": "Fixed <!channel> & calm"}}},
        user=LEAD,
        private_metadata=view["private_metadata"],
    )
    assert reply.status == 200
    (update,) = _export(runtime)["crises"][0]["updates"]
    assert update["text"] == "Fixed <!channel> & calm"  # as typed in the export
    sent = slack.everything_sent()
    assert "<!channel>" not in sent and "Fixed &lt;!channel&gt; &amp; calm" in sent
    # Empty: the form says so beside the field.
    empty = driver.submit_view(
        ViewId.CRISIS_UPDATE,
        {"update": {"value": {"type": "plain_text_input", "value": "  "}}},
        user=LEAD,
        private_metadata=view["private_metadata"],
    )
    assert empty.json["response_action"] == "errors"


def test_an_update_form_sent_after_the_end_is_refused(driver, slack, runtime):
    driver.command("/crisis", "start Outage", user=LEAD)
    driver.command("/crisis", "end", user=LEAD)
    reply = driver.submit_view(
        ViewId.CRISIS_UPDATE,
        {"update": {"value": {"type": "plain_text_input", "value": "Late"}}},
        user=LEAD,
        private_metadata=json.dumps({"crisis": 1}),
    )
    assert "over" in json.dumps(reply.json)
    assert _export(runtime)["crises"][0]["updates"] == []
    assert "not on any more" in driver.click(ActionId.CRISIS_POST_UPDATE, "1", user=LEAD).text or [
        c for c in slack.ephemerals(LEAD) if "not on any more" in c.text
    ]


# -- the end -------------------------------------------------------------------------------------
def test_end_releases_held_drafts_to_their_final_approvers_and_posts_a_summary(driver, slack, runtime):
    _plan_drafts(driver)
    driver.command("/approve", "1", user=CM)  # step 1 of 2 taken before the crisis
    driver.command("/crisis", "start Outage", user=COMMUNITY)
    with freeze_time("2026-12-09 10:00:00"):
        driver.command("/escalate", "support high Angry thread", user=AUTHOR)
    with freeze_time("2026-12-09 11:30:00"):
        driver.command("/crisis", "update Holding statement out", user=COMMUNITY)
        refused = driver.command("/crisis", "end", user=LEAD)
        assert "Only <@U0COMMUNITY>" in refused.text
        reply = driver.command("/crisis", "end All clear, replies answered", user=STRAT)
    assert "2 post(s) back with their approvers" in reply.text
    for draft_id in (1, 2):
        draft = _draft(runtime, draft_id)
        assert draft["status"] == "pending"
        released = [e for e in draft["history"] if e["action"] == "released"]
        assert len(released) == 1 and released[0]["step"] == 2 and released[0]["by"] == STRAT
    # #1 keeps its first step; #2's final approval is asked again.
    assert _draft(runtime, 1)["steps"][0]["approved_by"] == CM
    assert _draft(runtime, 2)["steps"][0]["approved_by"] == CM and _draft(runtime, 2)["steps"][1]["approved_by"] is None
    assert [c for c in _thread(slack, 1) if "back, waiting for its final approval" in c.text]
    asked = [c for c in slack.posts(STRAT) if "final approval" in c.text]
    assert sorted(("|#1>" in c.text, "|#2>" in c.text) for c in asked) == [(False, True), (True, False)]
    (crisis,) = _export(runtime)["crises"]
    assert crisis["ended_by"] == STRAT and crisis["ended_at"] == "2026-12-09T11:30:00+00:00"
    assert crisis["summary"] == "All clear, replies answered" and crisis["held"] == [1, 2]
    summary = [c for c in _escalation_posts(slack) if "is over after" in c.text]
    assert len(summary) == 1
    text = summary[0].all_text()
    assert "2 h 30 min" in text and "*Updates:* 1" in text and "#1" in text and "All clear" in text
    assert "*Escalations opened meanwhile:* #1" in text
    assert [c for c in slack.posts(CEO) if "is over after" in c.text]
    # The held drafts can be approved again, and the calendar's timers see them again.
    driver.command("/approve", "2", user=STRAT)
    assert _draft(runtime, 2)["status"] == "approved"
    assert "Crisis mode is off" in driver.command("/crisis", user=AUTHOR).text


def test_the_owner_may_end_it_and_a_new_one_may_start(driver, slack, runtime):
    driver.command("/crisis", "start First", user=LEAD)
    assert "Crisis mode is on" in driver.command("/crisis", user=AUTHOR).text
    driver.command("/crisis", "end", user=LEAD)
    assert "Crisis mode is on (crisis #2)" in driver.command("/crisis", "start Second", user=COMMUNITY).text
    crises = _export(runtime)["crises"]
    assert [c["id"] for c in crises] == [1, 2] and crises[0]["ended_by"] == LEAD and crises[1]["ended_at"] is None


# -- from a crisis escalation --------------------------------------------------------------------
def test_start_crisis_mode_button_on_a_crisis_escalation(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Cheerful", _ts(1))
    driver.command("/escalate", "pr crisis Product recall trending", user=AUTHOR)
    driver.command("/escalate", "support low Typo in bio", user=AUTHOR)
    crisis_post, low_post = _escalation_posts(slack)
    assert ActionId.CRISIS_START in action_ids(crisis_post)
    assert ActionId.CRISIS_START not in action_ids(low_post)
    driver.click(ActionId.CRISIS_START, "2", user=STRAT, channel=ESCALATIONS)
    assert not _export(runtime)["crises"]
    assert [c for c in slack.ephemerals(STRAT) if "not a crisis" in c.text]
    driver.click(ActionId.CRISIS_START, "1", user=AUTHOR, channel=ESCALATIONS)
    assert not _export(runtime)["crises"]
    assert [c for c in slack.ephemerals(AUTHOR) if "Only strategists" in c.text]
    driver.click(ActionId.CRISIS_START, "1", user=STRAT, channel=ESCALATIONS)
    (crisis,) = _export(runtime)["crises"]
    assert crisis["reason"] == "Escalation #1: Product recall trending" and crisis["held"] == [1]
    assert [e["via"] for e in _draft(runtime, 1)["history"] if e["action"] == "held"] == ["button"]
    assert "from escalation #1" in _escalation_posts(slack)[-1].all_text()
    driver.click(ActionId.CRISIS_START, "1", user=LEAD, channel=ESCALATIONS)
    assert len(_export(runtime)["crises"]) == 1
    assert [c for c in slack.ephemerals(LEAD) if "already on" in c.text]


# -- bad input -----------------------------------------------------------------------------------
def test_help_and_unknown_words(driver):
    assert "/crisis start" in driver.command("/crisis", "help", user=AUTHOR).text
    reply = driver.command("/crisis", "launch now", user=STRAT)
    assert "not a /crisis command" in reply.text
    # A command that can be typed as it is, not the usage's placeholders.
    assert "Example: `/crisis start Our delivery partner leaked customer data`" in reply.text


def test_help_after_a_sub_command_answers_help_and_changes_nothing(driver, slack, runtime):
    """`/crisis start help` or `/crisis end help` asks how; it never starts, updates or ends a crisis."""
    for text in ("start help", "START ?", "update help", "end help", "end --help"):
        reply = driver.command("/crisis", text, user=STRAT)
        assert "*/crisis*" in reply.text and "Examples" in reply.text, text
    assert _export(runtime)["crises"] == []
    driver.command("/crisis", "start Outage", user=STRAT)
    for text in ("update help", "end help"):
        assert "Examples" in driver.command("/crisis", text, user=STRAT).text
    (crisis,) = _export(runtime)["crises"]
    assert crisis["ended_at"] is None and crisis["updates"] == []
    assert not [c for c in slack.posts(CEO) if "help" in c.text]


def test_refusals_with_one_clear_answer_each(driver, runtime):
    assert "Crisis mode is off" in driver.command("/crisis", user=AUTHOR).text
    assert "not on" in driver.command("/crisis", "end", user=STRAT).text
    assert "not on" in driver.command("/crisis", "update Anything", user=STRAT).text
    assert (
        "Only strategists, team leads and community managers"
        in driver.command("/crisis", "start Panic", user=AUTHOR).text
    )
    assert "Say what happened" in driver.command("/crisis", "start", user=STRAT).text
    assert not _export(runtime)["crises"]
    driver.command("/crisis", "start Outage", user=LEAD)
    during = driver.command("/crisis", "start Another one", user=STRAT)
    assert "already on (crisis #1, started by <@U0LEAD>)" in during.text
    assert "Say what the update is" in driver.command("/crisis", "update", user=LEAD).text
    assert "Only the person who started" in driver.command("/crisis", "update Hi", user=AUTHOR).text
    assert "Only <@U0LEAD>" in driver.command("/crisis", "end", user=COMMUNITY).text
    (crisis,) = _export(runtime)["crises"]
    assert crisis["ended_at"] is None and crisis["updates"] == []


def test_reasons_updates_and_summaries_cannot_broadcast_or_forge_links(driver, slack, runtime):
    escaped = HOSTILE  # slash-command text arrives escaped by Slack: mentions and links as tokens
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Cheerful", _ts(1))
    driver.command("/crisis", f"start {escaped}", user=STRAT)
    driver.command("/crisis", f"update {escaped}", user=STRAT)
    driver.command("/crisis", f"end {escaped}", user=STRAT)
    sent = slack.everything_sent()
    for token in ("<!channel>", "<!here>", "<!subteam^", "|https://bank.test>"):
        assert token not in sent
    assert "evil.test/login" in sent  # the real address is shown
    (crisis,) = _export(runtime)["crises"]
    assert crisis["reason"] == crisis["summary"] == crisis["updates"][0]["text"] == HOSTILE


# -- export and config ---------------------------------------------------------------------------
def test_csv_export_has_crises_and_their_updates(driver, runtime):
    driver.message(DRAFTS, AUTHOR, "[instagram] tomorrow 10:00 Cheerful", _ts(1))
    driver.command("/crisis", "start Outage, sorry", user=STRAT)
    driver.command("/crisis", "update Still on it", user=STRAT)
    with runtime.session_factory() as session:
        text = to_csv(export_all(session))
    rows = [line for line in text.splitlines() if line.startswith(("crisis,", "crisis_update,"))]
    assert len(rows) == 2 and '"Outage, sorry"' in rows[0] and "Still on it" in rows[1]


@pytest.mark.parametrize(
    "crisis", [{"hold_hours": 0}, {"update_every_minutes": 1}, {"hold_hours": "soon"}, {"unknown": 1}]
)
def test_crisis_settings_are_checked_at_start_up(crisis):
    with pytest.raises(ValidationError):
        make_config(crisis=crisis)


def test_crisis_settings_default_and_override():
    assert make_config().crisis.hold_hours == 72 and make_config().crisis.update_every_minutes == 30
    assert make_config(crisis={"hold_hours": 24}).crisis.hold_hours == 24
