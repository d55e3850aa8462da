"""Checklists: scheduled posting exactly once (restarts, replicas, DST), ticking, nudges, /checklist."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.app import export_all, run_jobs
from bot.features.checklists.models import ChecklistItem, ChecklistRun
from bot.slack.ids import ActionId
from tests.conftest import make_config
from tests.helpers import local, sqlite_only, tick

CHANNEL = "C0CHECKLIST"


@pytest.fixture
def config():
    return make_config(
        checklists=[
            {
                "name": "daily",
                "cron": "0 9 * * mon-fri",
                "nudge_after_minutes": 60,
                "items": ["Check for a brewing crisis", "Compare mentions with a typical day", "Check today's KPIs"],
            },
            {"name": "night", "cron": "30 2 * * *", "channel": "C0NIGHT", "items": ["Check overnight mentions"]},
        ]
    )


def runs(runtime, name: str | None = None) -> list[ChecklistRun]:
    with runtime.session_factory() as session:
        query = select(ChecklistRun).options(selectinload(ChecklistRun.items)).order_by(ChecklistRun.id)
        if name:
            query = query.where(ChecklistRun.checklist == name)
        return list(session.scalars(query))


def checkbox(run_id: int, position: int, *, checked: bool) -> dict:
    option = {"text": {"type": "mrkdwn", "text": "x"}, "value": str(position)}
    return {
        "type": "checkboxes",
        "selected_options": [option] if checked else [],
        "block_id": f"checklist:{run_id}:{position}",
    }


def click_item(driver, run_id: int, position: int, *, checked: bool, user: str):
    element = checkbox(run_id, position, checked=checked)
    block_id = element.pop("block_id")
    return driver.click(ActionId.CHECKLIST_ITEM, "", user=user, channel=CHANNEL, block_id=block_id, element=element)


# -- scheduling ------------------------------------------------------------------------------------
def test_posts_at_due_time_once_with_a_checkbox_per_item(runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))  # Monday; the scheduler's first start
    assert slack.posts(CHANNEL) == []
    tick(runtime, sender, local(2026, 3, 2, 8, 59, 58))
    assert slack.posts(CHANNEL) == []
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 3))
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 8))
    tick(runtime, sender, local(2026, 3, 2, 9, 30))
    [post] = slack.posts(CHANNEL)
    checkboxes = [b for b in post.blocks if b["type"] == "actions"]
    assert len(checkboxes) == 3
    assert all(len(b["elements"]) == 1 and len(b["elements"][0]["options"]) == 1 for b in checkboxes)
    assert all(b["elements"][0]["action_id"] == ActionId.CHECKLIST_ITEM for b in checkboxes)
    assert len({b["block_id"] for b in checkboxes}) == 3
    [run] = runs(runtime, "daily")
    assert run.due_at == local(2026, 3, 2, 9, 0) and run.due_wall == "2026-03-02T09:00"
    # Next working day, again once.
    tick(runtime, sender, local(2026, 3, 3, 9, 0, 5))
    assert len(slack.posts(CHANNEL)) == 2


def test_first_start_on_empty_database_posts_nothing_due_before_it(runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 9, 10))  # 10 minutes after the daily fell due
    tick(runtime, sender, local(2026, 3, 2, 9, 10, 5))
    assert runs(runtime) == []
    assert slack.posts(CHANNEL) == []


def test_run_missed_while_down_is_posted_once_within_the_grace(runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    # Down from 08:00 to 09:40; 40 minutes late is within the 60-minute grace.
    tick(runtime, sender, local(2026, 3, 2, 9, 40))
    tick(runtime, sender, local(2026, 3, 2, 9, 40, 5))
    assert len(slack.posts(CHANNEL)) == 1
    [run] = runs(runtime)
    assert run.due_at == local(2026, 3, 2, 9, 0) and run.posted_at == local(2026, 3, 2, 9, 40)


def test_run_missed_beyond_the_grace_is_not_posted(runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    tick(runtime, sender, local(2026, 3, 2, 10, 1))
    assert slack.posts(CHANNEL) == []


def test_two_scheduler_processes_post_once(runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    due = local(2026, 3, 2, 9, 0, 2)
    barrier = threading.Barrier(4)

    def replica() -> None:
        barrier.wait()
        run_jobs(runtime, due)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sender.drain()
    assert len(runs(runtime, "daily")) == 1
    assert len(slack.posts(CHANNEL)) == 1


def _night_ticks(runtime, sender, start: datetime, end: datetime) -> None:
    now = start
    while now <= end:
        tick(runtime, sender, now)
        now += timedelta(minutes=5)


def test_fall_back_posts_a_repeated_wall_time_once(runtime, sender, slack):
    # 2026-10-25: Budapest clocks go from 03:00 CEST back to 02:00 CET, so 02:30 happens twice.
    _night_ticks(runtime, sender, datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    [run] = runs(runtime, "night")
    assert run.due_wall == "2026-10-25T02:30"
    assert run.posted_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30
    assert len(slack.posts("C0NIGHT")) == 1


def test_spring_forward_posts_right_after_the_gap(runtime, sender, slack):
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    _night_ticks(runtime, sender, datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC))
    [run] = runs(runtime, "night")
    assert run.due_wall == "2026-03-29T02:30"
    assert run.due_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, right after the gap
    assert run.posted_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert len(slack.posts("C0NIGHT")) == 1


# -- ticking ---------------------------------------------------------------------------------------
def test_ticking_and_unticking_records_who_and_when_and_updates_the_message(driver, runtime, slack):
    driver.command("/checklist", "post daily", user="U0ANNA")
    [run] = runs(runtime)
    click_item(driver, run.id, 0, checked=True, user="U0ANNA")
    click_item(driver, run.id, 2, checked=True, user="U0BEN")
    [run] = runs(runtime)
    assert [i.done_by for i in run.items] == ["U0ANNA", None, "U0BEN"]
    assert run.items[0].done_at is not None
    updates = slack.of("chat.update")
    assert len(updates) == 2
    last = updates[-1].blocks
    boxes = {b["block_id"]: b["elements"][0] for b in last if b["type"] == "actions"}
    assert "initial_options" in boxes[f"checklist:{run.id}:0"] and "initial_options" in boxes[f"checklist:{run.id}:2"]
    assert "initial_options" not in boxes[f"checklist:{run.id}:1"]
    assert "done by <@U0BEN>" in updates[-1].all_text() and "2 of 3 done" in updates[-1].all_text()
    click_item(driver, run.id, 0, checked=False, user="U0BEN")
    [run] = runs(runtime)
    assert run.items[0].done_by is None and run.items[0].done_at is None and run.items[2].done_by == "U0BEN"
    assert run.items[0].changed_by == "U0BEN" and run.items[0].changed_at is not None
    assert "1 of 3 done" in slack.of("chat.update")[-1].all_text()


def test_two_people_ticking_at_once_never_undo_each_other(driver, runtime, slack):
    driver.command("/checklist", "post daily", user="U0ANNA")
    [run] = runs(runtime)
    barrier = threading.Barrier(3)

    def tick_item(position: int, user: str) -> None:
        element = checkbox(run.id, position, checked=True)
        block_id = element.pop("block_id")
        barrier.wait()
        driver.click(ActionId.CHECKLIST_ITEM, "", user=user, channel=CHANNEL, block_id=block_id, element=element)

    threads = [threading.Thread(target=tick_item, args=(i, u)) for i, u in enumerate(["U0ANNA", "U0BEN", "U0PAT"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    driver.sender.drain()
    [run] = runs(runtime)
    assert [i.done_by for i in run.items] == ["U0ANNA", "U0BEN", "U0PAT"]
    assert (
        "3 of 3 done" in slack.of("chat.update")[-1].all_text() or "all done" in slack.of("chat.update")[-1].all_text()
    )


def test_unknown_run_or_item_is_reported(driver, slack):
    click_item(driver, 99, 0, checked=True, user="U0ANNA")
    assert any("#99 no longer exists" in c.text for c in slack.ephemerals("U0ANNA"))
    driver.click(ActionId.CHECKLIST_ITEM, "", user="U0ANNA", channel=CHANNEL, block_id="garbage")
    assert any("does not belong to a checklist" in c.text for c in slack.ephemerals("U0ANNA"))


# -- nudges ----------------------------------------------------------------------------------------
def test_unfinished_items_are_nudged_once_in_the_thread(driver, runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 1))
    [run] = runs(runtime, "daily")
    click_item(driver, run.id, 1, checked=True, user="U0BEN")
    tick(runtime, sender, local(2026, 3, 2, 9, 59, 59))
    assert len(slack.posts(CHANNEL)) == 1
    tick(runtime, sender, local(2026, 3, 2, 10, 0, 4))
    tick(runtime, sender, local(2026, 3, 2, 10, 0, 9))
    tick(runtime, sender, local(2026, 3, 2, 12, 0))
    posts = slack.posts(CHANNEL)
    assert len(posts) == 2
    nudge = posts[1]
    assert nudge.params.get("thread_ts") and "Check for a brewing crisis" in nudge.text
    assert "Compare mentions" not in nudge.text


def test_a_checklist_held_back_by_a_slack_outage_is_nudged_after_it_went_out(driver, runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    slack.fail("chat.postMessage", 500, times=1000)
    for minute in range(0, 150, 5):  # Slack fails from 09:00 to 11:30
        tick(runtime, sender, local(2026, 3, 2, 9, 0, 1) + timedelta(minutes=minute))
    assert slack.posts(CHANNEL) == []
    slack.heal()
    went_out = local(2026, 3, 2, 11, 30)
    while not slack.posts(CHANNEL):  # the sender's backoff decides when it is tried again
        went_out += timedelta(minutes=1)
        tick(runtime, sender, went_out)
    assert went_out < local(2026, 3, 2, 11, 45)
    tick(runtime, sender, went_out + timedelta(minutes=59))
    assert len(slack.posts(CHANNEL)) == 1  # an hour after it went out, not after it was queued
    tick(runtime, sender, went_out + timedelta(minutes=61))
    nudge = slack.posts(CHANNEL)[-1]
    assert len(slack.posts(CHANNEL)) == 2 and nudge.params.get("thread_ts") and "Still open" in nudge.text


def test_a_run_whose_sent_post_was_cleaned_up_is_still_nudged(runtime, sender, slack):
    # Housekeeping deletes sent outbox rows after 30 days; a long nudge delay must not depend on them.
    from sqlalchemy import delete

    from bot.outbox.models import OutboxMessage

    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 1))
    with runtime.session_factory() as session, session.begin():
        session.execute(delete(OutboxMessage))
    tick(runtime, sender, local(2026, 3, 2, 10, 0, 5))
    assert len(slack.posts(CHANNEL)) == 2 and "Still open" in slack.posts(CHANNEL)[-1].text


def test_finished_runs_are_not_nudged(driver, runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 1))
    [run] = runs(runtime, "daily")
    for position in range(3):
        click_item(driver, run.id, position, checked=True, user="U0BEN")
    tick(runtime, sender, local(2026, 3, 2, 10, 0, 5))
    assert len(slack.posts(CHANNEL)) == 1


# -- /checklist --------------------------------------------------------------------------------------
def test_checklist_shows_runs_and_completion(driver, runtime):
    driver.command("/checklist", "post daily", user="U0ANNA")
    [run] = runs(runtime)
    click_item(driver, run.id, 0, checked=True, user="U0ANNA")
    reply = driver.command("/checklist", "")
    assert reply.json["response_type"] == "ephemeral"
    assert "*daily*" in reply.text and "1 of 3 done" in reply.text and "Compare mentions" in reply.text
    assert "*night*" in reply.text and "not posted yet" in reply.text and "next" in reply.text


def test_extra_post_never_replaces_a_scheduled_run(driver, runtime, sender, slack):
    with freeze_time(local(2026, 3, 2, 8, 30)):
        tick(runtime, sender, local(2026, 3, 2, 8, 0))
        reply = driver.command("/checklist", "post DAILY", user="U0ANNA")
        assert "Posted the daily checklist" in reply.text and "<#C0CHECKLIST>" in reply.text
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 2))
    daily = runs(runtime, "daily")
    assert len(daily) == 2 and daily[0].due_wall is None and daily[1].due_wall == "2026-03-02T09:00"
    assert len(slack.posts(CHANNEL)) == 2


def test_checklist_shows_the_scheduled_run_and_the_extra_runs_posted_since(driver, runtime, sender):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))  # the first start posts nothing that fell due before it
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 2))
    [scheduled] = runs(runtime, "daily")
    click_item(driver, scheduled.id, 0, checked=True, user="U0ANNA")
    with freeze_time(local(2026, 3, 2, 9, 30)):
        driver.command("/checklist", "post daily", user="U0ANNA")
        reply = driver.command("/checklist", "")
    extra = runs(runtime, "daily")[-1]
    assert f"(run #{scheduled.id}, " in reply.text and "1 of 3 done" in reply.text
    assert f"(extra run #{extra.id}, " in reply.text and "0 of 3 done" in reply.text


@sqlite_only
def test_help_garbage_unknown_names_and_channel_pings(driver, slack, runtime):
    help_reply = driver.command("/checklist", "help")
    assert "/checklist" in help_reply.text and "/checklist post daily" in help_reply.text
    garbage = driver.command("/checklist", "frobnicate")
    assert "is not a /checklist command" in garbage.text and "Example" in garbage.text
    unknown = driver.command("/checklist", "post weekly-ish")
    assert "no checklist named `weekly-ish`" in unknown.text and "daily, night" in unknown.text
    assert "needs the name of one checklist" in driver.command("/checklist", "post").text
    for text in ("post help", "POST ?", "list help"):
        reply = driver.command("/checklist", text).text
        assert "*/checklist*" in reply and "Examples" in reply and "no checklist named" not in reply, text
    pinged = driver.command("/checklist", "post <!channel>")
    assert "<!channel>" not in pinged.body and "no checklist named" in pinged.text
    pinged = driver.command("/checklist", "<!here> <!subteam^S1|@all>")
    assert "<!here>" not in pinged.body and "<!subteam" not in pinged.body
    assert "<!channel>" not in slack.everything_sent() and "<!here>" not in slack.everything_sent()
    assert runs(runtime) == []


def test_export_shape(driver, runtime):
    driver.command("/checklist", "post daily", user="U0ANNA")
    [run] = runs(runtime)
    click_item(driver, run.id, 1, checked=True, user="U0BEN")
    with runtime.session_factory() as session:
        [row] = export_all(session)["checklist_runs"]
    assert row["id"] == run.id and row["checklist"] == "daily"
    assert row["due_at"].endswith("+00:00") and row["posted_at"]
    assert [i["done_by"] for i in row["items"]] == [None, "U0BEN", None]
    assert row["items"][1]["text"] == "Compare mentions with a typical day" and row["items"][1]["done_at"]


def test_shipped_config_and_built_in_defaults_are_the_same_checklists():
    from pathlib import Path

    from bot.core.config import DEFAULT_CHECKLISTS, load_config

    shipped = load_config(Path(__file__).resolve().parent.parent / "config" / "teambot.toml")
    assert shipped.checklists == DEFAULT_CHECKLISTS
    assert [c.name for c in DEFAULT_CHECKLISTS] == ["daily", "weekly", "monthly", "annual"]
    daily = " ".join(DEFAULT_CHECKLISTS[0].items).lower()
    assert "crisis" in daily and "typical day" in daily and "kpi" in daily


# -- long checklists in messages --------------------------------------------------------------------
def _long_run(items: list[str]) -> ChecklistRun:
    due = datetime(2026, 3, 2, 8, tzinfo=UTC)
    run = ChecklistRun(id=7, checklist="daily", due_wall="2026-03-02T09:00", due_at=due, posted_at=due, channel="C0X")
    run.items = [ChecklistItem(position=n, text=text) for n, text in enumerate(items)]
    return run


def test_nudge_and_overview_of_a_long_checklist_stay_bounded_and_show_the_next_run():
    from bot.features.checklists.blocks import nudge_message, runs_overview

    run = _long_run([f"item {n:02d}" for n in range(40)])
    nudge = nudge_message(run)
    assert "item 19" in nudge and "item 20" not in nudge and "…and 20 more" in nudge
    overview = runs_overview([("daily", [run], datetime(2026, 3, 3, 8, tzinfo=UTC))], ZoneInfo("Europe/Budapest"))
    text = "\n".join(b["text"]["text"] for b in overview if b["type"] == "section")
    assert "next " in text and "item 04" in text and "item 05" not in text and "…and 35 more" in text


def test_an_item_that_grows_past_75_characters_when_escaped_is_shortened_in_its_checkbox():
    from bot.core.text import escape_raw
    from bot.features.checklists.blocks import run_message

    item = "Q&A with the product team & partners & press: schedule & confirm them all"  # 73 characters
    _, blocks = run_message(_long_run([escape_raw(item)]), ZoneInfo("Europe/Budapest"))  # stored escaped
    (option,) = [e["options"][0] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(option["text"]["text"]) <= 75 and option["text"]["text"].startswith("Q&amp;A with")


def test_a_config_change_and_restart_never_posts_a_run_that_fell_due_before_it(runtime, sender, slack):
    import dataclasses

    tick(runtime, sender, local(2026, 3, 2, 8, 0))  # the first start
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 5))
    assert len(slack.posts(CHANNEL)) == 1
    # Restarted at 09:10 with the checklist renamed, another moved earlier and a new one: all fell due
    # before the last tick (09:00:05), so none is a run missed while the bot was down.
    changed = make_config(
        checklists=[
            {"name": "morning", "cron": "0 9 * * mon-fri", "items": ["Check for a brewing crisis"]},
            {"name": "early", "cron": "30 8 * * mon-fri", "items": ["Coffee"]},
            {"name": "fresh", "cron": "45 8 * * *", "items": ["New"]},
        ]
    )
    tick(dataclasses.replace(runtime, config=changed), sender, local(2026, 3, 2, 9, 10))
    assert len(slack.posts(CHANNEL)) == 1 and [r.checklist for r in runs(runtime)] == ["daily"]
    # An outage is still caught up: down from 09:10, back at 09:40, the 09:30 run is posted once.
    half_past = make_config(checklists=[{"name": "morning", "cron": "30 9 * * *", "items": ["Check"]}])
    for _ in range(2):
        tick(dataclasses.replace(runtime, config=half_past), sender, local(2026, 3, 2, 9, 40))
    assert [r.checklist for r in runs(runtime)] == ["daily", "morning"]


def test_a_tick_from_a_clock_that_ran_ahead_does_not_hide_what_falls_due_later(runtime, sender, slack):
    tick(runtime, sender, local(2026, 3, 2, 8, 0))
    tick(runtime, sender, local(2026, 3, 2, 11, 20))  # the clock was 2.5 hours fast for one tick
    for minute in range(50, 60):  # corrected: it is 08:50 again
        tick(runtime, sender, local(2026, 3, 2, 8, minute))
    tick(runtime, sender, local(2026, 3, 2, 9, 0, 5))
    assert [(r.checklist, r.due_wall) for r in runs(runtime)] == [("daily", "2026-03-02T09:00")]
