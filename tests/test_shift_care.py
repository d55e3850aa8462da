"""Shifts that take care of themselves: reminders before a shift, the on-shift user group, and
`/shift swap` / `/shift away` with the **Take shift** button, through the real Bolt app."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.app import export_all, run_jobs
from bot.core.config import TeamConfig
from bot.core.export import to_csv
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.shifts import service as shifts
from bot.slack.ids import ActionId
from bot.slack.runtime import Runtime
from tests.conftest import BASE_CONFIG, make_config
from tests.driver import signed_headers
from tests.helpers import MONDAY_10, exported, local, sqlite_only, tick
from tests.test_races import _click_body

# MONDAY_10 is in week 9 of the rota: Ben holds the weekday shift all week; Anna the week after.
TEAMS = {**BASE_CONFIG["teams"]}  # type: ignore[dict-item]
TEAMS["support"] = {**TEAMS["support"], "usergroup": "S0ONSHIFT"}  # type: ignore[dict-item]


@pytest.fixture
def config():
    return make_config(teams=TEAMS, shifts_reminder={"days_before": 2})


@pytest.fixture
def frozen(frozen, runtime):
    run_jobs(runtime, MONDAY_10)  # the scheduler has started
    return frozen


def who(runtime, at) -> str | None:
    with runtime.session_factory() as session:
        current = shifts.on_shift(session, runtime.config, "support", at)
        return current.user if current else None


def reminders(slack, user: str) -> list[str]:
    return [c.text for c in slack.posts(user) if c.text.startswith("Heads-up")]


def group_members(slack) -> list[str]:
    return [c.params["users"] for c in slack.of("usergroups.users.update")]


def overrides(runtime) -> list[dict]:
    with runtime.session_factory() as session:
        return export_all(session)["shift_overrides"]


def swap_button_value(slack, channel: str) -> str:
    (post,) = [c for c in slack.posts(channel) if "cover" in c.text]
    (element,) = [e for b in post.blocks if b["type"] == "actions" for e in b["elements"]]
    assert element["action_id"] == ActionId.SHIFT_SWAP_TAKE
    return element["value"]


# -- reminders ----------------------------------------------------------------------------------
def test_each_shift_is_reminded_once_days_before_even_across_restarts(runtime, sender, slack, frozen):
    tick(runtime, sender, MONDAY_10)
    # Within two days: Tuesday's and Wednesday's 09:00 shifts (Ben's week).
    sent = reminders(slack, "U0BEN")
    assert len(sent) == 2 and "Tue 05 Mar 09:00" in sent[0] and "Wed 06 Mar 09:00" in sent[1]
    assert "/shift swap 2024-03-05" in sent[0]
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=1), clock=frozen)  # another tick, a restart
    assert len(reminders(slack, "U0BEN")) == 2
    tick(runtime, sender, MONDAY_10 + timedelta(days=1), clock=frozen)
    assert len(reminders(slack, "U0BEN")) == 3  # Thursday's now
    assert reminders(slack, "U0ANNA") == []


def test_days_before_zero_turns_reminders_off(runtime):
    quiet = make_config(teams=TEAMS, shifts_reminder={"days_before": 0})
    with runtime.session_factory() as session:
        assert shifts.shifts_to_remind(session, quiet, MONDAY_10) == []
        assert len(shifts.shifts_to_remind(session, runtime.config, MONDAY_10)) == 2


def test_reminder_days_are_checked_at_start_up():
    with pytest.raises(ValueError, match="days_before"):
        make_config(shifts_reminder={"days_before": -1})
    with pytest.raises(ValueError, match="user group id"):
        make_config(teams={**TEAMS, "support": {**TEAMS["support"], "usergroup": "support-on-shift"}})
    assert TeamConfig.model_validate({"channels": BASE_CONFIG["channels"]}).shifts_reminder.days_before == 2


# -- the on-shift user group ----------------------------------------------------------------------
def test_the_user_group_follows_every_shift_change(driver, runtime, sender, slack, frozen):
    driver.command("/shift", "start support", user="U0ANNA")
    assert group_members(slack) == ["U0ANNA"]
    assert slack.of("usergroups.users.update")[0].params["usergroup"] == "S0ONSHIFT"
    driver.command("/handoff", "<@U0BEN> back to you", user="U0ANNA")
    assert group_members(slack) == ["U0ANNA", "U0BEN"]
    # The scheduled change to next week's person.
    tick(runtime, sender, local(2024, 3, 11, 9, 0), clock=frozen)
    assert group_members(slack)[-1] == "U0ANNA"


def test_the_user_group_holds_the_rota_person_again_when_their_shift_starts(driver, runtime, sender, slack, frozen):
    # Anna covers the evening by hand and ends it: nobody is on shift, so the group keeps her.
    tick(runtime, sender, local(2024, 3, 4, 18, 0), clock=frozen)
    driver.command("/shift", "start support", user="U0ANNA")
    frozen.move_to(local(2024, 3, 4, 19, 0))
    driver.command("/shift", "end", user="U0ANNA")
    sender.drain(local(2024, 3, 4, 19, 0))
    assert group_members(slack)[-1] == "U0ANNA"
    # Tuesday 09:00 is Ben's shift again (no handoff: he held the one before), and the group is his.
    tick(runtime, sender, local(2024, 3, 5, 9, 0), clock=frozen)
    assert who(runtime, local(2024, 3, 5, 9, 0)) == "U0BEN"
    assert group_members(slack)[-1] == "U0BEN"


def test_a_failing_user_group_update_is_retried_and_never_blocks_the_handoff(driver, runtime, sender, slack, frozen):
    slack.fail("usergroups.users.update", 500, times=1)
    reply = driver.command("/handoff", "<@U0ANNA> going home", user="U0BEN")
    assert "Handoff #1" in reply.text
    assert who(runtime, MONDAY_10) == "U0ANNA"
    assert slack.of("usergroups.users.update") == []  # answered 500: not applied
    sender.drain(MONDAY_10 + timedelta(minutes=5))
    assert len(slack.of("usergroups.users.update")) == 1
    assert slack.of("usergroups.users.update")[-1].params["users"] == "U0ANNA"


# -- /shift swap ----------------------------------------------------------------------------------
def test_a_swap_taken_moves_the_shift_and_its_handoff(driver, runtime, sender, slack, frozen):
    reply = driver.command("/shift", "swap 2024-03-05", user="U0BEN")
    assert "Swap #" in reply.text and "stays yours" in reply.text
    value = swap_button_value(slack, "C0SUPPORT")
    assert "Can anyone cover <@U0BEN>'s support weekday shift, Tue 05 Mar 09:00" in slack.posts("C0SUPPORT")[-1].text
    assert overrides(runtime)[0] | {"to_user": None} == overrides(runtime)[0]  # asked, not taken yet

    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="C0SUPPORT")
    (row,) = overrides(runtime)
    assert {k: row[k] for k in ("team", "shift", "date", "from_user", "to_user", "kind")} == {
        "team": "support",
        "shift": "weekday",
        "date": "2024-03-05",
        "from_user": "U0BEN",
        "to_user": "U0ANNA",
        "kind": "swap",
    }
    assert any("<@U0ANNA> takes your support weekday shift" in c.text for c in slack.posts("U0BEN"))
    assert any("You hold <@U0BEN>'s support weekday shift" in c.text for c in slack.posts("U0ANNA"))
    assert any("<@U0ANNA> took" in c.text for c in slack.of("chat.update"))
    # Tuesday is Anna's, Wednesday Ben's again; the scheduled handoffs follow.
    assert who(runtime, local(2024, 3, 5, 10, 0)) == "U0ANNA"
    assert who(runtime, local(2024, 3, 6, 10, 0)) == "U0BEN"
    tick(runtime, sender, local(2024, 3, 5, 9, 0), clock=frozen)
    tick(runtime, sender, local(2024, 3, 6, 9, 0), clock=frozen)
    with runtime.session_factory() as session:
        handed = [(h.from_user, h.to_user) for h in session.scalars(select(Handoff).order_by(Handoff.id))]
    assert handed == [("U0BEN", "U0ANNA"), ("U0ANNA", "U0BEN")]
    csv = to_csv({"shift_overrides": overrides(runtime)})
    assert "shift_override,1,support,weekday,2024-03-05,U0BEN,U0ANNA,swap" in csv


def test_taking_a_shift_under_way_hands_it_over_now(driver, runtime, slack, frozen):
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")  # → Ben, on shift
    driver.command("/shift", "swap 2024-03-04 <@U0ANNA>", user="U0BEN")
    value = swap_button_value(slack, "U0ANNA")  # asked by DM
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="D0ANNA")
    assert who(runtime, MONDAY_10) == "U0ANNA"
    with runtime.session_factory() as session:
        assert session.scalars(select(Escalation.assignee)).all() == ["U0ANNA"]
        (handoff,) = session.scalars(select(Handoff)).all()
    assert (handoff.from_user, handoff.to_user) == ("U0BEN", "U0ANNA")
    assert group_members(slack)[-1] == "U0ANNA"


def test_a_swap_cannot_be_taken_by_its_asker_twice_or_by_someone_not_asked(driver, runtime, slack, frozen):
    driver.command("/shift", "swap 2024-03-05 <@U0ANNA>", user="U0BEN")
    value = swap_button_value(slack, "U0ANNA")
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0BEN", channel="D0BEN")
    assert "your own swap" in slack.ephemerals("U0BEN")[-1].text
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0LEAD", channel="D0LEAD")
    assert "only they may take it" in slack.ephemerals("U0LEAD")[-1].text
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="D0ANNA")
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="D0ANNA")
    assert "<@U0ANNA> already took this shift" in slack.ephemerals("U0ANNA")[-1].text
    assert [r["to_user"] for r in overrides(runtime)] == ["U0ANNA"]


def test_two_people_taking_one_swap_at_once_give_one_taker(driver, runtime, slack):
    # On the real clock: request signatures checked in other threads read it.
    with runtime.session_factory() as session:
        coming = shifts.next_occurrence(session, runtime.config, "support", datetime.now(UTC) + timedelta(days=1))
    assert coming is not None
    asker = coming.person
    driver.command("/shift", f"swap {coming.day.isoformat()}", user=asker)
    value = swap_button_value(slack, "C0SUPPORT")
    takers = [u for u in ("U0ANNA", "U0BEN", "U0LEAD", "U0PAT", "U0STRAT") if u != asker]
    start = threading.Barrier(len(takers))
    statuses: list[int] = []

    def take(user: str) -> None:
        body = _click_body(ActionId.SHIFT_SWAP_TAKE, value, user, "C0SUPPORT")
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        start.wait(timeout=30)
        statuses.append(driver.send(body, headers, drain=False).status)

    threads = [threading.Thread(target=take, args=(u,)) for u in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    driver.sender.drain()
    assert statuses == [200] * len(takers)
    (row,) = overrides(runtime)
    assert row["to_user"] in takers
    losers = [u for u in takers if u != row["to_user"]]
    for user in losers:
        assert "already took this shift" in slack.ephemerals(user)[-1].text
    thanked = [u for u in takers if any(f"You hold <@{asker}>'s" in c.text for c in slack.posts(u))]
    assert thanked == [row["to_user"]]


# -- /shift away ----------------------------------------------------------------------------------
def test_away_days_go_to_the_next_member_and_escalations_skip_them(driver, runtime, slack, frozen):
    reply = driver.command("/shift", "away 2024-03-04..2024-03-05", user="U0BEN")
    assert "You are away 2024-03-04 to 2024-03-05" in reply.text
    assert "<@U0ANNA> covers the support weekday shift, Mon 04 Mar 09:00" in reply.text
    assert who(runtime, MONDAY_10) == "U0ANNA"
    assert who(runtime, local(2024, 3, 5, 10, 0)) == "U0ANNA"
    assert who(runtime, local(2024, 3, 6, 10, 0)) == "U0BEN"
    assert any("<@U0BEN> is away: you cover" in c.text for c in slack.posts("U0ANNA"))
    rows = [(r["date"], r["from_user"], r["to_user"], r["kind"]) for r in overrides(runtime)]
    assert rows == [("2024-03-04", "U0BEN", "U0ANNA", "away"), ("2024-03-05", "U0BEN", "U0ANNA", "away")]
    with runtime.session_factory() as session:
        assert export_all(session)["shift_absences"][0]["last_day"] == "2024-03-05"
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")
    with runtime.session_factory() as session:
        assert session.scalars(select(Escalation.assignee)).all() == ["U0ANNA"]


def test_when_everyone_is_away_the_lead_gets_escalations_only_if_not_away(driver, runtime, frozen):
    driver.command("/shift", "away 2024-03-04", user="U0ANNA")
    reply = driver.command("/shift", "away 2024-03-04", user="U0BEN")
    assert "Nobody else in the rotation is free" in reply.text
    driver.command("/shift", "end", user="U0BEN")
    driver.command("/shift", "away 2024-03-04", user="U0LEAD")
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")
    with runtime.session_factory() as session:
        assert session.scalars(select(Escalation.assignee)).all() == ["U0STRAT"]


def test_a_person_away_who_keeps_a_shift_nobody_can_cover_gets_no_escalation(driver, runtime, frozen):
    driver.command("/shift", "away 2024-03-04", user="U0ANNA")
    reply = driver.command("/shift", "away 2024-03-04", user="U0BEN")
    assert "Nobody else in the rotation is free" in reply.text
    assert who(runtime, MONDAY_10) == "U0BEN"  # the shift stays his, as he was told
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")
    with runtime.session_factory() as session:
        assert session.scalars(select(Escalation.assignee)).all() == ["U0LEAD"]


# -- bad input ----------------------------------------------------------------------------------
@sqlite_only
@pytest.mark.parametrize(
    ("text", "user", "says", "example"),
    [
        ("swap nonsense", "U0BEN", "`nonsense` is not a date", "/shift swap 2026-03-02"),
        ("swap", "U0BEN", "takes the day your shift starts", "/shift swap 2026-03-02"),
        ("swap 2024-03-05 ben", "U0BEN", "`ben` is not a Slack user", "/shift swap 2026-03-02 @ben"),
        ("swap 2024-03-05 <@U0BEN>", "U0BEN", "cannot ask yourself", "/shift swap 2026-03-02"),
        ("swap 2024-03-05", "U0ANNA", "do not hold a shift that starts on 2024-03-05", "/shift swap 2024-03-11"),
        ("swap 2024-03-02", "U0BEN", "do not hold a shift", "/shift swap"),
        ("away 2026-13-40", "U0BEN", "`2026-13-40` is not a day of the calendar", "/shift away 2026-03-02..2026-03-06"),
        ("away 2024-03-08..2024-03-05", "U0BEN", "ends (2024-03-05) before it starts (2024-03-08)", "/shift away"),
        ("away 2024-03-01", "U0BEN", "is in the past", "/shift away"),
        ("away", "U0BEN", "one day or a range", "/shift away"),
        ("away 2024-03-05 2024-03-06", "U0BEN", "one day or a range", "/shift away"),
    ],
)
def test_bad_swaps_and_aways_get_one_clear_answer_with_an_example(driver, slack, frozen, text, user, says, example):
    reply = driver.command("/shift", text, user=user)
    assert says in reply.text and example in reply.text
    assert slack.posts("C0SUPPORT") == []


@sqlite_only
@pytest.mark.parametrize("day", ["tomorrow", "tue", "Tuesday", "2024-03-05"])
def test_a_swap_takes_the_day_as_the_calendar_does(driver, runtime, slack, frozen, day):
    # Monday 4 March: tomorrow, the next Tuesday and the date are all Ben's Tuesday shift.
    reply = driver.command("/shift", f"swap {day}", user="U0BEN")
    assert "Swap #1" in reply.text
    (row,) = overrides(runtime)
    assert (row["date"], row["from_user"], row["kind"]) == ("2024-03-05", "U0BEN", "swap")


@sqlite_only
def test_time_away_takes_days_as_the_calendar_does(driver, runtime, frozen):
    reply = driver.command("/shift", "away tomorrow..wed", user="U0BEN")
    assert "You are away 2024-03-05 to 2024-03-06" in reply.text
    reply = driver.command("/shift", "away today", user="U0BEN")
    assert "You are away 2024-03-04" in reply.text


@sqlite_only
def test_asking_twice_for_the_same_shift_is_refused(driver, frozen):
    driver.command("/shift", "swap 2024-03-05", user="U0BEN")
    assert "already asked for cover" in driver.command("/shift", "swap 2024-03-05", user="U0BEN").text


@sqlite_only
@pytest.mark.parametrize("sub", ["note", "swap", "away", "start", "end", "who"])
def test_sub_command_help_is_answered_with_the_help_and_does_nothing(driver, runtime, sub):
    reply = driver.command("/shift", f"{sub} HELP", user="U0BEN")
    assert "/shift swap 2026-03-02" in reply.text
    assert exported(runtime)["shift_notes"] == [] and overrides(runtime) == []


def test_help_shows_swap_and_away(driver):
    reply = driver.command("/shift", "help")
    assert "/shift swap 2026-03-02" in reply.text and "/shift away 2026-03-02..2026-03-06" in reply.text


@sqlite_only
def test_forged_mentions_in_a_swap_are_not_echoed(driver, slack, frozen):
    reply = driver.command("/shift", "swap <!channel>", user="U0BEN")
    assert "<!channel>" not in reply.text
    assert slack.posts("C0SUPPORT") == []


@sqlite_only
@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("999", "There is no swap #999."),
        ("nonsense", "That button does not name a swap."),
        ("", "That button does not name a swap."),
    ],
)
def test_a_forged_take_shift_button_changes_nothing(driver, runtime, slack, frozen, value, says):
    driver.command("/shift", "swap 2024-03-05", user="U0BEN")
    reply = driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="C0SUPPORT")
    assert reply.status == 200
    assert says in slack.ephemerals("U0ANNA")[-1].text
    assert [r["to_user"] for r in overrides(runtime)] == [None]
    assert who(runtime, local(2024, 3, 5, 10, 0)) == "U0BEN"


def test_a_swap_of_a_shift_given_away_since_cannot_be_taken(driver, runtime, slack, frozen):
    driver.command("/shift", "swap 2024-03-05", user="U0BEN")
    value = swap_button_value(slack, "C0SUPPORT")
    driver.command("/shift", "away 2024-03-05", user="U0BEN")  # Anna covers Tuesday
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0LEAD", channel="C0SUPPORT")
    assert "<@U0BEN> no longer holds this shift; <@U0ANNA> does." in slack.ephemerals("U0LEAD")[-1].text
    assert who(runtime, local(2024, 3, 5, 10, 0)) == "U0ANNA"


# -- a shift under way changing hands: one handoff for the rest of it -------------------------------
def handoffs_written(runtime) -> list[tuple]:
    with runtime.session_factory() as session:
        rows = session.scalars(select(Handoff).order_by(Handoff.id)).all()
        return [(h.from_user, h.to_user, h.kind, h.shift_name) for h in rows]


def open_home(driver, user):
    driver.event(
        {"type": "app_home_opened", "user": user, "channel": "D0" + user[1:], "tab": "home", "event_ts": "1.0"}
    )


def home_text(slack, user) -> str:
    import json

    calls = [c for c in slack.of("views.publish") if c.params.get("user_id") == user]
    assert calls, f"no Home tab published for {user}"
    view = calls[-1].params["view"]
    return view if isinstance(view, str) else json.dumps(view)


def test_away_while_on_shift_hands_the_rest_of_it_over_once(driver, runtime, sender, slack, frozen):
    from tests.helpers import submit_draft

    driver.command("/team", "add <@U0BEN> content_manager", user="U0STRAT")
    with runtime.session_factory.begin() as session:
        draft = submit_draft(session, MONDAY_10, author="U0PAT", text="Spring post")
        draft_id = draft.id
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")  # → Ben, on shift
    driver.command("/shift", "note Customer 42 waits for a refund", user="U0BEN")
    open_home(driver, "U0ANNA")
    tick(runtime, sender, MONDAY_10 + timedelta(seconds=5), clock=frozen)
    assert "Handoff #" not in home_text(slack, "U0ANNA")

    reply = driver.command("/shift", "away 2024-03-04", user="U0BEN")
    assert "handed over to <@U0ANNA> now" in reply.text
    assert who(runtime, MONDAY_10 + timedelta(seconds=5)) == "U0ANNA"
    assert handoffs_written(runtime) == [("U0BEN", "U0ANNA", "away", "weekday")]
    with runtime.session_factory() as session:
        (handoff,) = session.scalars(select(Handoff)).all()
        assert session.scalars(select(Escalation.assignee)).all() == ["U0ANNA"]
    assert handoff.escalation_ids == [1] and handoff.draft_ids == [draft_id]
    # The person taking over gets it to acknowledge, with what a shift change carries.
    (dm,) = [c for c in slack.posts("U0ANNA") if c.text.startswith(f"Handoff #{handoff.id}")]
    assert ActionId.HANDOFF_ACK in [
        e.get("action_id") for b in dm.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    carried = dm.all_text()
    assert "time away: the rest of the weekday shift" in carried
    assert "Refund thread" in carried and f"#{draft_id}" in carried and "Customer 42 waits for a refund" in carried
    assert any(c.text.startswith(f"Handoff #{handoff.id}") for c in slack.posts("C0SUPPORT"))
    assert group_members(slack)[-1] == "U0ANNA"
    tick(runtime, sender, MONDAY_10 + timedelta(seconds=10), clock=frozen)
    assert f"Handoff #{handoff.id} (support) from <@U0BEN>" in home_text(slack, "U0ANNA")

    # The same command again, a wider one, the scheduler's rounds and a restart: still one handoff.
    driver.command("/shift", "away 2024-03-04", user="U0BEN")
    driver.command("/shift", "away 2024-03-04..2024-03-05", user="U0BEN")
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=1), clock=frozen)
    restarted = Runtime(runtime.settings, runtime.config, runtime.engine, runtime.session_factory, runtime.client)
    tick(restarted, sender, MONDAY_10 + timedelta(minutes=2), clock=frozen)
    tick(restarted, sender, local(2024, 3, 5, 9, 0), clock=frozen)  # Tuesday: Anna covers, no change
    assert handoffs_written(runtime) == [("U0BEN", "U0ANNA", "away", "weekday")]
    driver.click(ActionId.HANDOFF_ACK, str(handoff.id), user="U0ANNA", channel="D0ANNA")
    with runtime.session_factory() as session:
        assert session.get(Handoff, handoff.id).acknowledged_at is not None


def test_away_from_a_shift_that_has_not_begun_writes_no_handoff_now(driver, runtime, sender, frozen):
    reply = driver.command("/shift", "away 2024-03-05", user="U0BEN")  # Tuesday; Ben is on Monday's now
    assert "handed over" not in reply.text
    assert who(runtime, MONDAY_10) == "U0BEN"
    assert handoffs_written(runtime) == []
    tick(runtime, sender, local(2024, 3, 5, 9, 0), clock=frozen)  # the shift change does it, once
    tick(runtime, sender, local(2024, 3, 5, 9, 1), clock=frozen)
    assert handoffs_written(runtime) == [("U0BEN", "U0ANNA", "scheduled", "weekday")]


def test_away_just_after_the_start_before_the_scheduler_got_to_it_is_one_handoff(driver, runtime, sender, frozen):
    tick(runtime, sender, local(2024, 3, 4, 17, 0), clock=frozen)
    frozen.move_to(local(2024, 3, 5, 9, 0, 1))  # Tuesday, Ben's again: the round for 09:00 not run yet
    driver.command("/shift", "away 2024-03-05", user="U0BEN")
    tick(runtime, sender, local(2024, 3, 5, 9, 0, 5), clock=frozen)
    assert handoffs_written(runtime) == [("U0BEN", "U0ANNA", "away", "weekday")]


def test_a_swap_taken_of_a_shift_under_way_is_one_handoff_whatever_follows(driver, runtime, sender, slack, frozen):
    tick(runtime, sender, local(2024, 3, 4, 17, 0), clock=frozen)
    frozen.move_to(local(2024, 3, 5, 9, 0, 1))
    driver.command("/shift", "swap 2024-03-05", user="U0BEN")
    value = swap_button_value(slack, "C0SUPPORT")
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="C0SUPPORT")
    driver.click(ActionId.SHIFT_SWAP_TAKE, value, user="U0ANNA", channel="C0SUPPORT")  # a second click
    tick(runtime, sender, local(2024, 3, 5, 9, 0, 5), clock=frozen)  # the scheduler's round for 09:00
    tick(runtime, sender, local(2024, 3, 5, 9, 1), clock=frozen)
    assert handoffs_written(runtime) == [("U0BEN", "U0ANNA", "swap", "weekday")]
    (dm,) = [c for c in slack.posts("U0ANNA") if c.text.startswith("Handoff #")]
    assert "swap: the rest of the weekday shift" in dm.all_text()
    assert group_members(slack)[-1] == "U0ANNA"


def test_a_swap_taken_of_a_shift_someone_else_covers_by_hand_moves_nobody_now(driver, runtime, slack, frozen):
    driver.command("/shift", "start support", user="U0LEAD")  # the lead covers Ben's Monday by hand
    driver.command("/shift", "swap 2024-03-04", user="U0BEN")
    driver.click(ActionId.SHIFT_SWAP_TAKE, swap_button_value(slack, "C0SUPPORT"), user="U0ANNA", channel="C0SUPPORT")
    assert who(runtime, MONDAY_10) == "U0LEAD"
    assert handoffs_written(runtime) == []


def test_away_from_a_shift_started_by_hand_gives_it_back_to_the_rota(driver, runtime, sender, frozen):
    driver.command("/shift", "start support", user="U0ANNA")  # instead of Ben
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")  # → Anna
    reply = driver.command("/shift", "away 2024-03-04", user="U0ANNA")
    assert "handed over to <@U0BEN> now" in reply.text
    assert who(runtime, MONDAY_10) == "U0BEN"
    driver.command("/shift", "away 2024-03-04", user="U0ANNA")
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=1), clock=frozen)
    assert handoffs_written(runtime) == [("U0ANNA", "U0BEN", "away", "weekday")]
    with runtime.session_factory() as session:
        assert session.scalars(select(Escalation.assignee)).all() == ["U0BEN"]


def test_away_from_a_shift_by_hand_nobody_can_take_keeps_it_and_says_so(driver, runtime, frozen):
    driver.command("/shift", "start support", user="U0ANNA")
    driver.command("/shift", "away 2024-03-04", user="U0BEN")  # Anna covers Ben's rota shift too
    reply = driver.command("/shift", "away 2024-03-04", user="U0ANNA")
    assert "still on the support shift you started by hand" in reply.text and "/handoff @next" in reply.text
    assert who(runtime, MONDAY_10) == "U0ANNA"
    assert handoffs_written(runtime) == []


NIGHT = {"team": "support", "name": "night", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
NIGHT_CONFIG = make_config(
    teams=TEAMS,
    shifts=[
        *BASE_CONFIG["shifts"],  # type: ignore[list-item]
        {**NIGHT, "start": "22:00", "end": "06:00", "members": ["U0ANNA", "U0BEN"]},
    ],
)


@pytest.mark.parametrize("config", [NIGHT_CONFIG])
def test_away_from_today_in_a_night_shift_begun_yesterday_hands_it_over(driver, runtime, sender, config, frozen):
    at = local(2024, 3, 5, 2, 0)  # Tuesday 02:00: Monday's night shift, Ben's week
    tick(runtime, sender, local(2024, 3, 4, 22, 0), clock=frozen)
    frozen.move_to(at)
    assert who(runtime, at) == "U0BEN"
    reply = driver.command("/shift", "away 2024-03-05", user="U0BEN")
    assert "<@U0ANNA> covers the support night shift, Mon 04 Mar 22:00" in reply.text
    assert who(runtime, at) == "U0ANNA"
    tick(runtime, sender, at + timedelta(minutes=1), clock=frozen)
    assert handoffs_written(runtime)[-1] == ("U0BEN", "U0ANNA", "away", "night")
    assert [h for h in handoffs_written(runtime) if h[2] == "away"] == [("U0BEN", "U0ANNA", "away", "night")]


ALL_DAY = {"team": "support", "name": "allday", "days": NIGHT["days"], "start": "00:00", "end": "00:00"}


@pytest.mark.parametrize("config", [make_config(shifts=[{**ALL_DAY, "members": ["U0ANNA", "U0BEN"]}])])
def test_the_same_away_sent_twice_at_once_is_one_handoff(driver, runtime, config):
    # On the real clock: request signatures checked in other threads read it.
    now = datetime.now(UTC)
    holder = who(runtime, now)
    assert holder in ("U0ANNA", "U0BEN")
    today = now.astimezone(config.tz).date().isoformat()
    start = threading.Barrier(2)
    statuses: list[int] = []

    def away() -> None:
        body = urlencode(
            {
                "team_id": "T0TEAM",
                "channel_id": "C0GENERAL",
                "user_id": holder,
                "command": "/shift",
                "text": f"away {today}",
                "response_url": "https://hooks.slack.test/commands/1",
                "trigger_id": "t1",
            }
        )
        headers = signed_headers(body)
        start.wait(timeout=30)
        statuses.append(driver.send(body, headers, drain=False).status)

    threads = [threading.Thread(target=away) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    driver.sender.drain()
    assert statuses == [200, 200]
    other = "U0BEN" if holder == "U0ANNA" else "U0ANNA"
    assert handoffs_written(runtime) == [(holder, other, "away", "allday")]


# -- the overview the Home tab reads ------------------------------------------------------------
def test_the_overview_says_what_each_teams_shift_lookups_say(driver, runtime, slack, frozen):
    night = {"team": "pr", "name": "night", "days": ["sun", "mon", "wed"], "start": "22:00", "end": "06:00"}
    config = make_config(
        teams=TEAMS,
        shifts=[*BASE_CONFIG["shifts"], {**night, "members": ["U0PAT", "U0PRLEAD"]}],  # type: ignore[list-item]
        shifts_reminder={"days_before": 0},
    )
    driver.command("/shift", "swap 2024-03-05", user="U0BEN")
    driver.click(ActionId.SHIFT_SWAP_TAKE, swap_button_value(slack, "C0SUPPORT"), user="U0ANNA", channel="C0SUPPORT")
    driver.command("/shift", "away 2024-03-07..2024-03-08", user="U0BEN")
    frozen.move_to(MONDAY_10 + timedelta(hours=2))
    driver.command("/shift", "end", user="U0BEN")  # Monday's rota shift ended early
    driver.command("/shift", "start pr", user="U0PAT")  # by hand, no end
    with runtime.session_factory() as session:
        for hours in range(-3, 24 * 12, 5):
            at = MONDAY_10 + timedelta(hours=hours)
            teams = [
                (team, shifts.on_shift(session, config, team, at), shifts.next_occurrence(session, config, team, at))
                for team in config.team_names()
            ]
            for horizon in (timedelta(days=2), timedelta(days=9)):
                ahead = [
                    [o for o in shifts.occurrences(session, config, team, at, at + horizon) if o.start > at]
                    for team in config.team_names()
                ]
                for user in ("U0ANNA", "U0BEN", "U0PAT", "U0PRLEAD", "U0NOBODY"):
                    seen = shifts.overview(session, config, user, at, horizon)
                    assert [(t.team, t.now, t.next) for t in seen.teams] == teams, at
                    own = [next((o for o in found if o.person == user), None) for found in ahead]
                    expected = min((o for o in own if o), key=lambda o: o.start, default=None)
                    assert seen.own_next == expected, (at, horizon, user)
