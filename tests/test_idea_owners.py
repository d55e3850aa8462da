"""Accepted ideas get an owner (`/idea assign N @person [ACCOUNT] [DATE]`); a draft that says
`idea #N` is linked to that idea (also after an edit), and the monthly digest credits the idea's
submitter for that post."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from bot.core.config import TeamConfig
from bot.slack.ids import ShortcutId
from tests.conftest import make_config
from tests.helpers import exported, local, sqlite_only, tick

IDEAS = "C0IDEAS"
DRAFTS = "C0DRAFTS"
STAFF = "C0STAFF"
CM = "U0CONTENT"
STRAT = "U0STRAT"
# Wednesday 2026-12-09, 10:00 in Budapest (UTC+1).
NOW = "2026-12-09 09:00:00"
DRAFT_TS = "1765270800.000100"


@pytest.fixture
def config() -> TeamConfig:
    return make_config(
        accounts=[{"name": "instagram", "network": "instagram"}, {"name": "x", "network": "x"}],
        # The weekly report (due on Mondays at 09:00, as the digest of June 2026 is) posts elsewhere.
        report={"channel": "C0REPORTS"},
    )


@pytest.fixture
def clock():
    with freeze_time(NOW) as frozen:
        yield frozen


def _accepted_idea(driver, text="Behind the scenes at the support desk", author="U0ANNA") -> None:
    driver.command("/idea", text, user=author)
    driver.command("/idea", "accept 1", user=CM)


def _idea(runtime, idea_id=1) -> dict:
    return next(i for i in exported(runtime)["ideas"] if i["id"] == idea_id)


def _draft(runtime, draft_id=1) -> dict:
    return next(d for d in exported(runtime)["drafts"] if d["id"] == draft_id)


def _dms(slack, user) -> list[str]:
    return [c.text for c in slack.posts(user)]


# -- /idea assign ---------------------------------------------------------------------------------
def test_assign_gives_the_owner_the_idea_by_dm_and_the_export_shows_it(driver, slack, runtime, clock):
    _accepted_idea(driver)
    slack.reset()
    reply = driver.command("/idea", "assign #1 <@U0BEN|ben> instagram 2026-12-14", user=CM)
    assert reply.json["response_type"] == "ephemeral"
    assert "Idea #1 is now with <@U0BEN> for instagram, ready by Mon 2026-12-14" in reply.text
    assert "<@U0ANNA>" in reply.text and "<@U0BEN>" in reply.text  # who was told
    [owner_dm] = _dms(slack, "U0BEN")
    assert "<@U0CONTENT> gave you idea #1 for instagram, ready by Mon 2026-12-14" in owner_dm
    assert "`idea #1`" in owner_dm  # how to link the post to the idea
    [submitter_dm] = _dms(slack, "U0ANNA")
    assert "Your idea #1 is now with <@U0BEN>" in submitter_dm
    assert _dms(slack, CM) == []  # the person assigning is not told what they just did
    [update] = [c for c in slack.of("chat.update") if c.channel == IDEAS]
    assert "Owner: <@U0BEN> · for instagram · by Mon 2026-12-14" in update.all_text()
    idea = _idea(runtime)
    assert {k: idea[k] for k in ("owner", "account", "target_date", "assigned_by", "drafts")} == {
        "owner": "U0BEN",
        "account": "instagram",
        "target_date": "2026-12-14",
        "assigned_by": CM,
        "drafts": [],
    }
    assert idea["assigned_at"] == local(2026, 12, 9, 10, 0).isoformat()
    assert "Owner: <@U0BEN>" in driver.command("/idea", "list top").text


def test_account_and_date_are_optional_in_either_order_and_dates_read_as_the_calendar_reads_them(
    driver, slack, runtime, clock
):
    _accepted_idea(driver)
    driver.command("/idea", "assign 1 <@U0BEN>", user=CM)
    assert (_idea(runtime)["owner"], _idea(runtime)["account"], _idea(runtime)["target_date"]) == ("U0BEN", None, None)
    driver.command("/idea", "assign 1 <@U0BEN> fri X", user=CM)  # the Friday after today; accounts in any case
    assert (_idea(runtime)["account"], _idea(runtime)["target_date"]) == ("x", "2026-12-11")
    driver.command("/idea", "assign 1 <@U0BEN> today", user=CM)  # today is not the past
    assert (_idea(runtime)["account"], _idea(runtime)["target_date"]) == (None, "2026-12-09")
    driver.command("/idea", "assign 1 <@U0BEN> tomorrow", user=CM)
    assert _idea(runtime)["target_date"] == "2026-12-10"


def test_reassigning_tells_the_previous_owner_and_the_same_assignment_twice_changes_nothing(
    driver, slack, runtime, clock
):
    _accepted_idea(driver)
    driver.command("/idea", "assign 1 <@U0BEN> instagram", user=CM)
    slack.reset()
    again = driver.command("/idea", "assign 1 <@U0BEN> instagram", user=CM)
    assert "already assigned like that" in again.text and "nothing changed" in again.text
    assert slack.posts() == [] and slack.of("chat.update") == []
    driver.command("/idea", "assign 1 <@U0PAT> instagram 2026-12-20", user=CM)
    assert any("gave you idea #1" in t for t in _dms(slack, "U0PAT"))
    assert any("which you owned, to <@U0PAT>" in t for t in _dms(slack, "U0BEN"))
    assert any("now with <@U0PAT>" in t for t in _dms(slack, "U0ANNA"))
    assert _idea(runtime)["owner"] == "U0PAT"


def test_a_content_manager_may_own_an_idea_they_assign_without_a_dm_to_themselves(driver, slack, runtime, clock):
    _accepted_idea(driver)
    slack.reset()
    reply = driver.command("/idea", f"assign 1 <@{CM}>", user=CM)
    assert "now with <@U0CONTENT>" in reply.text
    assert _dms(slack, CM) == [] and len(_dms(slack, "U0ANNA")) == 1


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("assign", "`/idea assign` needs an idea id and the person who owns it"),
        ("assign next-week", "`next-week` is not an idea id"),
        ("assign 1", "needs the person who owns the idea"),
        ("assign 1 ben", "`ben` is not a Slack user"),
        ("assign 1 <@U0BEN> 2026-12-08", "2026-12-08 is in the past (today is 2026-12-09 on the team's clock)"),
        ("assign 1 <@U0BEN> 2026-02-30", "`2026-02-30` is not a day of the calendar"),
        ("assign 1 <@U0BEN> 14/12/2026", "`14/12/2026` is not a date"),
        ("assign 1 <@U0BEN> tiktok", "`tiktok` is neither an account nor a date. Accounts: instagram, x"),
        ("assign 1 <@U0BEN> instagram x", "`x`: one account and one date at most"),
        ("assign 1 <@U0BEN> fri 2026-12-14", "`2026-12-14`: one account and one date at most"),
        ("assign 1 <@U0BEN> instagram fri soon", "takes at most an account and a date after the person"),
        ("assign 99 <@U0BEN>", "There is no idea #99"),
        ("assign 1 <@UBOT>", "teambot cannot own an idea"),
    ],
)
def test_bad_input_gets_one_clear_ephemeral_answer_with_an_example(driver, slack, runtime, clock, text, said):
    _accepted_idea(driver)
    slack.reset()
    reply = driver.command("/idea", text, user=CM)
    assert reply.json["response_type"] == "ephemeral"
    assert said in reply.text and "Example: `/idea " in reply.text
    assert _idea(runtime)["owner"] is None and slack.posts() == []


def test_an_unknown_user_is_refused(driver, slack, runtime, clock):
    _accepted_idea(driver)
    slack.fail("users.info", error="user_not_found")
    reply = driver.command("/idea", "assign 1 <@U0NOBODY>", user=CM)
    assert "<@U0NOBODY> is not a user of this workspace" in reply.text and "Example:" in reply.text
    assert _idea(runtime)["owner"] is None


def test_an_idea_not_accepted_says_how_to_accept_it_and_a_declined_one_is_refused(driver, slack, runtime, clock):
    driver.command("/idea", "Office dog series", user="U0ANNA")
    reply = driver.command("/idea", "assign 1 <@U0BEN>", user=CM)
    assert "Idea #1 is not accepted yet" in reply.text and "`/idea accept 1`" in reply.text
    assert "Example: `/idea accept 1`" in reply.text
    driver.command("/idea", "decline 1 off brand", user=CM)
    declined = driver.command("/idea", "assign 1 <@U0BEN>", user=CM)
    assert "Idea #1 was declined; only accepted ideas get an owner" in declined.text and "Example:" in declined.text
    assert _idea(runtime)["owner"] is None


def test_only_content_managers_assign(driver, slack, runtime, clock):
    _accepted_idea(driver)
    for user in ("U0ANNA", STRAT):
        reply = driver.command("/idea", "assign 1 <@U0BEN>", user=user)
        assert "Only content managers assign ideas" in reply.text
    assert _idea(runtime)["owner"] is None


@sqlite_only
def test_help_lists_assign(driver):
    text = driver.command("/idea", "help").text
    assert "/idea assign 12 @anna instagram 2026-12-14" in text and "idea #12" in text


# -- drafts that say `idea #N` --------------------------------------------------------------------
def _post_draft(driver, text, ts=DRAFT_TS, user="U0BEN"):
    return driver.message(DRAFTS, user, text, ts)


def _edit_draft(driver, text, previous, ts=DRAFT_TS, user="U0BEN"):
    return driver.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "ts": "1765270900.000001",
            "message": {"type": "message", "user": user, "text": text, "ts": ts},
            "previous_message": {"type": "message", "user": user, "text": previous, "ts": ts},
        }
    )


def _status_text(slack) -> str:
    status = [c for c in slack.calls if c.channel == DRAFTS and c.method in ("chat.postMessage", "chat.update")]
    return status[-1].all_text()


def test_a_draft_that_says_idea_n_is_linked_and_the_link_follows_its_edits(driver, slack, runtime, clock):
    driver.command("/idea", "Behind the scenes", user="U0ANNA")
    driver.command("/idea", "Customer spotlight", user="U0PAT")
    _post_draft(driver, "A day at the desk, as in IDEA #1 :camera:")
    assert _draft(runtime)["idea"] == 1 and _idea(runtime, 1)["drafts"] == [1]
    assert "Carries out idea #1 from <@U0ANNA>" in _status_text(slack)

    _edit_draft(driver, "Our customers, for idea#2", "A day at the desk, as in IDEA #1 :camera:")
    assert _draft(runtime)["idea"] == 2
    assert _idea(runtime, 1)["drafts"] == [] and _idea(runtime, 2)["drafts"] == [1]
    assert "Carries out idea #2 from <@U0PAT>" in _status_text(slack)

    _edit_draft(driver, "Our customers", "Our customers, for idea#2")
    assert _draft(runtime)["idea"] is None and _idea(runtime, 2)["drafts"] == []
    assert "Carries out idea" not in _status_text(slack)


def test_a_draft_naming_no_existing_idea_is_not_linked_and_its_author_is_told(driver, slack, runtime, clock):
    driver.command("/idea", "Behind the scenes", user="U0ANNA")
    _post_draft(driver, "Winter is here (idea #7, then idea #1 too)")
    assert _draft(runtime)["idea"] == 1  # the first named idea that exists
    _post_draft(driver, "A post about idea #42", ts="1765270800.000200")
    assert _draft(runtime, 2)["idea"] is None
    [told] = slack.ephemerals("U0BEN")
    assert "names idea #42, but there is no such idea" in told.text
    _post_draft(driver, "No idea what to write #3", ts="1765270800.000300")
    assert _draft(runtime, 3)["idea"] is None and len(slack.ephemerals("U0BEN")) == 1


# -- the digest -------------------------------------------------------------------------------------
def test_the_digest_credits_the_idea_for_the_post_that_carried_it_out(driver, slack, runtime, sender):
    may = local(2026, 5, 12, 10, 0)
    with freeze_time(may) as frozen:
        # Pat had the idea; Anna submitted Pat's message with the shortcut.
        driver.shortcut(
            ShortcutId.SUBMIT_IDEA,
            channel="C0GENERAL",
            message={"type": "message", "user": "U0PAT", "text": "Show the night shift", "ts": "1778000000.000100"},
            user="U0ANNA",
        )
        driver.command("/idea", "accept 1", user=CM)
        driver.command("/idea", "assign 1 <@U0BEN>", user=CM)
        driver.message(DRAFTS, "U0BEN", "Meet the night shift (idea #1)", "1778580000.000100")
        driver.message(DRAFTS, "U0LEAD", "An unrelated post", "1778580000.000200")
        for draft in ("1", "2"):
            driver.command("/approve", draft, user=CM)
            driver.command("/approve", draft, user=STRAT)
        assert [d["status"] for d in exported(runtime)["drafts"]] == ["approved", "approved"]
        tick(runtime, sender, local(2026, 5, 20, 12, 0), clock=frozen)  # the scheduler's first start
        tick(runtime, sender, local(2026, 6, 1, 9, 0, 3), clock=frozen)
    [post] = slack.posts(STAFF)
    lines = post.all_text()
    assert "*#1* by <@U0BEN>" in lines and "idea #1 by <@U0PAT>, submitted by <@U0ANNA>" in lines
    texts = [block["text"]["text"] for block in post.blocks if block.get("type") == "section"]
    [other] = [line for text in texts for line in text.split("\n") if "*#2* by <@U0LEAD>" in line]
    assert "idea #" not in other  # the other post carries out no idea
