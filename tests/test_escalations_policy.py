"""The escalation policy: unacknowledged escalations climb on_shift → lead → strategist on the
severity's timeout, from state in the database, once however many ticks or schedulers run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import run_jobs
from bot.features.escalations.models import Escalation
from bot.slack.ids import ActionId
from bot.slack.runtime import Runtime
from tests.conftest import make_config
from tests.helpers import MONDAY_10, tick


@pytest.fixture
def frozen(frozen, runtime):
    run_jobs(runtime, MONDAY_10)  # the scheduler has started
    return frozen


def the_escalation(runtime) -> Escalation:
    with runtime.session_factory() as session:
        return session.scalars(select(Escalation)).one()


def dms(slack, user: str) -> list[str]:
    return [c.text for c in slack.posts(user)]


def test_climbs_level_by_level_on_the_severity_timeout(driver, slack, runtime, sender, frozen):
    driver.command("/escalate", "high Customer threatens to go to the press", user="U0COMMUNITY")
    assert len(dms(slack, "U0BEN")) == 1

    tick(runtime, sender, MONDAY_10 + timedelta(minutes=14, seconds=59), frozen)
    assert dms(slack, "U0LEAD") == [] and the_escalation(runtime).level_name == "on_shift"

    tick(runtime, sender, MONDAY_10 + timedelta(minutes=15), frozen)
    (lead_dm,) = dms(slack, "U0LEAD")
    assert "climbed to you (lead)" in lead_dm and "15 min" in lead_dm
    esc = the_escalation(runtime)
    assert (esc.level_name, esc.assignee, esc.status) == ("lead", "U0BEN", "open")  # the assignee stays
    update = [c for c in slack.of("chat.update") if c.channel == "C0ESCALATE"][-1]
    assert "level *lead*" in update.all_text()
    assert dms(slack, "U0STRAT") == []

    tick(runtime, sender, MONDAY_10 + timedelta(minutes=30, seconds=5), frozen)
    (strategist_dm,) = dms(slack, "U0STRAT")
    assert "climbed to you (strategist)" in strategist_dm
    assert the_escalation(runtime).level_name == "strategist"
    assert the_escalation(runtime).next_climb_at is None

    # Out of levels: nobody else is told, however long it waits.
    sent = len(slack.calls)
    tick(runtime, sender, MONDAY_10 + timedelta(hours=5), frozen)
    assert len(slack.calls) == sent

    # Whoever was notified may acknowledge and becomes the assignee.
    driver.click(ActionId.ESCALATION_ACK, "1", user="U0STRAT", channel="U0STRAT")
    esc = the_escalation(runtime)
    assert (esc.status, esc.assignee) == ("acknowledged", "U0STRAT")


def test_acknowledging_stops_the_climb(driver, slack, runtime, sender, frozen):
    driver.command("/escalate", "crisis Outage rumours", user="U0COMMUNITY")
    assert len(dms(slack, "U0STRAT")) == 1  # crisis: strategists at once
    frozen.tick(timedelta(minutes=4))
    driver.command("/escalate", "ack 1", user="U0BEN")
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=6), frozen)
    tick(runtime, sender, MONDAY_10 + timedelta(hours=1), frozen)
    assert dms(slack, "U0LEAD") == []
    assert len(dms(slack, "U0STRAT")) == 1


def test_retried_ticks_and_a_restart_notify_once(driver, slack, runtime, sender, frozen, settings, engine):
    driver.command("/escalate", "normal Complaint", user="U0COMMUNITY")
    due = MONDAY_10 + timedelta(minutes=60, seconds=3)
    tick(runtime, sender, due, frozen)
    tick(runtime, sender, due, frozen)
    # A restarted process (new runtime, same database) picks up from the stored state.
    restarted = Runtime(settings, runtime.config, engine, runtime.session_factory.__class__(engine), runtime.client)
    run_jobs(restarted, due)
    sender.drain()
    assert len(dms(slack, "U0LEAD")) == 1
    later = MONDAY_10 + timedelta(minutes=120, seconds=4)
    frozen.move_to(later)
    run_jobs(restarted, later)
    sender.drain()
    assert len(dms(slack, "U0STRAT")) == 1


def test_timer_fires_within_ten_seconds_of_due_time(driver, slack, runtime, sender, frozen):
    driver.command("/escalate", "low Typo", user="U0COMMUNITY")
    due = MONDAY_10 + timedelta(minutes=240)
    for offset in range(-10, 11, 5):  # ticks every 5 s around the due time
        tick(runtime, sender, due + timedelta(seconds=offset), frozen)
        if offset < 0:
            assert dms(slack, "U0LEAD") == []
    assert len(dms(slack, "U0LEAD")) == 1


def test_reassigning_an_unacknowledged_one_restarts_its_timer(driver, slack, runtime, sender, frozen):
    driver.command("/escalate", "high Complaint", user="U0COMMUNITY")
    frozen.move_to(MONDAY_10 + timedelta(minutes=10))
    driver.command("/escalate", "reassign 1 <@U0ANNA>", user="U0BEN")
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=16), frozen)
    assert dms(slack, "U0LEAD") == []
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=25), frozen)
    assert len(dms(slack, "U0LEAD")) == 1
    assert the_escalation(runtime).assignee == "U0ANNA"


class TestCustomLevels:
    @pytest.fixture
    def config(self):
        return make_config(
            escalation={"levels": ["lead", "strategist"], "ack_timeout_minutes": {"normal": 0.5}},
        )

    def test_levels_and_decimal_timeouts_come_from_the_config(self, driver, slack, runtime, sender, frozen):
        driver.command("/escalate", "Complaint", user="U0COMMUNITY")
        esc = the_escalation(runtime)
        assert esc.level_name == "lead" and esc.assignee == "U0BEN"
        assert len(dms(slack, "U0LEAD")) == 1  # the first level is told at once
        tick(runtime, sender, MONDAY_10 + timedelta(seconds=30), frozen)
        assert len(dms(slack, "U0STRAT")) == 1
        assert the_escalation(runtime).level_name == "strategist"


def test_two_schedulers_ticking_the_same_due_escalation_notify_once(driver, slack, runtime, sender, frozen, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the concurrent case is about PostgreSQL (SQLite serialises writers)")
    for number in range(10):
        driver.command("/escalate", f"high Complaint {number}", user="U0COMMUNITY")
    due = MONDAY_10 + timedelta(minutes=15, seconds=1)
    frozen.move_to(due)
    for _round in range(3):
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def scheduler(barrier: threading.Barrier = barrier, errors: list[BaseException] = errors) -> None:
            try:
                barrier.wait()
                run_jobs(runtime, due)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    sender.drain()
    lead_dms = dms(slack, "U0LEAD")
    assert len(lead_dms) == 10
    assert sorted(text.split("Escalation #")[1].split(" ")[0] for text in lead_dms) == sorted(
        str(n) for n in range(1, 11)
    )
    with runtime.session_factory() as session:
        assert set(session.scalars(select(Escalation.level_name))) == {"lead"}


def test_with_nobody_on_shift_it_starts_at_the_lead_and_climbs_on_to_the_strategists(
    driver, slack, runtime, sender, frozen
):
    # Saturday: nobody is on the weekday rota, so the lead holds it from the start.
    saturday = MONDAY_10 + timedelta(days=5)
    tick(runtime, sender, saturday, frozen)
    driver.command("/escalate", "high Angry customer", user="U0COMMUNITY")
    esc = the_escalation(runtime)
    assert (esc.assignee, esc.level_name) == ("U0LEAD", "lead")
    tick(runtime, sender, saturday + timedelta(minutes=15), frozen)
    assert the_escalation(runtime).level_name == "strategist"
    assert "climbed to you (strategist)" in dms(slack, "U0STRAT")[0]
    assert len(dms(slack, "U0LEAD")) == 1  # told once, when it was assigned


def test_a_timeout_under_a_minute_is_named_in_seconds():
    from bot.features.escalations.service import _wait_text

    assert (_wait_text(timedelta(seconds=30)), _wait_text(timedelta(minutes=15))) == ("30 s", "15 min")
    assert _wait_text(timedelta(seconds=90)) == "1.5 min"


def test_after_the_scheduler_was_down_the_missed_levels_follow_at_once(driver, slack, runtime, sender, frozen):
    driver.command("/escalate", "high Customer threatens to go to the press", user="U0COMMUNITY")
    back = MONDAY_10 + timedelta(hours=1)  # both climbs (15 and 30 min) were due while it was down
    tick(runtime, sender, back, frozen)
    assert the_escalation(runtime).level_name == "lead"
    tick(runtime, sender, back + timedelta(seconds=5), frozen)
    assert the_escalation(runtime).level_name == "strategist"
    assert len(dms(slack, "U0LEAD")) == 1 and len(dms(slack, "U0STRAT")) == 1


def test_a_level_with_nobody_in_it_is_skipped_when_climbing(runtime, slack, sender, frozen):
    import dataclasses

    from bot.app import create_app
    from tests.driver import SlackDriver

    teams = {**make_config().model_dump()["teams"], "legal": {"members": ["U0LIZ"], "channel": "C0LEGAL"}}
    shifts = [
        {"team": "legal", "name": "weekday", "days": ["mon"], "start": "09:00", "end": "17:00", "members": ["U0LIZ"]}
    ]
    no_lead = make_config(teams=teams, shifts=shifts)
    driver = SlackDriver(create_app(dataclasses.replace(runtime, config=no_lead)), sender)
    driver.command("/escalate", "legal high Lawsuit threat", user="U0COMMUNITY")
    assert the_escalation(runtime).assignee == "U0LIZ"

    # legal has no lead: the first climb goes on to the strategists, on the first timeout.
    frozen.move_to(MONDAY_10 + timedelta(minutes=15))
    run_jobs(dataclasses.replace(runtime, config=no_lead), MONDAY_10 + timedelta(minutes=15))
    sender.drain()
    assert the_escalation(runtime).level_name == "strategist"
    assert "climbed to you (strategist)" in dms(slack, "U0STRAT")[0]
