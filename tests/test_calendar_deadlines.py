"""The publishing calendar's deadlines and publishing through the real Bolt app: which drafts are
reminded and expire (and who hears it), who is prompted to publish, which drafts never collide,
publishing a draft that has no plan, and the iCalendar status of every settled draft."""

from __future__ import annotations

from datetime import datetime

import pytest
from freezegun import freeze_time
from icalendar import Calendar

from bot.app import calendar_ics, export_all, run_jobs
from bot.core.config import TeamConfig
from bot.slack.ids import ActionId, ViewId
from tests.conftest import BASE_CONFIG, make_config

DRAFTS = "C0DRAFTS"
AUTHOR = "U0PAT"
CM = "U0CONTENT"
STRAT = "U0STRAT"
COMMUNITY = "U0COMMUNITY"
ANNA, BEN = "U0ANNA", "U0BEN"
# Wednesday 2026-12-09, 10:00 in Budapest (UTC+1).
NOW = "2026-12-09 09:00:00"
TS = "1700000000.000100"
OTHER_TS = "1700000000.000200"
# `[… ] fri 16:30` is Friday 2026-12-11 15:30 UTC: reminded 1440 and 120 minutes before (Thursday
# 15:30 and Friday 13:30 UTC), expired 60 minutes before (Friday 14:30 UTC).
FIRST_REMINDER = "2026-12-10 15:30:05"
SECOND_REMINDER = "2026-12-11 13:30:05"
DEADLINE = "2026-12-11 14:30:05"
SLOT = "2026-12-11 15:30:05"


def deadlines_config() -> TeamConfig:
    return make_config(
        accounts=[
            {"name": "instagram", "network": "instagram"},
            {"name": "x", "network": "x", "min_gap_minutes": 60},
            {"name": "tiktok", "network": "tiktok", "publishers": [ANNA, BEN]},
        ],
        # Anna is a community manager too: a default publisher who can be on shift.
        roles={**BASE_CONFIG["roles"], "community_manager": [COMMUNITY, ANNA]},
        # The weekday support shift (09:00–17:00) rotates Anna, Ben, Anna… from Monday 2026-12-07:
        # the week of 2026-12-07 is Anna's, the next one Ben's.
        shifts=[{**BASE_CONFIG["shifts"][0], "rotation_start": "2026-12-07"}],
    )


@pytest.fixture
def config() -> TeamConfig:
    return deadlines_config()


@pytest.fixture(autouse=True)
def _frozen():
    with freeze_time(NOW):
        yield


def _draft(runtime, draft_id=1):
    with runtime.session_factory() as session:
        return next(d for d in export_all(session)["drafts"] if d["id"] == draft_id)


def _thread(slack, ts=TS):
    return [c for c in slack.posts(DRAFTS) if c.params.get("thread_ts") == ts]


def _approve(driver, draft_id=1):
    driver.command("/approve", str(draft_id), user=CM)
    driver.command("/approve", str(draft_id), user=STRAT)


def _tick(runtime, sender, at: str):
    with freeze_time(at):
        run_jobs(runtime, datetime.fromisoformat(at + "+00:00"))
        sender.drain()


def _dms(slack, user, words):
    return [c for c in slack.posts(user) if words in c.text]


def _withdraw(driver, ts):
    driver.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": DRAFTS,
            "deleted_ts": ts,
            "ts": "1700000009.000001",
            "previous_message": {"user": AUTHOR, "text": "x", "ts": ts},
        }
    )


# -- which drafts are reminded and expire --------------------------------------------------------
def test_changes_requested_is_reminded_then_expires_and_everyone_waiting_is_told(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    driver.reaction(CM, "memo", DRAFTS, TS)
    assert _draft(runtime)["status"] == "changes_requested"
    _tick(runtime, sender, FIRST_REMINDER)
    _tick(runtime, sender, FIRST_REMINDER)  # a second tick or replica: still once
    reminders = [c for c in _thread(slack) if "goes out" in c.text]
    assert len(reminders) == 1
    # The author has the next move (the edit), the step's approver the review after it.
    assert f"<@{AUTHOR}>" in reminders[0].text and f"<@{CM}>" in reminders[0].text
    assert "changes were asked for" in reminders[0].text
    _tick(runtime, sender, SECOND_REMINDER)
    assert len([c for c in _thread(slack) if "goes out" in c.text]) == 2
    _tick(runtime, sender, DEADLINE)
    _tick(runtime, sender, DEADLINE)
    assert _draft(runtime)["status"] == "expired"
    assert _draft(runtime)["history"][-1]["action"] == "expired"
    assert len([c for c in _thread(slack) if "expired" in c.text]) == 1
    assert len(_dms(slack, AUTHOR, "expired")) == 1 and len(_dms(slack, CM, "expired")) == 1
    # Nothing is prompted at the slot: the draft never got its final approval.
    _tick(runtime, sender, SLOT)
    assert not _dms(slack, COMMUNITY, "publish") and not _dms(slack, ANNA, "publish")


def test_the_approvers_of_the_step_reached_are_told_of_the_expiry(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    driver.command("/approve", "1", user=CM)  # step 2 of 2 waits for the strategist
    _tick(runtime, sender, DEADLINE)
    assert _draft(runtime)["status"] == "expired"
    assert len(_dms(slack, STRAT, "expired")) == 1 and len(_dms(slack, AUTHOR, "expired")) == 1
    assert f"<@{STRAT}>" in _dms(slack, STRAT, "expired")[0].text
    assert not _dms(slack, CM, "expired")  # took their step already: not waited for


@pytest.mark.parametrize("how", ["rejected", "withdrawn", "on_hold"])
def test_settled_or_held_drafts_are_neither_reminded_nor_expired(driver, slack, runtime, sender, how):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    if how == "rejected":
        driver.reaction(CM, "x", DRAFTS, TS)
    elif how == "withdrawn":
        _withdraw(driver, TS)
    else:
        reply = driver.command("/crisis", "start Product recall", user=STRAT)
        assert "Crisis" in reply.text or "crisis" in reply.text
    assert _draft(runtime)["status"] == how
    for at in (FIRST_REMINDER, SECOND_REMINDER, DEADLINE, SLOT):
        _tick(runtime, sender, at)
    assert _draft(runtime)["status"] == how
    assert not [c for c in _thread(slack) if "goes out" in c.text or "expired" in c.text]
    assert not _dms(slack, AUTHOR, "expired") and not _dms(slack, CM, "expired")


def test_an_expired_changes_requested_draft_comes_back_pending_when_re_planned(driver, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    driver.command("/approve", "1", user=CM)
    driver.reaction(STRAT, "memo", DRAFTS, TS)
    _tick(runtime, sender, DEADLINE)
    assert _draft(runtime)["status"] == "expired"
    with freeze_time("2026-12-11 14:40:00"):
        reply = driver.command("/calendar", "plan 1 instagram 2026-12-12 10:00", user=AUTHOR)
    assert "waits for approval again at step 2" in reply.text
    exported = _draft(runtime)
    assert exported["status"] == "pending" and exported["steps"][0]["approved_by"] == CM


# -- who is prompted to publish ------------------------------------------------------------------
def test_the_publisher_on_shift_at_the_slot_is_prompted_and_reminded_alone(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[tiktok] fri 16:30 Dance", TS)
    _approve(driver)
    _tick(runtime, sender, SLOT)
    # Friday 16:30 falls in Anna's weekday shift; Ben publishes on tiktok too but is off.
    assert len(_dms(slack, ANNA, "Time to publish")) == 1 and not _dms(slack, BEN, "Time to publish")
    assert any(f"<@{ANNA}> publishing" in c.text and f"<@{BEN}>" not in c.text for c in _thread(slack))
    _tick(runtime, sender, "2026-12-11 16:00:05")
    assert len(_dms(slack, ANNA, "not marked published")) == 1 and not _dms(slack, BEN, "not marked published")


def test_with_nobody_on_shift_at_the_slot_every_publisher_is_prompted(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[tiktok] sat 11:00 Weekend dance", TS)
    _approve(driver)
    _tick(runtime, sender, "2026-12-12 10:00:05")  # Saturday 11:00 Budapest: no shift runs
    assert len(_dms(slack, ANNA, "Time to publish")) == 1 and len(_dms(slack, BEN, "Time to publish")) == 1
    assert not _dms(slack, COMMUNITY, "Time to publish")  # tiktok names its own publishers


def test_default_publishers_are_the_community_managers_and_the_one_on_shift_is_prompted(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    driver.message(DRAFTS, AUTHOR, "[instagram] sat 11:00 Weekend", OTHER_TS)
    _approve(driver, 1)
    _approve(driver, 2)
    _tick(runtime, sender, SLOT)
    # Anna (a community manager) is on shift on Friday afternoon: she alone is prompted.
    assert len(_dms(slack, ANNA, "Time to publish")) == 1 and not _dms(slack, COMMUNITY, "Time to publish")
    _tick(runtime, sender, "2026-12-12 10:00:05")
    # On Saturday nobody is on shift: both community managers.
    assert len(_dms(slack, ANNA, "Time to publish")) == 2 and len(_dms(slack, COMMUNITY, "Time to publish")) == 1


def test_once_an_account_is_marked_only_the_publishers_of_the_others_are_prompted_and_reminded(
    driver, slack, runtime, sender
):
    """Instagram went out early; at the slot the post is still due on tiktok: its publishers are
    prompted for tiktok alone, and instagram's publisher hears nothing more."""
    driver.message(DRAFTS, AUTHOR, "[tiktok, instagram] sat 11:00 Weekend dance", TS)
    _approve(driver)
    driver.command("/calendar", "published 1 instagram", user=COMMUNITY)
    _tick(runtime, sender, "2026-12-12 10:00:05")  # Saturday 11:00 Budapest: no shift runs
    for publisher in (ANNA, BEN):
        (prompt,) = _dms(slack, publisher, "Time to publish")
        assert "on tiktok." in prompt.text and "instagram" not in prompt.text
    assert not _dms(slack, COMMUNITY, "Time to publish")
    (publishing,) = [c for c in _thread(slack) if "publishing" in c.text]
    assert f"<@{ANNA}>" in publishing.text and f"<@{COMMUNITY}>" not in publishing.text
    _tick(runtime, sender, "2026-12-12 10:30:05")
    assert len(_dms(slack, BEN, "not marked published")) == 1 and not _dms(slack, COMMUNITY, "not marked published")


def test_a_publisher_off_shift_may_still_mark_the_post(driver, runtime):
    driver.message(DRAFTS, AUTHOR, "[tiktok] fri 16:30 Dance", TS)
    _approve(driver)
    reply = driver.command("/calendar", "published 1", user=BEN)
    assert "marked published on tiktok" in reply.text
    assert _draft(runtime)["status"] == "published"


# -- collisions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["pending", "rejected", "withdrawn", "expired"])
def test_withdrawn_rejected_and_expired_drafts_never_collide(driver, slack, runtime, sender, how):
    # Draft 1 on x at 11:00 Budapest today (10:00 UTC): its approval deadline is 09:00 UTC, now.
    driver.message(DRAFTS, AUTHOR, "[x] today 11:00 First <https://acme.test/a>", TS)
    if how == "rejected":
        driver.reaction(CM, "x", DRAFTS, TS)
    elif how == "withdrawn":
        _withdraw(driver, TS)
    elif how == "expired":
        _tick(runtime, sender, "2026-12-09 09:00:05")
    assert _draft(runtime)["status"] == how
    # Draft 2 half an hour later on the same account (x keeps 60 minutes apart), with the same link.
    driver.message(DRAFTS, AUTHOR, "[x] today 11:30 Second <https://acme.test/a>", OTHER_TS)
    assert _draft(runtime, 2)["accounts"] == ["x"]
    warned = [c for c in _thread(slack, OTHER_TS) if "collides" in c.text]
    replanned = driver.command("/calendar", "plan 2 x 2026-12-12 10:00", user=AUTHOR)  # same link, 3 days on
    if how == "pending":
        assert warned and "draft #1" in warned[0].text
        assert "shares a link" in replanned.text
    else:
        assert not warned and not [c for c in slack.ephemerals(AUTHOR) if "collides" in c.text]
        assert "collides" not in replanned.text


# -- publishing a draft that has no plan ---------------------------------------------------------
def _mark_published_buttons(call):
    return [b for b in call.blocks if b.get("accessory", {}).get("action_id") == ActionId.CALENDAR_MARK_PUBLISHED]


def test_the_mark_published_button_comes_with_the_final_approval(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "Unplanned post", TS)
    status = _thread(slack)[0]
    assert not _mark_published_buttons(status)
    driver.command("/approve", "1", user=CM)
    assert not _mark_published_buttons(slack.of("chat.update")[-1])
    driver.command("/approve", "1", user=STRAT)
    final = slack.of("chat.update")[-1]
    assert "approved" in final.all_text().lower()
    (button_block,) = _mark_published_buttons(final)
    assert button_block["accessory"]["value"] == "1"


def test_an_approved_draft_without_a_plan_is_marked_published_by_command(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "Unplanned post", TS)
    assert "only an approved draft" in driver.command("/calendar", "published 1 instagram", user=COMMUNITY).text
    _approve(driver)
    unnamed = driver.command("/calendar", "published 1", user=COMMUNITY)
    assert "has no plan: name the account" in unnamed.text and "instagram, x, tiktok" in unnamed.text
    unknown = driver.command("/calendar", "published 1 myspace", user=COMMUNITY)
    assert "`myspace` is not an account" in unknown.text and "Example" in unknown.text
    assert "Only" in driver.command("/calendar", "published 1 instagram", user=AUTHOR).text
    assert _draft(runtime)["publications"] == []
    reply = driver.command("/calendar", "published 1 instagram https://instagram.com/p/free", user=COMMUNITY)
    assert "marked published on instagram" in reply.text
    exported = _draft(runtime)
    assert exported["status"] == "published" and exported["accounts"] == []
    assert [(p["account"], p["by"], p["url"]) for p in exported["publications"]] == [
        ("instagram", COMMUNITY, "https://instagram.com/p/free")
    ]
    assert any("published by" in c.text for c in _thread(slack))
    again = driver.command("/calendar", "published 1 instagram", user=STRAT)
    assert "already marked published by <@U0COMMUNITY>" in again.text


def test_an_approved_draft_without_a_plan_is_marked_published_by_button(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "Unplanned post", TS)
    _approve(driver)
    driver.click(ActionId.CALENDAR_MARK_PUBLISHED, "1", user=COMMUNITY, channel=DRAFTS)
    opened = slack.of("views.open")[-1].params["view"]
    chooser = next(b for b in opened["blocks"] if b.get("block_id") == "account")
    assert [o["value"] for o in chooser["element"]["options"]] == ["instagram", "x", "tiktok"]
    values = {
        "account": {"value": {"type": "static_select", "selected_option": {"value": "x"}}},
        "url:": {"value": {"type": "plain_text_input", "value": "https://x.com/acme/status/1"}},
    }
    driver.submit_view(
        ViewId.CALENDAR_PUBLISHED, values, user=COMMUNITY, private_metadata='{"draft": 1, "accounts": []}'
    )
    exported = _draft(runtime)
    assert exported["status"] == "published"
    assert [(p["account"], p["url"]) for p in exported["publications"]] == [("x", "https://x.com/acme/status/1")]


# -- iCalendar -----------------------------------------------------------------------------------
def test_ics_cancels_withdrawn_rejected_and_expired_posts(driver, runtime, sender):
    posts = {
        "rejected": "1700000000.000101",
        "withdrawn": "1700000000.000102",
        "expired": "1700000000.000103",
        "pending": "1700000000.000104",
        "approved": "1700000000.000105",
        "published": "1700000000.000106",
    }
    for index, ts in enumerate(posts.values()):
        day = "today 11:00" if index == 2 else f"fri {10 + index}:00"
        driver.message(DRAFTS, AUTHOR, f"[instagram] {day} Post {index + 1}", ts)
    driver.reaction(CM, "x", DRAFTS, posts["rejected"])
    _withdraw(driver, posts["withdrawn"])
    _tick(runtime, sender, "2026-12-09 09:00:05")  # draft 3's approval deadline
    _approve(driver, 5)
    _approve(driver, 6)
    driver.command("/calendar", "published 6", user=COMMUNITY)
    assert [_draft(runtime, i)["status"] for i in range(1, 7)] == list(posts)
    parsed = Calendar.from_ical(calendar_ics(runtime.session_factory))
    status = {str(e["uid"]): str(e["status"]) for e in parsed.walk("VEVENT")}
    assert status == {
        "draft-1-instagram@teambot": "CANCELLED",
        "draft-2-instagram@teambot": "CANCELLED",
        "draft-3-instagram@teambot": "CANCELLED",
        "draft-4-instagram@teambot": "TENTATIVE",
        "draft-5-instagram@teambot": "CONFIRMED",
        "draft-6-instagram@teambot": "CONFIRMED",
    }


def test_a_draft_whose_deadline_passed_during_a_long_outage_still_expires(driver, slack, runtime, sender):
    # No tick from Wednesday until a week after the slot: the reminders are moot by then, the
    # expiry is not (the draft would otherwise wait for approval forever with its slot behind it).
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    _tick(runtime, sender, "2026-12-18 15:30:05")
    assert _draft(runtime)["status"] == "expired"
    assert len([c for c in _thread(slack) if "expired" in c.text]) == 1
    assert not [c for c in _thread(slack) if "goes out" in c.text]
    _tick(runtime, sender, "2026-12-18 15:31:05")
    assert len([c for c in _thread(slack) if "expired" in c.text]) == 1
