"""Requests as Slack sends them: signatures, errors, unhandled cases."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from bot.features.roles import listeners as team_listener
from tests.driver import signed_headers
from tests.helpers import sqlite_only


def _team_body(text: str = "") -> str:
    return urlencode(
        {
            "command": "/team",
            "text": text,
            "user_id": "U0ANNA",
            "channel_id": "C1",
            "team_id": "T0TEAM",
            "response_url": "https://hooks.slack.test/1",
            "trigger_id": "t",
        }
    )


@sqlite_only
def test_bad_signature_is_refused(driver):
    body = _team_body()
    headers = signed_headers(body, secret="wrong-secret")
    assert driver.send(body, headers).status == 401


@sqlite_only
def test_stale_signature_is_refused(driver):
    body = _team_body()
    headers = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert driver.send(body, headers).status == 401


@sqlite_only
@pytest.mark.parametrize("timestamp", ["", "now", "12.5", "-1", "²", "1²", "1" * 5000])
def test_a_timestamp_that_is_not_a_number_is_refused_and_nothing_is_sent(driver, slack, timestamp):
    event = {
        "type": "reaction_added",
        "user": "U0VICTIM",
        "reaction": "eyes",
        "item": {"channel": "C0ANY", "ts": "1.2"},
    }
    body = json.dumps({"type": "event_callback", "event_id": "EvFORGED", "team_id": "T0TEAM", "event": event})
    headers = signed_headers(body, content_type="application/json")
    headers["x-slack-request-timestamp"] = timestamp
    assert driver.send(body, headers).status == 401
    assert slack.calls == []


def test_fresh_signature_is_accepted(driver):
    body = _team_body()
    assert driver.send(body, signed_headers(body, timestamp=int(time.time()) - 60)).status == 200


def test_url_verification_challenge(driver):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
    reply = driver.send(body, signed_headers(body, content_type="application/json"))
    assert reply.status == 200 and "abc123" in reply.body


def test_unexpected_error_is_an_apology_not_a_5xx(driver, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(team_listener.roles, "members_by_role", broken)
    reply = driver.command("/team", "")
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral" and "error on its side" in reply.text
    assert "database exploded" not in reply.body
    assert any("unhandled error" in r.message for r in caplog.records)


def test_unexpected_error_in_an_event_tells_the_person(driver, slack, monkeypatch):
    from bot.features.approvals import listeners as approvals_listener

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(approvals_listener.approvals, "submit", broken)
    reply = driver.message("C0DRAFTS", "U0ANNA", "a draft", "1700000000.000100")
    assert reply.status == 200
    assert "error on its side" in slack.ephemerals("U0ANNA")[0].text


def test_events_nobody_listens_to_are_acknowledged(driver):
    reply = driver.event(
        {"type": "reaction_added", "user": "U0ANNA", "reaction": "tada", "item": {"type": "file", "file": "F1"}}
    )
    assert reply.status == 200


def test_long_lists_are_cut_at_twenty(driver):
    from bot.slack.blocks import list_sections

    blocks = list_sections("*Header*", [f"line {i}" for i in range(45)], "empty")
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "line 19" in text and "line 20" not in text and "and 25 more" in text
    assert len(blocks) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_lists_that_would_need_too_many_blocks_count_the_rest():
    from bot.slack.blocks import list_sections

    lines = [f"entry {i:02d} " + "x" * 880 for i in range(25)]
    blocks = list_sections("*Header*", lines, "empty", max_blocks=4)
    text = "\n".join(b["text"]["text"] for b in blocks)
    shown = sum(f"entry {i:02d} " in text for i in range(25))
    assert len(blocks) == 4 and 6 <= shown < 20
    assert text.endswith(f"…and {25 - shown} more")


def _app_without_identity(runtime, sender):  # type: ignore[no-untyped-def]
    """An app whose bot identity is not known yet: Slack could not be asked at start-up."""
    import dataclasses

    from bot.app import create_app
    from bot.slack.identity import BotIdentity
    from tests.driver import SlackDriver

    identity = BotIdentity(runtime.client)
    return SlackDriver(create_app(dataclasses.replace(runtime, identity=identity)), sender), identity


def test_requests_work_while_auth_test_fails(runtime, sender, slack):
    slack.fail("auth.test", 500, times=5)
    driver, identity = _app_without_identity(runtime, sender)
    assert "<@U0STRAT>" in driver.command("/team", "").text
    assert "<@U0STRAT>" in driver.command("/team", "").text
    assert not identity.wait(10)
    # Looked up once and not again for a minute: an outage never slows every request down.
    assert len([c for c in slack.calls if c.method == "auth.test"]) == 0
    assert slack.failures["auth.test"][0].remaining == 4


def test_bot_identity_is_looked_up_once(runtime, sender, slack):
    driver, identity = _app_without_identity(runtime, sender)
    driver.command("/team", "")
    driver.command("/team", "")
    assert identity.wait(10)
    driver.command("/team", "")
    assert len(slack.of("auth.test")) == 1
    assert identity.ids() == {"bot_id": "BBOT", "bot_user_id": "UBOT"}


class _NoDrain:
    def drain(self) -> None:  # the outbox would wait on the hung Web API; only the answers count
        return None


# Slack's own deadline is 3 s; a request that waited for a Web API call that never answers would
# be held for the client's 10 s timeout at least. Between the two, this bound cannot pass by luck.
ANSWER_BOUND_SECONDS = 8.0


def test_commands_are_answered_while_the_web_api_does_not_answer_at_all(runtime, slack):
    import threading

    slack.hang()  # every method, auth.test included
    try:
        driver, identity = _app_without_identity(runtime, _NoDrain())
        answers: list[str] = []
        worker = threading.Thread(target=lambda: [answers.append(driver.command("/team", "").text) for _ in range(2)])
        worker.start()
        worker.join(ANSWER_BOUND_SECONDS)
        assert not worker.is_alive(), "a command waited for the Web API before its acknowledgement"
        assert len(answers) == 2 and all("<@U0STRAT>" in answer for answer in answers)
        assert identity.ids() == {}  # still being asked, in the background
    finally:
        slack.release()
    assert identity.wait(10)


def _signed_json(driver, payload: dict) -> tuple[int, str]:
    body = json.dumps(payload)
    reply = driver.send(body, signed_headers(body, content_type="application/json"))
    return reply.status, reply.body


@pytest.mark.parametrize("event_type", ["app_home_opened", "app_mention", "member_joined_channel", "tokens_revoked"])
def test_an_event_teambot_does_not_use_is_acknowledged(driver, slack, event_type):
    event = {"type": event_type, "user": "U0ANNA", "channel": "C0GENERAL", "text": "<@U0BOT> hi <!channel>"}
    status, body = _signed_json(driver, {"type": "event_callback", "event_id": f"Ev{event_type}", "event": event})
    assert (status, body) == (200, "")
    assert slack.posts() == [] and slack.ephemerals() == []


def test_an_app_rate_limited_notice_is_acknowledged(driver):
    notice = {"type": "app_rate_limited", "team_id": "T0TEAM", "minute_rate_limited": 1518467820, "api_app_id": "A1"}
    assert _signed_json(driver, notice) == (200, "")


def test_unknown_buttons_views_and_shortcuts_are_acknowledged(driver):
    user = {"id": "U0ANNA"}
    payloads = [
        {"type": "block_actions", "user": user, "actions": [{"action_id": "somebody_elses", "value": "1"}]},
        {"type": "view_submission", "user": user, "view": {"type": "modal", "callback_id": "not_ours", "state": {}}},
        {"type": "view_closed", "user": user, "view": {"type": "modal", "callback_id": "not_ours"}},
        {"type": "shortcut", "user": user, "callback_id": "not_ours", "trigger_id": "t"},
    ]
    for payload in payloads:
        body = urlencode({"payload": json.dumps(payload)})
        reply = driver.send(body, signed_headers(body))
        assert (reply.status, reply.body) == (200, ""), payload["type"]


def test_an_unknown_command_is_told_what_teambot_has(driver, slack):
    body = _team_body().replace("%2Fteam", "%2Fteambot")
    reply = driver.send(body, signed_headers(body))
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    assert "no `/teambot` command" in reply.json["text"] and "/team help" in reply.json["text"]


# Values teambot never puts on a button or in a form: an id no row can have (the store's ids are
# 32-bit), a digit that is not a number, words. Each is answered as naming nothing, never with the
# apology for an error on teambot's side.
NOT_AN_ID = ["99999999999999999999999", "2147483648", "²", "abc", "-1", ""]
BUTTONS_NAMING_A_DRAFT_OR_AN_ESCALATION = [
    "draft_approve",
    "draft_reject",
    "draft_request_changes",
    "draft_add_reason",
    "calendar_plan",
    "calendar_mark_published",
    "crisis_start",
    "escalation_ack",
    "idea_accept",
    "handoff_ack",
    "shift_swap_take",
]


@pytest.mark.parametrize("action_id", BUTTONS_NAMING_A_DRAFT_OR_AN_ESCALATION)
def test_a_button_naming_no_id_is_told_so_not_apologised_for(driver, slack, caplog, action_id):
    for value in NOT_AN_ID:
        slack.reset()
        reply = driver.click(action_id, value, user="U0STRAT", channel="C0DRAFTS")
        assert reply.status == 200
        told = "\n".join(c.text for c in slack.ephemerals("U0STRAT"))
        assert "error on its side" not in told, (action_id, value)
        assert told.strip(), (action_id, value)  # told what was wrong, not left wondering
    assert "unhandled error" not in caplog.text


@pytest.mark.parametrize("value", NOT_AN_ID)
def test_a_checklist_box_naming_no_run_is_told_so(driver, slack, caplog, value):
    element = {"type": "checkboxes", "selected_options": [{"value": "0"}]}
    driver.click(
        "checklist_item", "", user="U0STRAT", channel="C0CHECKLIST", block_id=f"checklist:{value}:0", element=element
    )
    assert "does not belong to a checklist run" in "\n".join(c.text for c in slack.ephemerals("U0STRAT"))
    assert "unhandled error" not in caplog.text


@pytest.mark.parametrize(
    "callback_id", ["draft_reason", "calendar_plan_modal", "calendar_published_modal", "crisis_update_modal"]
)
@pytest.mark.parametrize(
    "metadata", ['{"draft": "99999999999999999999999"}', '{"draft": 1e400}', "{}", "[1]", "not json"]
)
def test_a_form_naming_no_draft_is_refused_with_a_reason(driver, caplog, callback_id, metadata):
    reply = driver.submit_view(
        callback_id, {"b": {"a": {"type": "plain_text_input", "value": "x"}}}, user="U0STRAT", private_metadata=metadata
    )
    assert reply.status == 200
    assert "error on its side" not in reply.body, (callback_id, metadata, reply.body)
    assert "unhandled error" not in caplog.text
