"""Drafts and approvals through the real Bolt app: messages, reactions, buttons, /approve."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.app import create_app, export_all, run_jobs
from bot.core.clock import utcnow
from bot.core.db import transaction
from bot.core.errors import BadInput, Conflict
from bot.features.approvals import service as approvals
from bot.features.approvals.models import Draft, DraftAction, DraftReaction, DraftStatus, Via
from bot.features.approvals.service import Content
from bot.features.roles import service as roles
from bot.slack.ids import ActionId, ViewId
from bot.slack.runtime import make_client
from tests.conftest import BOT_TOKEN, make_config
from tests.driver import SlackDriver
from tests.helpers import sqlite_only, submit_draft

DRAFTS = "C0DRAFTS"
AUTHOR = "U0ANNA"
CM = "U0CONTENT"
STRAT = "U0STRAT"


def _draft(runtime, draft_id=1) -> Draft:
    with runtime.session_factory() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        draft.steps, draft.history  # load while the session is open  # noqa: B018
        return draft


def _exported(runtime, draft_id=1) -> dict:
    with runtime.session_factory() as session:
        return next(d for d in export_all(session)["drafts"] if d["id"] == draft_id)


def _post_draft(driver, ts="1700000000.000100", user=AUTHOR, text="New campaign post: spring is here"):
    return driver.message(DRAFTS, user, text, ts)


def _thread_posts(slack, ts="1700000000.000100"):
    return [c for c in slack.posts(DRAFTS) if c.params.get("thread_ts") == ts]


# -- drafts ----------------------------------------------------------------------------------------
def test_top_level_message_becomes_draft_with_status_in_thread(driver, slack, runtime):
    reply = _post_draft(driver)
    assert reply.status == 200
    status = _thread_posts(slack)
    assert len(status) == 1
    text = status[0].all_text()
    assert "Draft #1" in text and "<@U0CONTENT>" in text and "content_manager" in text and "strategist" in text
    action_ids = [e["action_id"] for b in status[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == [ActionId.APPROVE, ActionId.REQUEST_CHANGES, ActionId.REJECT]
    assert _exported(runtime)["status"] == "pending"


def test_file_share_draft_and_private_channel(driver, slack):
    driver.event(
        {
            "type": "message",
            "subtype": "file_share",
            "channel": DRAFTS,
            "user": AUTHOR,
            "text": "with image",
            "ts": "1700000000.000200",
            "files": [{"id": "F1"}],
            "channel_type": "group",
        }
    )
    assert len(_thread_posts(slack, "1700000000.000200")) == 1


@pytest.mark.parametrize(
    "event",
    [
        {"user": AUTHOR, "thread_ts": "1699999999.000001"},  # a reply in a thread
        {"bot_id": "B0OTHER", "user": "U0OTHERBOT"},  # another bot
        {"user": "USLACKBOT", "text": "Reminder: post the launch teaser."},  # a /remind firing, by Slackbot
        {"user": AUTHOR, "subtype": "channel_join"},
        {"user": AUTHOR, "channel": "C0GENERAL"},  # not the drafts channel
    ],
)
def test_messages_that_are_not_drafts(driver, slack, runtime, event):
    base = {"type": "message", "channel": DRAFTS, "text": "hello", "ts": "1700000000.000300"}
    driver.event({**base, **event})
    assert slack.posts() == []
    with runtime.session_factory() as session:
        assert session.scalar(select(Draft)) is None


def test_same_event_retried_counts_once(driver, slack, runtime):
    event = {"type": "message", "channel": DRAFTS, "user": AUTHOR, "text": "post", "ts": "1700000000.000100"}
    for retry in (None, 1, 2, 3):
        driver.event(event, event_id="Ev0SAME", retry_num=retry)
    assert len(slack.posts()) == 1
    with runtime.session_factory() as session:
        assert len(session.scalars(select(Draft)).all()) == 1


# -- approving -------------------------------------------------------------------------------------
def test_full_chain_by_reactions(driver, slack, runtime):
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    draft = _draft(runtime)
    assert draft.status == "pending" and draft.current_step == 1
    updates = slack.of("chat.update")
    assert updates and "approved by <@U0CONTENT>" in updates[-1].all_text()
    notice = _thread_posts(slack)[-1].text
    assert "Next: *strategist*" in notice and "<@U0STRAT>" in notice

    driver.reaction(STRAT, "white_check_mark::skin-tone-3", DRAFTS, "1700000000.000100")
    draft = _draft(runtime)
    assert draft.status == "approved" and draft.decided_at is not None
    final = _thread_posts(slack)[-1].text
    assert "approved" in final and "<@U0ANNA>" in final and "<@U0COMMUNITY>" in final
    exported = _exported(runtime)
    assert [s["approved_by"] for s in exported["steps"]] == [CM, STRAT]
    assert [(h["action"], h["by"], h["via"], h["step"]) for h in exported["history"]] == [
        ("approved", CM, "reaction", 1),
        ("approved", STRAT, "reaction", 2),
    ]


def test_reaction_without_the_role_changes_nothing_and_says_why(driver, slack, runtime):
    _post_draft(driver)
    driver.reaction("U0RANDOM", "white_check_mark", DRAFTS, "1700000000.000100")
    assert _draft(runtime).current_step == 0
    told = slack.ephemerals("U0RANDOM")
    assert told and "waiting for a content_manager" in told[0].text
    # The strategist holds the second step, not the first.
    driver.reaction(STRAT, "white_check_mark", DRAFTS, "1700000000.000100")
    assert _draft(runtime).current_step == 0
    assert "waiting for a content_manager" in slack.ephemerals(STRAT)[0].text


def test_author_cannot_approve_own_draft(driver, slack, runtime):
    _post_draft(driver, user=CM)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    assert "You wrote draft #1" in slack.ephemerals(CM)[0].text
    assert _draft(runtime).current_step == 0


def test_step_falls_to_strategists_when_only_the_author_holds_the_role(driver, slack, runtime):
    _post_draft(driver, user=CM)
    assert "<@U0STRAT>" in _thread_posts(slack)[0].all_text()
    driver.reaction(STRAT, "white_check_mark", DRAFTS, "1700000000.000100")
    draft = _draft(runtime)
    assert draft.current_step == 1


def test_one_person_takes_at_most_one_step(driver, slack, runtime):
    with transaction(runtime.session_factory) as session:
        roles.add(session, "U0BOTH", "content_manager", by=STRAT, now=utcnow())
        roles.add(session, "U0BOTH", "strategist", by=STRAT, now=utcnow())
    _post_draft(driver)
    driver.reaction("U0BOTH", "white_check_mark", DRAFTS, "1700000000.000100")
    driver.command("/approve", "1", user="U0BOTH")
    driver.click(ActionId.APPROVE, "1", user="U0BOTH", channel=DRAFTS)
    draft = _draft(runtime)
    assert draft.current_step == 1 and draft.status == "pending"
    assert [s.approved_by for s in draft.steps if s.active] == ["U0BOTH"]


def test_double_click_and_reaction_plus_command_count_once(driver, slack, runtime):
    _post_draft(driver)
    driver.click(ActionId.APPROVE, "1", user=CM, channel=DRAFTS)
    driver.click(ActionId.APPROVE, "1", user=CM, channel=DRAFTS)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    reply = driver.command("/approve", "#1", user=CM)
    assert "already approved" in reply.text
    draft = _draft(runtime)
    assert len([s for s in draft.steps if s.active]) == 1
    assert [h.action for h in draft.history] == ["approved"]
    assert len([p for p in _thread_posts(slack) if "Next:" in p.text]) == 1


def test_removing_the_approve_reaction_withdraws_the_step(driver, slack, runtime):
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100", added=False)
    draft = _draft(runtime)
    assert draft.current_step == 0 and not [s for s in draft.steps if s.active]
    assert draft.history[-1].action == "approval_withdrawn"
    assert "waiting for <@U0CONTENT>" in slack.of("chat.update")[-1].all_text()


def test_withdrawing_a_step_takes_back_the_later_ones_and_says_so(runtime, sender, slack):
    three_steps = make_config(approval={"chain": ["content_manager", "community_manager", "strategist"]})
    driver = SlackDriver(create_app(dataclasses.replace(runtime, config=three_steps)), sender)
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    driver.reaction("U0COMMUNITY", "white_check_mark", DRAFTS, "1700000000.000100")
    assert _draft(runtime).current_step == 2
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100", added=False)

    draft = _draft(runtime)
    assert draft.status == "pending" and draft.current_step == 0 and not [s for s in draft.steps if s.active]
    history = [(h["action"], h["by"], h["step"]) for h in _exported(runtime)["history"]]
    assert history[-2:] == [("approval_withdrawn", CM, 1), ("approval_reset", CM, 2)]
    assert "U0COMMUNITY" in _exported(runtime)["history"][-1]["note"]
    notice = _thread_posts(slack)[-1].text
    assert "took back their approval of step 1" in notice and "<@U0COMMUNITY>" in notice
    assert "needed again" in notice and "waits for <@U0CONTENT>" in notice


def test_removing_a_reaction_that_gave_no_step_keeps_the_step_given_otherwise(runtime, sender):
    """A refused (too early) reaction, taken off after its person approved by command, and a
    duplicate reaction on top of a button approval, taken off again: neither gave the step, so
    neither takes it back."""
    three_steps = make_config(approval={"chain": ["content_manager", "community_manager", "strategist"]})
    driver = SlackDriver(create_app(dataclasses.replace(runtime, config=three_steps)), sender)
    _post_draft(driver)
    driver.reaction("U0COMMUNITY", "white_check_mark", DRAFTS, "1700000000.000100")  # too early: refused
    driver.click(ActionId.APPROVE, "1", user=CM, channel=DRAFTS)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")  # the same approval again
    driver.command("/approve", "1 looks good", user="U0COMMUNITY")
    assert _draft(runtime).current_step == 2

    driver.reaction("U0COMMUNITY", "white_check_mark", DRAFTS, "1700000000.000100", added=False)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100", added=False)

    exported = _exported(runtime)
    assert [s["approved_by"] for s in exported["steps"]] == [CM, "U0COMMUNITY", None]
    assert "approval_withdrawn" not in [h["action"] for h in exported["history"]]


def test_workflow_reactions_on_the_status_message_act_on_its_draft(driver, slack, runtime):
    _post_draft(driver)
    status_ts = next(m["ts"] for m in slack.messages[DRAFTS] if m["thread_ts"] == "1700000000.000100")
    driver.reaction(CM, "tada", DRAFTS, status_ts)  # not one of the draft's own reactions
    driver.reaction(CM, "white_check_mark", DRAFTS, status_ts)
    exported = _exported(runtime)
    assert exported["steps"][0]["approved_by"] == CM and exported["history"][-1]["via"] == "reaction"
    with runtime.session_factory() as session:
        assert session.scalars(select(DraftReaction.emoji)).all() == []

    driver.reaction(CM, "white_check_mark", DRAFTS, status_ts, added=False)
    assert _exported(runtime)["history"][-1]["action"] == "approval_withdrawn"
    driver.reaction(STRAT, "x", DRAFTS, "1700000000.999999")  # some other message: nothing happens
    assert _exported(runtime)["status"] == "pending"


def test_a_refused_reaction_retried_by_slack_is_answered_once(driver, slack):
    _post_draft(driver)
    for retry_num in (None, 1, 2, 3):
        reply = driver.reaction(
            "U0BEN", "white_check_mark", DRAFTS, "1700000000.000100", event_id="EvREFUSED", retry_num=retry_num
        )
        assert reply.status == 200
    refusals = slack.ephemerals("U0BEN")
    assert len(refusals) == 1 and "content_manager" in refusals[0].all_text()


def test_an_approval_by_reaction_lasts_while_any_of_the_persons_approve_reactions_is_on(runtime, sender, slack):
    thumbs = make_config(approval={"approve_emoji": "+1"})
    driver = SlackDriver(create_app(dataclasses.replace(runtime, config=thumbs)), sender)
    _post_draft(driver)
    status_ts = next(m["ts"] for m in slack.messages[DRAFTS] if m["thread_ts"] == "1700000000.000100")
    driver.reaction(CM, "+1", DRAFTS, "1700000000.000100")
    driver.reaction(CM, "+1::skin-tone-3", DRAFTS, "1700000000.000100")
    driver.reaction(CM, "+1", DRAFTS, status_ts)
    driver.reaction(CM, "+1", DRAFTS, status_ts, added=False)
    driver.reaction(CM, "+1", DRAFTS, "1700000000.000100", added=False)
    assert _exported(runtime)["steps"][0]["approved_by"] == CM  # the skin-tone one is still on
    driver.reaction(CM, "+1::skin-tone-3", DRAFTS, "1700000000.000100", added=False)
    exported = _exported(runtime)
    assert exported["steps"][0]["approved_by"] is None and exported["history"][-1]["action"] == "approval_withdrawn"


def test_removing_the_approve_reaction_after_a_rejection_withdraws_the_step(driver, runtime):
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    driver.reaction(STRAT, "x", DRAFTS, "1700000000.000100")
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100", added=False)
    exported = _exported(runtime)
    assert exported["status"] == "rejected"
    assert [s["approved_by"] for s in exported["steps"]] == [None, None]
    assert exported["history"][-1]["action"] == "approval_withdrawn"


def test_removing_after_final_approval_changes_nothing(driver, runtime):
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    driver.reaction(STRAT, "white_check_mark", DRAFTS, "1700000000.000100")
    driver.reaction(STRAT, "white_check_mark", DRAFTS, "1700000000.000100", added=False)
    assert _draft(runtime).status == "approved"


# -- edits and deletion ----------------------------------------------------------------------------
def _changed(driver, text, previous_text, **message_extra):
    return driver.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "ts": "1700000001.000001",
            "message": {"type": "message", "user": AUTHOR, "text": text, "ts": "1700000000.000100", **message_extra},
            "previous_message": {"type": "message", "user": AUTHOR, "text": previous_text, "ts": "1700000000.000100"},
        }
    )


def test_edit_after_approval_resets_to_first_step(driver, slack, runtime):
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    _changed(driver, "New campaign post: summer is here", "New campaign post: spring is here")
    draft = _draft(runtime)
    assert draft.current_step == 0 and draft.text.endswith("summer is here")
    assert "starts again from step 1" in _thread_posts(slack)[-1].text
    assert _exported(runtime)["history"][-1]["via"] == "edit"


def test_link_preview_is_not_an_edit(driver, slack, runtime):
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    before = len(slack.posts())
    _changed(
        driver,
        "New campaign post: spring is here",
        "New campaign post: spring is here",
        attachments=[{"title": "preview"}],
    )
    assert _draft(runtime).current_step == 1
    assert len(slack.posts()) == before


def test_edit_before_any_review_just_updates_the_text(driver, slack, runtime):
    _post_draft(driver)
    before = len(slack.posts())
    _changed(driver, "typo fixed", "New campaign post: spring is here")
    assert _draft(runtime).text == "typo fixed"
    assert len(slack.posts()) == before


@pytest.mark.parametrize("how", ["deleted", "tombstone"])
def test_deleting_a_draft_withdraws_it(driver, slack, runtime, how):
    _post_draft(driver)
    if how == "deleted":
        driver.event(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": DRAFTS,
                "deleted_ts": "1700000000.000100",
                "ts": "1700000002.000001",
                "previous_message": {"user": AUTHOR, "text": "x", "ts": "1700000000.000100"},
            }
        )
    else:
        _changed(driver, "This message was deleted.", "New campaign post", subtype="tombstone")
    assert _draft(runtime).status == "withdrawn"
    assert "withdrawn" in slack.of("chat.update")[-1].all_text()


# -- reject and changes ----------------------------------------------------------------------------
def test_reject_button_opens_reason_modal_then_records(driver, slack, runtime):
    _post_draft(driver)
    driver.click(ActionId.REJECT, "1", user=CM, channel=DRAFTS)
    opened = slack.of("views.open")
    assert len(opened) == 1 and opened[0].params["trigger_id"].startswith("trigger-")
    view = opened[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == ViewId.DRAFT_REASON
    assert _draft(runtime).status == "pending"  # nothing recorded until the form is sent
    reply = driver.submit_view(
        ViewId.DRAFT_REASON,
        {"reason": {"value": {"type": "plain_text_input", "value": "Off-brand <!channel> tone"}}},
        user=CM,
        private_metadata=view["private_metadata"],
    )
    assert reply.status == 200
    draft = _draft(runtime)
    assert draft.status == "rejected"
    notice = _thread_posts(slack)[-1].text
    assert "<@U0ANNA>" in notice and "Off-brand" in notice and "<!channel>" not in notice
    assert _exported(runtime)["history"][-1] == {
        "action": "rejected",
        "by": CM,
        "at": _exported(runtime)["history"][-1]["at"],
        "via": "button",
        "step": 1,
        "note": "Off-brand <!channel> tone",  # as written: the export is a report, not a Slack message
    }


def test_reject_button_refused_for_someone_without_the_role(driver, slack, runtime):
    _post_draft(driver)
    driver.click(ActionId.REJECT, "1", user="U0RANDOM", channel=DRAFTS)
    assert slack.of("views.open") == []
    assert "waiting for a content_manager" in slack.ephemerals("U0RANDOM")[0].text


def test_views_open_failure_is_reported_not_retried(driver, slack, runtime):
    _post_draft(driver)
    slack.fail("views.open", 500)
    driver.click(ActionId.REQUEST_CHANGES, "1", user=CM, channel=DRAFTS)
    assert "could not open the form" in slack.ephemerals(CM)[0].text
    assert slack.of("views.open") == []


def test_views_open_is_tried_once_when_the_connection_breaks(runtime, sender, slack):
    # A trigger_id works once: a retried views.open could only fail again or open a second form.
    closing = socket.create_server(("127.0.0.1", 0))
    connections: list[int] = []

    def accept_and_close() -> None:
        while True:
            try:
                connection, _ = closing.accept()
            except OSError:
                return
            connections.append(1)
            connection.close()

    threading.Thread(target=accept_and_close, daemon=True).start()
    broken_url = f"http://127.0.0.1:{closing.getsockname()[1]}/api/"
    driver = SlackDriver(create_app(dataclasses.replace(runtime, client=make_client(BOT_TOKEN, broken_url))), sender)
    _post_draft(driver)
    connections.clear()
    reply = driver.click(ActionId.REJECT, "1", user=CM, channel=DRAFTS)
    closing.close()
    assert reply.status == 200 and len(connections) == 1
    assert "could not open the form just now; please click the button again" in slack.ephemerals(CM)[0].text
    assert _draft(runtime).status == "pending"


def test_a_reason_sent_after_the_reaction_counted_is_kept(driver, slack, runtime):
    # The person opened the Reject form, and their ❌ reaction was recorded before they sent it.
    _post_draft(driver)
    driver.click(ActionId.REJECT, "1", user=CM, channel=DRAFTS)
    view = slack.of("views.open")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    driver.reaction(CM, "x", DRAFTS, "1700000000.000100")
    reply = driver.submit_view(
        ViewId.DRAFT_REASON,
        {"reason": {"value": {"type": "plain_text_input", "value": "Off-brand tone"}}},
        user=CM,
        private_metadata=view["private_metadata"],
    )
    assert reply.status == 200 and reply.body == ""
    history = _exported(runtime)["history"]
    assert [(h["action"], h["note"]) for h in history] == [
        ("rejected", "Off-brand tone"),
        ("reason_added", "Off-brand tone"),
    ]
    assert "Off-brand tone" in _thread_posts(slack)[-1].text


def test_status_message_names_at_most_twenty_approvers(driver, slack, runtime):
    with transaction(runtime.session_factory) as session:
        for index in range(25):
            roles.add(session, f"U0CM{index:02d}", "content_manager", by=STRAT, now=utcnow())
    _post_draft(driver)
    status = _thread_posts(slack)[0].all_text()
    assert status.count("<@U0C") == 20 and "and 6 more" in status  # U0CONTENT and 19 of the 25


def test_changes_reaction_then_add_reason(driver, slack, runtime):
    _post_draft(driver)
    driver.reaction(CM, "memo", DRAFTS, "1700000000.000100")
    assert _draft(runtime).status == "changes_requested"
    prompt = slack.ephemerals(CM)[-1]
    assert prompt.blocks[0]["accessory"]["action_id"] == ActionId.ADD_REASON
    driver.click(ActionId.ADD_REASON, "1", user=CM, channel=DRAFTS)
    view = slack.of("views.open")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    driver.submit_view(
        ViewId.DRAFT_REASON,
        {"reason": {"value": {"type": "plain_text_input", "value": "Shorter headline"}}},
        user=CM,
        private_metadata=view["private_metadata"],
    )
    assert "Shorter headline" in _thread_posts(slack)[-1].text
    history = _exported(runtime)["history"]
    assert history[0]["action"] == "changes_requested" and history[0]["note"] == "Shorter headline"


def test_edit_after_changes_requested_restarts_review(driver, runtime):
    _post_draft(driver)
    driver.reaction(CM, "memo", DRAFTS, "1700000000.000100")
    _changed(driver, "better version", "New campaign post: spring is here")
    draft = _draft(runtime)
    assert draft.status == "pending" and draft.current_step == 0


# -- /approve --------------------------------------------------------------------------------------
@sqlite_only
def test_approve_help(driver):
    reply = driver.command("/approve", "help")
    assert "/approve" in reply.text and "/approve #12" in reply.text


def test_approve_lists_drafts_waiting_for_me(driver):
    _post_draft(driver, ts="1700000000.000100")
    _post_draft(driver, ts="1700000000.000200", user=CM)
    mine = driver.command("/approve", "", user=CM).text
    assert "draft #1" in mine and "draft #2" not in mine
    assert "https://slack.com/archives/C0DRAFTS/p1700000000000100" in mine
    strategist = driver.command("/approve", "list", user=STRAT).text
    assert "draft #2" in strategist and "draft #1" not in strategist
    assert "Nothing is waiting for you" in driver.command("/approve", "", user="U0RANDOM").text


def test_long_waiting_list_shows_the_oldest_twenty_and_the_count(driver):
    for n in range(25):
        _post_draft(driver, ts=f"1700000000.{n + 1:06d}")
    reply = driver.command("/approve", "", user=CM)
    assert reply.json["text"].startswith("25 draft(s) waiting for you")
    assert "draft #20" in reply.text and "draft #21" not in reply.text and "…and 5 more" in reply.text


def test_approve_by_id_permalink_and_note(driver, runtime):
    _post_draft(driver)
    link = "<https://acme.slack.com/archives/C0DRAFTS/p1700000000000100|the spring post>"  # a label with spaces
    reply = driver.command("/approve", f"{link} nice", user=CM)
    assert "You approved step 1 of draft #1" in reply.text
    reply = driver.command("/approve", "1 ship it", user=STRAT)
    assert "final approval" in reply.text
    steps = _exported(runtime)["steps"]
    assert steps[0]["note"] == "nice" and steps[1]["note"] == "ship it" and steps[1]["via"] == "command"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "is not a draft id or a draft's link"),
        ("#999", "There is no draft #999"),
        ("<https://acme.slack.com/archives/C0GENERAL/p1700000000000999>", "is not a draft"),
        ("<!channel>", "is not a draft id"),
    ],
)
def test_approve_bad_input(driver, slack, text, expected):
    _post_draft(driver)
    reply = driver.command("/approve", text, user=CM)
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    assert expected in reply.text and "Example" in reply.text
    assert "<!channel>" not in reply.body and "<!channel>" not in slack.everything_sent()


def test_approve_note_cannot_ping_channel(driver, slack):
    _post_draft(driver)
    driver.command("/approve", "1 <!channel> <!here> <!subteam^S123|@team> look", user=CM)
    sent = slack.everything_sent()
    assert "<!channel>" not in sent and "<!here>" not in sent and "<!subteam" not in sent


def test_user_text_in_drafts_is_defused_in_bot_messages(driver, slack):
    _post_draft(driver, text="<!channel> big news <https://evil.example|https://bank.example>")
    driver.reaction(CM, "memo", DRAFTS, "1700000000.000100")
    sent = slack.everything_sent()
    assert "<!channel>" not in sent


# -- reactions are counted for the digest ----------------------------------------------------------
def test_reactions_are_recorded_with_skin_tones_folded(driver, runtime):
    _post_draft(driver)
    driver.reaction("U0X", "+1::skin-tone-2", DRAFTS, "1700000000.000100")
    driver.reaction("U0Y", "fire", DRAFTS, "1700000000.000100")
    driver.reaction("U0Y", "fire", DRAFTS, "1700000000.000100", added=False)
    with runtime.session_factory() as session:
        rows = session.execute(select(DraftReaction.user_id, DraftReaction.emoji)).all()
    assert rows == [("U0X", "+1")]


# -- reminders -------------------------------------------------------------------------------------
def test_waiting_draft_is_reminded_once_per_step(driver, slack, runtime, sender):
    start = utcnow().replace(microsecond=0)
    with freeze_time(start):
        _post_draft(driver)
    with freeze_time(start + timedelta(minutes=239)):
        run_jobs(runtime, utcnow())
        sender.drain()
        assert not [p for p in slack.posts() if "⏰" in p.text]
    with freeze_time(start + timedelta(minutes=241)):
        run_jobs(runtime, utcnow())
        run_jobs(runtime, utcnow())
        sender.drain()
    reminders = [p for p in slack.posts() if "⏰" in p.text]
    assert len(reminders) == 1 and "<@U0CONTENT>" in reminders[0].text
    assert reminders[0].params["thread_ts"] == "1700000000.000100"
    assert _exported(runtime)["history"][-1]["via"] == "schedule"


def test_a_reminder_selected_just_before_an_approval_is_not_posted(driver, runtime):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the race is about PostgreSQL's concurrent transactions (SQLite serialises writers)")
    start = utcnow() - timedelta(hours=5)
    with freeze_time(start):
        _post_draft(driver)
    now = utcnow()
    with runtime.session_factory() as job, job.begin():
        [(draft, _approvers)] = approvals.due_reminders(job, now, timedelta(minutes=240))
        driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")  # commits meanwhile
        assert approvals.claim_reminder(job, draft, now) is False


def test_a_step_everyone_holding_has_used_up_falls_to_the_strategists(runtime, sender, slack):
    with transaction(runtime.session_factory) as session:
        roles.add(session, "U0COMMUNITY", "content_manager", by=STRAT, now=utcnow())
    chain = make_config(approval={"chain": ["content_manager", "community_manager"]})
    driver = SlackDriver(create_app(dataclasses.replace(runtime, config=chain)), sender)
    _post_draft(driver)
    driver.command("/approve", "1", user="U0COMMUNITY")  # the only community manager takes step 1
    assert "Next: *community_manager* — <@U0STRAT>, please review" in _thread_posts(slack)[-1].text
    assert "draft #1" in driver.command("/approve", "", user=STRAT).text  # on their waiting list too
    driver.command("/approve", "1", user=STRAT)
    assert _draft(runtime).status == "approved"


def test_a_step_nobody_can_take_says_how_to_fix_it(driver, runtime, slack):
    with transaction(runtime.session_factory) as session:
        roles.add(session, STRAT, "content_manager", by=STRAT, now=utcnow())
        roles.remove(session, CM, "content_manager")
    _post_draft(driver)
    driver.command("/approve", "1", user=STRAT)  # the only strategist takes step 1
    notice = _thread_posts(slack)[-1].text
    assert "nobody can take this step yet (add a strategist with `/team add @name strategist`)" in notice


# -- delivery when Slack fails ---------------------------------------------------------------------
def test_rate_limited_posts_wait_in_the_outbox_and_keep_order(driver, slack, runtime, sender):
    slack.fail("chat.postMessage", 429, retry_after=30, times=1)
    _post_draft(driver)
    driver.reaction(CM, "white_check_mark", DRAFTS, "1700000000.000100")
    assert slack.posts() == [] and slack.of("chat.update") == []  # held behind the 429
    assert sender.pending_count() == 3
    later = utcnow() + timedelta(seconds=31)
    sender.drain(now=later)
    assert sender.pending_count() == 0
    methods = [c.method for c in slack.calls if c.method.startswith("chat.")]
    assert methods == ["chat.postMessage", "chat.update", "chat.postMessage"]


def test_server_errors_are_retried_with_backoff(driver, slack, sender):
    slack.fail("chat.postMessage", 500, times=2)
    _post_draft(driver)
    assert slack.posts() == []
    sender.drain(now=utcnow() + timedelta(seconds=5))
    sender.drain(now=utcnow() + timedelta(seconds=30))
    assert len(slack.posts()) == 1


# -- concurrency -----------------------------------------------------------------------------------
def test_concurrent_approvals_give_one_consistent_result(runtime, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the race is about PostgreSQL's concurrent transactions")
    now = utcnow()
    with transaction(runtime.session_factory) as session:
        draft = submit_draft(session, now, ts="1.1", author=AUTHOR, text="x")
        draft_id = draft.id
        for index in range(8):
            roles.add(session, f"U0CM{index}", "content_manager", by=STRAT, now=now)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def act(user: str) -> None:
        barrier.wait()
        try:
            with transaction(runtime.session_factory) as session:
                outcome = approvals.approve(session, approvals.lock(session, draft_id), by=user, via="button", now=now)
                results.append("ok" if not outcome.duplicate else "dup")
        except Exception as exc:  # the losers must fail with a domain error, nothing else
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=act, args=(f"U0CM{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["NotAllowed"] * 7 + ["ok"]
    draft = _draft(runtime, draft_id)
    assert draft.current_step == 1
    assert len([s for s in draft.steps if s.active]) == 1


def test_waiting_list_leaves_out_drafts_i_already_took_a_step_of(driver, runtime):
    with transaction(runtime.session_factory) as session:
        roles.add(session, "U0BOTH", "content_manager", by=STRAT, now=utcnow())
        roles.add(session, "U0BOTH", "strategist", by=STRAT, now=utcnow())
    _post_draft(driver)
    assert "draft #1" in driver.command("/approve", "", user="U0BOTH").text
    driver.command("/approve", "1", user="U0BOTH")
    assert "draft #1" not in driver.command("/approve", "", user="U0BOTH").text
    assert "draft #1" in driver.command("/approve", "", user=STRAT).text


# -- the rules of the service, without Slack -------------------------------------------------------
def _submitted(session, now, text="v1"):
    return approvals.submit(
        session,
        channel=DRAFTS,
        ts="1700000000.000100",
        author=AUTHOR,
        text=text,
        files_signature="",
        chain=["content_manager", "strategist"],
        now=now,
    )


def test_an_edit_is_new_text_or_files_against_the_message_before_and_the_record(runtime):
    now = utcnow()
    with transaction(runtime.session_factory) as session:
        draft = _submitted(session, now)
        approvals.approve(session, draft, by=CM, via=Via.BUTTON, now=now)

        def edit(text, files, previous):
            return approvals.edit(session, draft, content=Content(text, files), previous=previous, by=AUTHOR, now=now)

        assert edit("v0", "", previous=Content("v0", "")) is None  # a link preview, whatever the record says
        assert edit("v1", "", previous=Content("v0", "")) is None  # what is on record already
        assert draft.current_step == 1 and draft.text == "v1"
        outcome = edit("v1", "F1", previous=Content("v1", ""))
        assert outcome is not None and outcome.action == DraftAction.RESET and outcome.via == Via.EDIT
        assert draft.current_step == 0 and draft.files_signature == "F1" and draft.status == DraftStatus.PENDING


def test_the_reaction_policy(runtime):
    now, emojis = utcnow(), runtime.config.approval

    def react(draft, user, reaction, *, on_draft=False, added=True):
        return approvals.react(
            session,
            draft,
            user=user,
            reaction=reaction,
            message_ts=draft.ts if on_draft else "1700000000.000900",
            on_draft=on_draft,
            added=added,
            emojis=emojis,
            now=now,
        )

    with transaction(runtime.session_factory) as session:
        draft = _submitted(session, now)
        assert react(draft, CM, "tada") is None  # other emoji on the status message do nothing
        assert session.scalar(select(DraftReaction)) is None
        approved = react(draft, CM, f"{emojis.approve_emoji}::skin-tone-2", on_draft=True)
        assert approved is not None and approved.action == DraftAction.APPROVED and approved.via == Via.REACTION
        assert not approved.offer_reason and draft.current_step == 1
        assert session.scalar(select(DraftReaction.emoji)) == emojis.approve_emoji
        rejected = react(draft, STRAT, emojis.reject_emoji)
        assert rejected is not None and rejected.action == DraftAction.REJECTED and rejected.offer_reason
        assert draft.status == DraftStatus.REJECTED
        again = react(draft, STRAT, emojis.reject_emoji)
        assert again is not None and again.duplicate and not again.offer_reason
        assert react(draft, STRAT, emojis.reject_emoji, added=False) is None
        withdrawn = react(draft, CM, f"{emojis.approve_emoji}::skin-tone-2", on_draft=True, added=False)
        assert withdrawn is not None and withdrawn.action == DraftAction.APPROVAL_WITHDRAWN
    assert _exported(runtime)["status"] == "rejected"
    assert [e["action"] for e in _exported(runtime)["history"]] == ["approved", "rejected", "approval_withdrawn"]


def test_a_reason_needs_words_and_a_decision_of_yours_to_explain(runtime):
    now = utcnow()
    with transaction(runtime.session_factory) as session:
        draft = _submitted(session, now)
        with pytest.raises(Conflict, match="is pending now; a reason no longer applies"):
            approvals.check_reason_applies(draft)
        approvals.decide(session, draft, decision=DraftStatus.CHANGES_REQUESTED, by=CM, via=Via.REACTION, now=now)
        approvals.check_reason_applies(draft)
        with pytest.raises(BadInput, match="Write a reason"):
            approvals.add_reason(session, draft, by=CM, note=None, now=now)
        with pytest.raises(Conflict, match="no rejection or change request of yours"):
            approvals.add_reason(session, draft, by=STRAT, note="why", now=now)
        added = approvals.add_reason(session, draft, by=CM, note="shorter, please", now=now)
        assert added.action == DraftAction.REASON_ADDED and added.step == 0
    assert _exported(runtime)["history"][0]["note"] == "shorter, please"
