"""The publishing calendar through the real Bolt app: plans from drafts and /calendar, the week's
view, notes, publishing, the export."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from bot.app import export_all
from bot.cli import reports as digest_cli
from bot.core.config import TeamConfig
from bot.slack.ids import ActionId, ViewId
from tests.conftest import make_config

DRAFTS = "C0DRAFTS"
BRAND_DRAFTS = "C0NORTHWIND"
AUTHOR = "U0ANNA"
CM = "U0CONTENT"
STRAT = "U0STRAT"
COMMUNITY = "U0COMMUNITY"
CLIENT = "U0CLIENT"
# Wednesday 2026-12-09, 10:00 in Budapest (UTC+1).
NOW = "2026-12-09 09:00:00"
TS = "1700000000.000100"


def calendar_config() -> TeamConfig:
    return make_config(
        accounts=[
            {"name": "instagram", "network": "instagram"},
            {"name": "x", "network": "x", "min_gap_minutes": 60},
            {"name": "linkedin", "network": "linkedin", "chain": ["strategist"]},
            {"name": "nw-instagram", "network": "instagram", "brand": "northwind", "chain": ["client", "strategist"]},
        ],
        brands=[{"name": "northwind", "drafts_channel": BRAND_DRAFTS, "client_approvers": [CLIENT]}],
    )


@pytest.fixture
def config() -> TeamConfig:
    return calendar_config()


@pytest.fixture(autouse=True)
def _frozen():
    with freeze_time(NOW):
        yield


def _draft_export(runtime, draft_id=1):
    with runtime.session_factory() as session:
        return next(d for d in export_all(session)["drafts"] if d["id"] == draft_id)


def _thread(slack, ts=TS, channel=DRAFTS):
    return [c for c in slack.posts(channel) if c.params.get("thread_ts") == ts]


def _approve(driver, draft_id=1):
    driver.command("/approve", str(draft_id), user=CM)
    driver.command("/approve", str(draft_id), user=STRAT)


# -- planning from the draft's text --------------------------------------------------------------
def test_draft_text_plans_accounts_and_slot_in_team_time(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[Instagram, x] fri 16:30 Winter is here <https://acme.test/winter>", TS)
    exported = _draft_export(runtime)
    assert exported["accounts"] == ["instagram", "x"]
    # Friday 2026-12-11 16:30 in Budapest is 15:30 UTC.
    assert exported["planned_at"] == "2026-12-11T15:30:00+00:00"
    assert exported["publications"] == []
    status = _thread(slack)[0]
    assert "Plan:" in status.all_text() and "instagram, x" in status.all_text()
    accessories = [b.get("accessory", {}).get("action_id") for b in status.blocks]
    assert ActionId.CALENDAR_PLAN in accessories


def test_accounts_without_a_slot_and_plain_brackets(driver, runtime):
    driver.message(DRAFTS, AUTHOR, "[linkedin] Hiring post", TS)
    assert _draft_export(runtime)["accounts"] == ["linkedin"]
    assert _draft_export(runtime)["planned_at"] is None
    # The linkedin account's own chain: the strategist alone.
    assert [s["role"] for s in _draft_export(runtime)["steps"]] == ["strategist"]
    driver.message(DRAFTS, AUTHOR, "[FYI: draft] not a plan", "1700000000.000200")
    assert _draft_export(runtime, 2)["accounts"] == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[tiktok] fri 10:00 Dance", "Accounts: instagram, x, linkedin"),
        ("[instagram] 2026-02-30 10:00 Leap", "not a day of the calendar"),
        ("[instagram] fri 31:00 Late", "not a time of day"),
        ("[instagram] 2026-12-01 10:00 Old", "in the past"),
        ("[instagram] fri Launch", "no time"),
    ],
)
def test_bad_plan_in_a_draft_tells_the_author_and_leaves_it_unplanned(driver, slack, runtime, text, said):
    driver.message(DRAFTS, AUTHOR, text, TS)
    exported = _draft_export(runtime)
    assert exported["accounts"] == [] and exported["planned_at"] is None
    told = slack.ephemerals(AUTHOR)
    assert told and said in told[-1].text and "Example" in told[-1].text


def test_brand_channel_is_a_drafts_channel_with_client_approval(driver, slack, runtime):
    driver.message(BRAND_DRAFTS, AUTHOR, "[nw-instagram] tomorrow 09:00 For the client", TS)
    exported = _draft_export(runtime)
    assert exported["channel"] == BRAND_DRAFTS and exported["accounts"] == ["nw-instagram"]
    assert [s["role"] for s in exported["steps"]] == ["client", "strategist"]
    assert f"<@{CLIENT}>" in _thread(slack, channel=BRAND_DRAFTS)[0].all_text()
    refused = driver.command("/approve", "1", user=CM)
    assert "cannot take that step" in refused.text
    driver.command("/approve", "1", user=CLIENT)
    driver.command("/approve", "1", user=STRAT)
    assert _draft_export(runtime)["status"] == "approved"


def test_brand_channel_only_knows_its_brands_accounts(driver, slack, runtime):
    driver.message(BRAND_DRAFTS, AUTHOR, "[instagram] tomorrow 09:00 Wrong brand", TS)
    assert _draft_export(runtime)["accounts"] == []
    assert "Accounts: nw-instagram" in slack.ephemerals(AUTHOR)[-1].text


# -- /calendar plan ------------------------------------------------------------------------------
def test_calendar_plan_command_and_replanning_with_another_chain(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "Unplanned post", TS)
    driver.command("/approve", "1", user=CM)
    reply = driver.command("/calendar", "plan #1 instagram,x 2026-12-10 10:00", user=AUTHOR)
    assert "planned draft #1 on instagram, x" in reply.text
    exported = _draft_export(runtime)
    assert exported["planned_at"] == "2026-12-10T09:00:00+00:00"
    assert exported["steps"][0]["approved_by"] == CM  # same chain: approvals kept
    reply = driver.command("/calendar", "plan 1 linkedin 2026-12-10 10:00", user=CM)
    assert "approval starts again" in reply.text
    exported = _draft_export(runtime)
    assert [s["role"] for s in exported["steps"]] == ["strategist"]
    assert exported["steps"][0]["approved_by"] is None


@pytest.mark.parametrize("accounts", ["instagram, x", "instagram ,x", "instagram , x", "Instagram,X"])
def test_calendar_plan_takes_accounts_written_with_spaces_around_the_commas(driver, runtime, accounts):
    """`[instagram, x]` in a draft and `instagram, x` after `/calendar plan #N` are the same accounts."""
    driver.message(DRAFTS, AUTHOR, "Unplanned post", TS)
    reply = driver.command("/calendar", f"plan #1 {accounts} 2026-12-10 10:00", user=AUTHOR)
    assert "planned draft #1 on instagram, x" in reply.text
    exported = _draft_export(runtime)
    assert exported["accounts"] == ["instagram", "x"] and exported["planned_at"] == "2026-12-10T09:00:00+00:00"


def test_calendar_plan_refusals(driver, runtime):
    driver.message(DRAFTS, AUTHOR, "Post", TS)
    assert (
        "Accounts: instagram, x, linkedin, nw-instagram" in driver.command("/calendar", "plan 1 tiktok fri 10:00").text
    )
    assert "not a date" in driver.command("/calendar", "plan 1 instagram someday 10:00").text
    assert "Example" in driver.command("/calendar", "plan 1 instagram someday 10:00").text
    assert "not a day of the calendar" in driver.command("/calendar", "plan 1 instagram 2026-02-30 10:00").text
    assert "not a time of day" in driver.command("/calendar", "plan 1 instagram fri 31:00").text
    assert "in the past" in driver.command("/calendar", "plan 1 instagram today 09:00").text
    assert "Only the author" in driver.command("/calendar", "plan 1 instagram fri 10:00", user="U0BEN").text
    assert "no draft #9" in driver.command("/calendar", "plan 9 instagram fri 10:00").text
    assert _draft_export(runtime)["accounts"] == []


def test_collisions_are_warned_not_refused(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[x] fri 10:00 First <https://acme.test/a>", TS)
    driver.message(DRAFTS, AUTHOR, "[x] fri 10:30 Second <https://acme.test/a>", "1700000000.000200")
    assert _draft_export(runtime, 2)["accounts"] == ["x"]
    warnings = [c for c in _thread(slack, "1700000000.000200") if "collides" in c.text]
    assert warnings and "draft #1" in warnings[0].text
    assert any("collides" in c.text for c in slack.ephemerals(AUTHOR))
    # The same link on the same account three days later still collides (drafts that never collide:
    # tests/test_calendar_deadlines.py).
    reply = driver.command("/calendar", "plan 2 x 2026-12-14 10:00", user=AUTHOR)
    assert "shares a link" in reply.text
    driver.command("/calendar", "note 2026-12-15 blackout Quiet <!channel> day", user=CM)
    reply = driver.command("/calendar", "plan 2 x 2026-12-15 12:00", user=AUTHOR)
    assert "blackout" in reply.text and "<!channel>" not in reply.text


# -- the week ------------------------------------------------------------------------------------
def test_week_view_with_notes_and_account_filter(driver, slack):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter is here", TS)
    driver.message(DRAFTS, AUTHOR, "[x] thu 08:00 Thursday thoughts", "1700000000.000200")
    driver.command("/calendar", "note 2026-12-11 Launch day <!here>", user=CM)
    text = driver.command("/calendar").text
    week = driver.command("/calendar").json
    rendered = str(week)
    assert "16:30" in rendered and "Winter is here" in rendered and "#1" in rendered and "Launch day" in rendered
    assert "<!here>" not in rendered
    filtered = str(driver.command("/calendar", "x").json)
    assert "Thursday thoughts" in filtered and "Winter is here" not in filtered
    assert "Winter" not in str(driver.command("/calendar", "next").json)
    assert "Winter" in str(driver.command("/calendar", "2026-12-11").json)
    assert text


LONG_TEXT = "Winter &amp; snow at <https://acme.test/winter/campaign/2026|the shop> <!channel> " * 20
# Twelve accounts with names as long as an account's name can be: the longest list a plan shows.
LONG_ACCOUNTS = [f"account-{n:02d}-with-a-name-as-long-as-allowed"[:40] for n in range(12)]


def _seed_posts(runtime, day: str, posts: int, first_id: int) -> None:
    """`posts` approved posts on `day`, 20 minutes apart from 08:00 team time, each with the longest
    summary and account list a plan can have (written straight to the store)."""
    from datetime import date, datetime, time, timedelta

    from bot.core.db import transaction
    from bot.features.approvals.models import Draft
    from bot.features.calendar import service as calendar
    from bot.features.calendar.models import Plan, PlanAccount

    created = datetime.fromisoformat(NOW + "+00:00")
    first_slot = calendar.slot_of(runtime.config, date.fromisoformat(day), time(8, 0))
    with transaction(runtime.session_factory) as session:
        for n in range(posts):
            draft_id, slot = first_id + n, first_slot + timedelta(minutes=20 * n)
            session.add(
                Draft(
                    id=draft_id,
                    channel=DRAFTS,
                    ts=f"1700{draft_id:06d}.000100",
                    author=AUTHOR,
                    text=LONG_TEXT,
                    files_signature="",
                    status="approved",
                    current_step=1,
                    current_role="strategist",
                    chain="content_manager,strategist",
                    created_at=created,
                    updated_at=created,
                    step_started_at=created,
                )
            )
            session.flush()
            session.add(
                Plan(
                    draft_id=draft_id,
                    accounts=",".join(LONG_ACCOUNTS),
                    slot=slot,
                    summary=calendar.summary_of(LONG_TEXT),
                    links="",
                    planned_by=AUTHOR,
                    planned_at=created,
                )
            )
            session.add_all(PlanAccount(draft_id=draft_id, account=a, slot=slot) for a in LONG_ACCOUNTS)


def _assert_within_slack_limits(blocks, *, days: int, posts_per_day: int) -> None:
    import json

    assert len(blocks) <= 50
    for block in blocks:
        shown = block.get("text", {}).get("text") or block.get("elements", [{}])[0].get("text", "")
        assert len(shown) <= 3000
    rendered = json.dumps(blocks)
    # Each post shown keeps its link whole (no section was cut short): 20 a day, the rest counted.
    assert rendered.count("|#") == days * min(posts_per_day, 20)
    assert rendered.count(f"and {posts_per_day - 20} more post(s)") == (days if posts_per_day > 20 else 0)
    assert "<!channel>" not in rendered


def test_a_day_of_30_long_posts_shows_20_then_and_10_more_within_slacks_limits(driver, runtime):
    _seed_posts(runtime, "2026-12-10", 30, first_id=1)
    blocks = driver.command("/calendar").json["blocks"]
    _assert_within_slack_limits(blocks, days=1, posts_per_day=30)
    text = str(blocks)
    # The first 20 of the day by time (drafts 1 to 20), not any 20.
    assert "|#20>" in text and "|#21>" not in text
    assert text.index("Thu 10 Dec") < text.index("|#1>") < text.index("and 10 more post(s)") < text.index("Fri 11 Dec")


def test_a_week_full_of_long_days_and_notes_stays_within_slacks_limits(driver, slack, runtime, sender):
    for day in range(7):
        _seed_posts(runtime, f"2026-12-{14 + day}", 30, first_id=1 + 100 * day)
    for n in range(8):
        driver.command("/calendar", f"note 2026-12-14 {'blackout ' if n % 2 else ''}{LONG_TEXT[:900]}", user=CM)
    blocks = driver.command("/calendar", "next").json["blocks"]
    _assert_within_slack_limits(blocks, days=7, posts_per_day=30)
    assert str(blocks).count("and 3 more note(s)") == 1
    # The week ahead, posted on Monday morning with its gaps, too (the scheduler ran before it fell due).
    _tick(runtime, sender, "2026-12-14 07:59:55")
    _tick(runtime, sender, "2026-12-14 08:00:05")
    (weekly,) = [c for c in slack.posts(DRAFTS) if "week ahead" in c.all_text().lower()]
    _assert_within_slack_limits(weekly.blocks, days=7, posts_per_day=30)
    assert "Gaps" in weekly.all_text()


def test_calendar_help_and_bad_words(driver):
    assert "/calendar plan" in driver.command("/calendar", "help").text
    for sub in ("plan", "published", "note", "notes", "next"):
        reply = driver.command("/calendar", f"{sub} help").text
        assert f"/calendar {sub}" in reply and "Examples" in reply
    reply = driver.command("/calendar", "tiktok").text
    assert "instagram, x" in reply and "Example" in reply
    assert "not a day of the calendar" in driver.command("/calendar", "2026-02-30").text


def test_notes_add_list_delete_and_rights(driver, runtime):
    reply = driver.command("/calendar", "note 2026-12-24..2026-12-26 blackout Christmas <!channel>", user=CM)
    assert "#1" in reply.text and "<!channel>" not in reply.text
    assert "Only content managers" in driver.command("/calendar", "note 2026-12-24 x", user=AUTHOR).text
    assert "ends before it starts" in driver.command("/calendar", "note 2026-12-26..2026-12-24 x", user=CM).text
    listed = str(driver.command("/calendar", "notes").json)
    assert "Christmas" in listed and "<!channel>" not in listed
    with runtime.session_factory() as session:
        notes = export_all(session)["calendar_notes"]
    assert notes[0]["start"] == "2026-12-24" and notes[0]["end"] == "2026-12-26" and notes[0]["blackout"] is True
    assert "no calendar note #7" in driver.command("/calendar", "note delete 7", user=CM).text
    assert "deleted" in driver.command("/calendar", "note delete 1", user=CM).text
    with runtime.session_factory() as session:
        assert export_all(session)["calendar_notes"] == []


def test_calendar_notes_lists_the_coming_notes_and_leaves_out_past_ones(driver):
    # Today is Wednesday 2026-12-09 on the team's clock.
    driver.command("/calendar", "note 2026-12-01 Long gone", user=CM)
    driver.command("/calendar", "note 2026-12-05..2026-12-08 Ended yesterday", user=CM)
    driver.command("/calendar", "note 2026-12-07..2026-12-09 Ends today", user=CM)
    driver.command("/calendar", "note 2026-12-24 Christmas Eve", user=CM)
    driver.command("/calendar", "note 2026-12-09 Today only", user=CM)
    reply = driver.command("/calendar", "notes")
    assert reply.json["text"].startswith("3 coming calendar note(s)")
    listed = str(reply.json["blocks"])
    assert "Long gone" not in listed and "Ended yesterday" not in listed
    # The coming ones, by their first day.
    assert listed.index("Ends today") < listed.index("Today only") < listed.index("Christmas Eve")


def test_calendar_notes_shows_20_then_and_n_more(driver):
    for day in range(10, 35):
        driver.command("/calendar", f"note 2027-01-{day % 31 + 1:02d} Note for day {day}", user=CM)
    blocks = driver.command("/calendar", "notes").json["blocks"]
    assert str(blocks).count("Note for day") == 20 and "and 5 more" in str(blocks)


# -- publishing ----------------------------------------------------------------------------------
def test_mark_published_per_account_and_the_double_post_guard(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[instagram, x] fri 16:30 Winter", TS)
    assert "only an approved draft" in driver.command("/calendar", "published 1 instagram", user=COMMUNITY).text
    _approve(driver)
    reply = driver.command("/calendar", "published 1 instagram https://instagram.com/p/abc", user=COMMUNITY)
    assert "marked published on instagram" in reply.text
    assert _draft_export(runtime)["status"] == "approved"
    again = driver.command("/calendar", "published 1 instagram", user=STRAT)
    assert "already marked published by <@U0COMMUNITY>" in again.text
    assert "Only" in driver.command("/calendar", "published 1 x", user=AUTHOR).text
    driver.command("/calendar", "published 1 x", user=COMMUNITY)
    exported = _draft_export(runtime)
    assert exported["status"] == "published"
    assert [(p["account"], p["by"], p["url"]) for p in exported["publications"]] == [
        ("instagram", COMMUNITY, "https://instagram.com/p/abc"),
        ("x", COMMUNITY, None),
    ]
    assert exported["published_url"] == "https://instagram.com/p/abc"


def test_a_post_url_for_several_accounts_at_once_is_refused_and_nothing_is_marked(driver, runtime):
    """A URL is where the post went out on one account: with two accounts left and none named, the
    URL cannot be given to both (nor silently dropped); the person is asked to name the account."""
    driver.message(DRAFTS, AUTHOR, "[instagram, x] fri 16:30 Winter", TS)
    _approve(driver)
    reply = driver.command("/calendar", "published 1 https://instagram.com/p/abc", user=COMMUNITY)
    assert "instagram, x" in reply.text and "Example" in reply.text
    exported = _draft_export(runtime)
    assert exported["publications"] == [] and exported["status"] == "approved"
    # With one account left, the URL is that account's.
    driver.command("/calendar", "published 1 x", user=COMMUNITY)
    driver.command("/calendar", "published 1 https://instagram.com/p/abc", user=COMMUNITY)
    exported = _draft_export(runtime)
    assert [(p["account"], p["url"]) for p in exported["publications"]] == [
        ("x", None),
        ("instagram", "https://instagram.com/p/abc"),
    ]
    assert exported["status"] == "published"


def test_an_unplanned_draft_in_a_brands_channel_is_marked_published_on_that_brands_accounts(driver, slack, runtime):
    """A brand's drafts channel resolves account names to that brand's accounts: an approved draft
    there with no plan is published on one of them, never on the team's own accounts."""
    driver.message(BRAND_DRAFTS, AUTHOR, "For the client, not planned", TS)
    _approve(driver)
    assert _draft_export(runtime)["status"] == "approved"
    refused = driver.command("/calendar", "published 1 instagram", user=COMMUNITY).text
    assert "Accounts: nw-instagram" in refused and "x," not in refused
    assert _draft_export(runtime)["publications"] == []
    # The brand has one account: it need not be named.
    driver.command("/calendar", "published 1 https://instagram.com/p/nw1", user=COMMUNITY)
    exported = _draft_export(runtime)
    assert [(p["account"], p["url"]) for p in exported["publications"]] == [
        ("nw-instagram", "https://instagram.com/p/nw1")
    ]
    assert exported["status"] == "published"


def test_the_mark_published_form_of_an_unplanned_brand_draft_offers_the_brands_accounts(driver, slack):
    driver.message(BRAND_DRAFTS, AUTHOR, "For the client, not planned", TS)
    _approve(driver)
    driver.click(ActionId.CALENDAR_MARK_PUBLISHED, "1", user=COMMUNITY, channel=BRAND_DRAFTS)
    (opened,) = slack.of("views.open")
    offered = str(opened.params["view"])
    assert "nw-instagram" in offered and "linkedin" not in offered


def test_an_import_matches_the_post_on_each_account_it_was_published_on(driver, runtime, settings, tmp_path, capsys):
    driver.message(DRAFTS, AUTHOR, "[instagram, x] fri 16:30 Winter", TS)
    _approve(driver)
    driver.command("/calendar", "published 1 instagram https://instagram.com/p/abc", user=COMMUNITY)
    driver.command("/calendar", "published 1 x https://x.com/teambot/status/123", user=COMMUNITY)
    export = tmp_path / "x.csv"
    export.write_text("url,impressions,engagements\nhttps://mobile.twitter.com/teambot/status/123,5000,250\n")
    assert digest_cli.import_metrics(settings, export) == 0, capsys.readouterr().err
    assert "imported 1 row" in capsys.readouterr().out
    with runtime.session_factory() as session:
        (figures,) = [m for m in export_all(session)["post_metrics"] if m["draft_id"] == 1]
    assert (figures["impressions"], figures["engagements"]) == (5000, 250)


def test_plan_button_and_modal(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "Post", TS)
    driver.click(ActionId.CALENDAR_PLAN, "1", user=AUTHOR, channel=DRAFTS)
    opened = slack.of("views.open")[-1].params["view"]
    kinds = [b.get("element", {}).get("type") for b in opened["blocks"]]
    assert kinds[1:] == ["multi_static_select", "datepicker", "timepicker"]
    values = {
        "accounts": {"value": {"type": "multi_static_select", "selected_options": [{"value": "instagram"}]}},
        "date": {"value": {"type": "datepicker", "selected_date": "2026-12-12"}},
        "time": {"value": {"type": "timepicker", "selected_time": "11:15"}},
    }
    past = {**values, "date": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}}}
    refused = driver.submit_view(ViewId.CALENDAR_PLAN, past, user=AUTHOR, private_metadata='{"draft": 1}')
    assert "in the past" in refused.body
    reply = driver.submit_view(ViewId.CALENDAR_PLAN, values, user=AUTHOR, private_metadata='{"draft": 1}')
    assert reply.status == 200
    exported = _draft_export(runtime)
    assert exported["planned_at"] == "2026-12-12T10:15:00+00:00"
    assert [(h["action"], h["via"]) for h in exported["history"]] == [("planned", "button")]


def test_history_says_how_a_draft_was_planned(driver, runtime):
    """The export's `via` is how each plan came: the draft's own text, an edit of it, the command."""
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    driver.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DRAFTS,
            "ts": "1700000001.000001",
            "message": {"type": "message", "user": AUTHOR, "text": "[instagram] sat 11:00 Winter", "ts": TS},
            "previous_message": {"type": "message", "user": AUTHOR, "text": "[instagram] fri 16:30 Winter", "ts": TS},
        }
    )
    driver.command("/calendar", "plan #1 instagram sun 12:00", user=CM)
    history = _draft_export(runtime)["history"]
    assert [(h["action"], h["by"], h["via"]) for h in history] == [
        ("planned", AUTHOR, "command"),
        ("planned", AUTHOR, "edit"),
        ("planned", CM, "command"),
    ]


def test_mark_published_button_and_modal(driver, slack, runtime):
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    _approve(driver)
    driver.click(ActionId.CALENDAR_MARK_PUBLISHED, "1", user=COMMUNITY, channel=DRAFTS)
    opened = slack.of("views.open")[-1].params["view"]
    assert any(b.get("block_id") == "url:instagram" for b in opened["blocks"])
    values = {"url:instagram": {"value": {"type": "plain_text_input", "value": "https://instagram.com/p/xyz"}}}
    meta = '{"draft": 1, "accounts": ["instagram"]}'
    driver.submit_view(ViewId.CALENDAR_PUBLISHED, values, user=COMMUNITY, private_metadata=meta)
    exported = _draft_export(runtime)
    assert exported["status"] == "published"
    assert (exported["history"][-1]["action"], exported["history"][-1]["via"]) == ("published", "button")


def test_export_csv_carries_the_calendar(driver, runtime):
    from bot.core.export import to_csv

    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    driver.command("/calendar", "note 2026-12-24 Eve", user=CM)
    with runtime.session_factory() as session:
        text = to_csv(export_all(session))
    assert "planned_at" in text and "calendar_note" in text and "2026-12-11T15:30:00+00:00" in text


# -- timers --------------------------------------------------------------------------------------
def _tick(runtime, sender, at: str):
    from datetime import datetime

    from bot.app import run_jobs

    with freeze_time(at):
        run_jobs(runtime, datetime.fromisoformat(at + "+00:00"))
        sender.drain()


def test_deadline_reminders_then_expiry_then_revival(driver, slack, runtime, sender):
    # Slot: Friday 2026-12-11 16:30 Budapest = 15:30 UTC; reminders 1440 and 120 min before.
    driver.message(DRAFTS, AUTHOR, "[instagram] fri 16:30 Winter", TS)
    _tick(runtime, sender, "2026-12-10 15:29:00")
    assert not [c for c in _thread(slack) if "still waits" in c.text]
    _tick(runtime, sender, "2026-12-10 15:30:05")
    _tick(runtime, sender, "2026-12-10 15:30:10")  # a second tick or replica: still once
    reminders = [c for c in _thread(slack) if "still waits" in c.text]
    assert len(reminders) == 1 and f"<@{CM}>" in reminders[0].text
    _tick(runtime, sender, "2026-12-11 13:30:00")
    assert len([c for c in _thread(slack) if "still waits" in c.text]) == 2
    _tick(runtime, sender, "2026-12-11 14:30:00")  # slot − 60 minutes
    _tick(runtime, sender, "2026-12-11 14:30:05")
    assert _draft_export(runtime)["status"] == "expired"
    expired = [c for c in _thread(slack) if "expired" in c.text]
    assert len(expired) == 1
    assert [c for c in slack.posts(AUTHOR) if "expired" in c.text]
    assert "nothing to approve" in driver.command("/approve", "1", user=CM).text
    with freeze_time("2026-12-11 14:31:00"):
        driver.command("/calendar", "plan 1 instagram 2026-12-12 10:00", user=AUTHOR)
    assert _draft_export(runtime)["status"] == "pending"


def test_publishing_prompt_reminder_and_report_once_each(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[instagram, x] fri 16:30 Winter", TS)
    _approve(driver)
    _tick(runtime, sender, "2026-12-11 15:29:59")
    assert not slack.posts(COMMUNITY)
    _tick(runtime, sender, "2026-12-11 15:30:05")
    _tick(runtime, sender, "2026-12-11 15:30:09")
    prompts = slack.posts(COMMUNITY)
    assert len(prompts) == 1
    accessories = [b.get("accessory", {}).get("action_id") for b in prompts[0].blocks]
    assert ActionId.CALENDAR_MARK_PUBLISHED in accessories and "permalink" not in prompts[0].text
    assert any("publishing" in c.text and f"<@{COMMUNITY}>" in c.text for c in _thread(slack))
    with freeze_time("2026-12-11 15:45:00"):
        driver.command("/calendar", "published 1 instagram", user=COMMUNITY)
    _tick(runtime, sender, "2026-12-11 16:00:05")
    reminders = [c for c in slack.posts(COMMUNITY) if "not marked published" in c.text]
    assert len(reminders) == 1 and "x" in reminders[0].text and "instagram" not in reminders[0].text
    _tick(runtime, sender, "2026-12-11 16:30:05")
    _tick(runtime, sender, "2026-12-11 16:30:08")
    assert len([c for c in slack.posts("U0COORD") if "still not marked published" in c.text]) == 1


def test_weekly_post_names_the_gaps(driver, slack, runtime, sender):
    driver.message(DRAFTS, AUTHOR, "[instagram] 2026-12-14 10:00 Monday post", TS)
    _approve(driver)
    _tick(runtime, sender, "2026-12-14 07:59:55")  # the scheduler runs before Monday 09:00 Budapest
    _tick(runtime, sender, "2026-12-14 08:00:05")  # Monday 09:00 Budapest
    _tick(runtime, sender, "2026-12-14 08:00:10")
    weekly = [c for c in slack.posts(DRAFTS) if "week ahead" in c.text.lower() or "week ahead" in c.all_text().lower()]
    assert len(weekly) == 1
    text = weekly[0].all_text()
    assert "Monday post" in text and "instagram: nothing on Tue" in text and "x: nothing on Mon" in text


def _weekly_posts(slack) -> list:
    return [c for c in slack.posts(DRAFTS) if "week ahead" in c.all_text().lower()]


def test_the_very_first_start_posts_no_week_ahead_that_fell_due_before_it(driver, slack, runtime, sender):
    _tick(runtime, sender, "2026-12-14 08:10:00")  # first start on an empty database, 10 min after Monday 09:00
    _tick(runtime, sender, "2026-12-14 08:20:00")
    assert _weekly_posts(slack) == []
    _tick(runtime, sender, "2026-12-21 08:00:01")  # the next Monday's is posted, once
    _tick(runtime, sender, "2026-12-21 08:00:06")
    assert len(_weekly_posts(slack)) == 1


def test_a_week_ahead_missed_by_an_outage_is_posted_within_the_grace_and_not_after(driver, slack, runtime, sender):
    _tick(runtime, sender, "2026-12-13 12:00:00")  # the scheduler first ran on Sunday
    _tick(runtime, sender, "2026-12-14 08:59:00")  # down from Sunday until 59 min after Monday 09:00
    assert len(_weekly_posts(slack)) == 1
    _tick(runtime, sender, "2026-12-20 12:00:00")
    _tick(runtime, sender, "2026-12-21 09:00:00")  # a full hour late: skipped (misfire grace 60 min)
    assert len(_weekly_posts(slack)) == 1


# -- iCalendar -----------------------------------------------------------------------------------
def test_ics_export_events_uids_and_statuses(driver, runtime):
    from icalendar import Calendar

    from bot.app import calendar_ics

    driver.message(DRAFTS, AUTHOR, "[instagram, x] fri 16:30 Winter & snow", TS)
    driver.message(DRAFTS, AUTHOR, "[linkedin] tomorrow 10:00 Hiring", "1700000000.000200")
    _approve(driver, 1)
    driver.command("/calendar", "note 2026-12-24..2026-12-26 blackout Christmas", user=CM)
    first = calendar_ics(runtime.session_factory)
    assert calendar_ics(runtime.session_factory) == first  # stable across exports
    parsed = Calendar.from_ical(first)
    events = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {
        "draft-1-instagram@teambot",
        "draft-1-x@teambot",
        "draft-2-linkedin@teambot",
        "note-1@teambot",
    }
    winter = events["draft-1-instagram@teambot"]
    assert str(winter["summary"]) == "[instagram] #1 Winter & snow"
    assert winter.decoded("dtstart").isoformat() == "2026-12-11T15:30:00+00:00"
    assert (winter.decoded("dtend") - winter.decoded("dtstart")).total_seconds() == 900
    assert str(winter["status"]) == "CONFIRMED" and str(events["draft-2-linkedin@teambot"]["status"]) == "TENTATIVE"
    assert str(winter["url"]).endswith("/archives/C0DRAFTS/p1700000000000100")
    note = events["note-1@teambot"]
    assert note.decoded("dtstart").isoformat() == "2026-12-24" and note.decoded("dtend").isoformat() == "2026-12-27"


def test_calendar_feed_needs_the_right_token(runtime):
    import io

    from bot.app import calendar_ics, create_app
    from bot.slack.http import wsgi_app

    def build() -> bytes:
        return calendar_ics(runtime.session_factory)

    application = wsgi_app(create_app(runtime), runtime.engine, "secret", ("s3cret-token", build))

    def get(query: str) -> tuple[str, bytes]:
        answer = {}

        def start_response(status, headers):
            answer["status"] = status

        environ = {
            "PATH_INFO": "/calendar.ics",
            "REQUEST_METHOD": "GET",
            "QUERY_STRING": query,
            "wsgi.input": io.BytesIO(),
        }
        body = b"".join(application(environ, start_response))
        return answer["status"], body

    assert get("token=s3cret-token")[0].startswith("200")
    assert b"BEGIN:VCALENDAR" in get("token=s3cret-token")[1]
    for query in ("", "token=", "token=s3cret-tokeX", "token=s3cret-token-longer", "other=s3cret-token"):
        assert get(query) == ("404 Not Found", b"")
    no_feed = wsgi_app(create_app(runtime), runtime.engine, "secret", None)
    environ = {
        "PATH_INFO": "/calendar.ics",
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": "token=",
        "wsgi.input": io.BytesIO(),
    }
    assert b"".join(no_feed(environ, lambda status, headers: None)) == b""


# -- the config ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("toml", "said"),
    [
        ('[[accounts]]\nname = "ig"\nbrand = "acme"\n', "accounts[0].brand 'acme' is not a brand"),
        ('[[accounts]]\nname = "ig"\npublishers = ["maria"]\n', "accounts.0.publishers.0"),
        ('[[accounts]]\nname = "ig"\nchain = ["client"]\n', "accounts[0].chain: the role 'client' needs"),
        ('[[accounts]]\nname = "ig"\nchain = ["boss"]\n', "accounts.0.chain.0"),
        ('[[accounts]]\nname = "ig"\n[[accounts]]\nname = "ig"\n', "two accounts share a name"),
        ('[[accounts]]\nname = "next"\n', "reserved"),
        ('[[accounts]]\nname = "ig"\nnetwork = "myspace"\n', "accounts.0.network"),
        ('[[brands]]\nname = "nw"\nclient_approvers = ["x"]\n', "brands.0.client_approvers.0"),
        ('[calendar]\nweek_cron = "nope"\n', "calendar.week_cron"),
        ("[calendar]\nwhen = 1\n", "calendar.when: unknown key"),
    ],
)
def test_config_mistakes_are_one_line_naming_the_key(tmp_path, toml, said):
    from bot.core.config import load_config
    from bot.core.errors import ConfigError

    channels = '[channels]\ndrafts = "C0D"\nescalations = "C0E"\nideas = "C0I"\nchecklists = "C0C"\ndigest = "C0S"\n'
    path = tmp_path / "teambot.toml"
    path.write_text(channels + toml)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert said in str(error.value) and "\n" not in str(error.value)
