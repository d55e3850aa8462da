"""Handoffs: /handoff, the scheduled shift change (once per boundary, on the team's wall clock,
across DST changes), the Acknowledge handoff button, reminders and the report to coordinators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.app import export_all, run_jobs
from bot.features.approvals import service as approvals
from bot.features.approvals.models import Draft
from bot.features.escalations.models import Escalation
from bot.features.handoffs.models import Handoff
from bot.features.roles import service as roles
from bot.features.shifts.models import ShiftNote
from bot.slack.ids import ActionId
from tests.conftest import make_config
from tests.helpers import MONDAY_10, action_ids, sqlite_only, tick


@pytest.fixture
def frozen(frozen, runtime):
    run_jobs(runtime, MONDAY_10)  # the scheduler has started
    return frozen


def handoffs_in_db(runtime) -> list[Handoff]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(Handoff).order_by(Handoff.id)))


def assignees(runtime) -> dict[int, str | None]:
    with runtime.session_factory() as session:
        return {e.id: e.assignee for e in session.scalars(select(Escalation))}


# -- /handoff -----------------------------------------------------------------------------------
@sqlite_only
def test_help(driver):
    reply = driver.command("/handoff", "help")
    assert "/handoff" in reply.text and "/handoff @ben" in reply.text and "Examples" in reply.text


def test_a_lead_covering_for_someone_hands_over_their_shift(driver, slack, runtime, frozen):
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")  # → Ben (on shift)
    reply = driver.command("/handoff", "<@U0ANNA> Ben went home sick", user="U0LEAD")
    assert reply.status == 200
    (handoff,) = handoffs_in_db(runtime)
    assert (handoff.from_user, handoff.to_user, handoff.escalation_ids) == ("U0BEN", "U0ANNA", [1])
    assert "Handed over by <@U0LEAD> for <@U0BEN>" in handoff.notes and "went home sick" in handoff.notes
    assert assignees(runtime) == {1: "U0ANNA"}
    assert any("handed your support shift over to <@U0ANNA>" in c.text for c in slack.posts("U0BEN"))


def test_a_member_who_is_not_on_shift_hands_over_their_own_escalations(driver, slack, runtime, frozen):
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")  # → Ben (on shift)
    driver.command("/escalate", "reassign 1 <@U0ANNA>", user="U0BEN")
    driver.command("/shift", "note Customer waits for a refund answer", user="U0BEN")
    reply = driver.command("/handoff", "<@U0COMMUNITY> off this afternoon", user="U0ANNA")
    (handoff,) = handoffs_in_db(runtime)
    assert (handoff.from_user, handoff.escalation_ids) == ("U0ANNA", [1])
    assert assignees(runtime) == {1: "U0COMMUNITY"}
    assert not any("handed your support shift" in c.text for c in slack.posts("U0BEN"))
    # Ben keeps his shift and his shift notes; only Anna's own work moved.
    assert "The shift stays with <@U0BEN>" in reply.text
    assert "on shift: <@U0BEN>" in driver.command("/shift", "who").text
    with runtime.session_factory() as session:
        (note,) = session.scalars(select(ShiftNote))
    assert note.handoff_id is None


def test_handing_ones_work_to_whoever_is_on_shift_leaves_their_notes_for_the_next_shift(driver, runtime, frozen):
    driver.command("/shift", "note Customer waits for a refund answer", user="U0BEN")  # Ben is on shift
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")
    driver.command("/escalate", "reassign 1 <@U0ANNA>", user="U0BEN")
    reply = driver.command("/handoff", "<@U0BEN> going home", user="U0ANNA")
    assert "<@U0BEN> is on shift now" in reply.text and assignees(runtime) == {1: "U0BEN"}
    with runtime.session_factory() as session:
        (note,) = session.scalars(select(ShiftNote))
    assert note.handoff_id is None


def test_a_handoff_mid_shift_covers_the_rest_of_that_shift_only(driver, slack, runtime, frozen, sender):
    driver.command("/handoff", "<@U0ANNA>", user="U0BEN")
    tick(runtime, sender, MONDAY_10 + timedelta(hours=6), frozen)  # 16:00: still the weekday shift
    driver.command("/escalate", "Afternoon complaint", user="U0COMMUNITY")
    tick(runtime, sender, MONDAY_10 + timedelta(hours=12), frozen)  # 22:00: the shift ended at 17:00
    driver.command("/escalate", "Late complaint", user="U0COMMUNITY")
    assert assignees(runtime) == {1: "U0ANNA", 2: "U0LEAD"}


def test_who_handed_the_shift_over_is_not_back_on_it_when_the_cover_ends_early(driver, runtime, frozen, sender):
    driver.command("/handoff", "<@U0ANNA> going home sick", user="U0BEN")
    tick(runtime, sender, MONDAY_10 + timedelta(hours=2), frozen)
    assert "has ended" in driver.command("/shift", "end", user="U0ANNA").text
    assert "nobody" in driver.command("/shift", "who").text.lower()
    driver.command("/escalate", "high Angry customer", user="U0COMMUNITY")
    assert assignees(runtime) == {1: "U0LEAD"}


def test_handoff_notes_follow_a_mention_whose_label_has_spaces(driver, runtime, frozen):
    driver.command("/handoff", "<@U0ANNA|anna kovacs> going home sick", user="U0BEN")
    [handoff] = handoffs_in_db(runtime)
    assert handoff.to_user == "U0ANNA" and handoff.notes == "going home sick"


def test_whoever_covered_the_end_of_a_shift_hands_over_at_the_next_shift_change(driver, slack, runtime, frozen, sender):
    driver.command("/handoff", "<@U0ANNA> leaving early", user="U0BEN")  # Monday 10:00, Ben's shift
    tick(runtime, sender, MONDAY_10 + timedelta(hours=6), frozen)
    driver.command("/escalate", "Afternoon complaint", user="U0COMMUNITY")  # → Anna, covering
    driver.command("/shift", "note Customer waits for a refund answer", user="U0ANNA")
    for minutes in range(0, 19 * 60, 5):  # to Tuesday 11:00 Budapest
        tick(runtime, sender, MONDAY_10 + timedelta(hours=6, minutes=minutes), frozen)
    manual, scheduled = handoffs_in_db(runtime)
    assert manual.kind == "manual"
    assert (scheduled.kind, scheduled.from_user, scheduled.to_user) == ("scheduled", "U0ANNA", "U0BEN")
    assert scheduled.escalation_ids == [1] and assignees(runtime) == {1: "U0BEN"}
    with runtime.session_factory() as session:
        (note,) = session.scalars(select(ShiftNote))
    assert note.handoff_id == scheduled.id


def _draft(ts: str, author: str, *, current_step: int = 0) -> Draft:
    chain = ["content_manager", "strategist"]
    return Draft(
        channel="C0DRAFTS",
        ts=ts,
        author=author,
        text="Spring campaign",
        files_signature="",
        status="pending",
        current_step=current_step,
        current_role=chain[current_step],
        chain=",".join(chain),
        created_at=MONDAY_10,
        updated_at=MONDAY_10,
        step_started_at=MONDAY_10,
    )


def test_handoff_carries_escalations_drafts_and_notes(driver, slack, runtime, frozen):
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")  # → Ben (on shift)
    driver.command("/escalate", "pr Journalist", user="U0COMMUNITY")  # → pr lead, stays
    driver.command("/escalate", "Resolved already", user="U0COMMUNITY")
    driver.command("/escalate", "resolve 3", user="U0BEN")
    driver.command("/shift", "note Customer in the refund thread waits for a reply", user="U0BEN")
    with runtime.session_factory() as session, session.begin():
        # Ben approves as a content manager: the first draft waits on him; his own draft and one
        # at the strategists' step do not.
        roles.add(session, "U0BEN", "content_manager", None, MONDAY_10)
        waiting = _draft("1709542800.000100", "U0COMMUNITY")
        session.add_all(
            [waiting, _draft("1709542800.000200", "U0BEN"), _draft("1709542800.000300", "U0COMMUNITY", current_step=1)]
        )
        session.flush()
        draft_id = waiting.id
        assert [d.id for d in approvals.drafts_waiting_on(session, "U0BEN")] == [draft_id]

    frozen.tick(timedelta(minutes=30))
    reply = driver.command("/handoff", "<@U0ANNA|anna> Watch the <!channel> outage thread", user="U0BEN")
    assert "Handoff #1" in reply.text and "1 open escalation now assigned" in reply.text

    (handoff,) = handoffs_in_db(runtime)
    assert (handoff.team, handoff.from_user, handoff.to_user, handoff.kind) == ("support", "U0BEN", "U0ANNA", "manual")
    assert handoff.escalation_ids == [1] and handoff.draft_ids == [draft_id]
    assert assignees(runtime) == {1: "U0ANNA", 2: "U0PRLEAD", 3: "U0BEN"}
    with runtime.session_factory() as session:
        assert {n.handoff_id for n in session.scalars(select(ShiftNote))} == {1}

    (post,) = slack.posts("C0SUPPORT")
    text = post.all_text()
    assert "Handoff #1" in text and "#1" in text and "Refund thread" in text
    assert "Customer in the refund thread" in text and "C0DRAFTS/p1709542800000100" in text
    assert "p1709542800000200" not in text and "p1709542800000300" not in text
    assert ActionId.HANDOFF_ACK not in action_ids(post)
    dm = next(c for c in slack.posts("U0ANNA") if "Handoff #1" in c.text)
    assert action_ids(dm) == [ActionId.HANDOFF_ACK]
    assert any("Handed over to you" in c.text for c in slack.posts("U0ANNA"))
    assert "<!channel>" not in slack.everything_sent() and "<!channel>" not in reply.body

    # The incoming person is on shift now: new escalations go to them.
    driver.command("/escalate", "Another one", user="U0COMMUNITY")
    assert assignees(runtime)[4] == "U0ANNA"


def test_acknowledge_handoff_button(driver, slack, runtime, frozen):
    driver.command("/handoff", "<@U0ANNA>", user="U0BEN")
    driver.click(ActionId.HANDOFF_ACK, "1", user="U0BEN", channel="D0BEN")
    assert "Only <@U0ANNA>" in slack.ephemerals("U0BEN")[-1].text
    assert handoffs_in_db(runtime)[0].acknowledged_at is None
    frozen.tick(timedelta(minutes=7))
    driver.click(ActionId.HANDOFF_ACK, "1", user="U0ANNA", channel="D0ANNA")
    (handoff,) = handoffs_in_db(runtime)
    assert handoff.acknowledged_at == MONDAY_10 + timedelta(minutes=7)
    updates = slack.of("chat.update")
    assert {c.channel for c in updates} >= {"C0SUPPORT"}
    assert all(ActionId.HANDOFF_ACK not in action_ids(c) for c in updates)
    assert any("Acknowledged by <@U0ANNA>" in c.all_text() for c in updates)
    driver.click(ActionId.HANDOFF_ACK, "1", user="U0ANNA", channel="D0ANNA")
    assert "already acknowledged" in slack.ephemerals("U0ANNA")[-1].text
    with runtime.session_factory() as session:
        (exported,) = export_all(session)["handoffs"]
    assert exported["id"] == 1 and exported["team"] == "support"
    assert (exported["from_user"], exported["to_user"]) == ("U0BEN", "U0ANNA")
    assert exported["created_at"] == "2024-03-04T09:00:00+00:00"
    assert exported["acknowledged_at"] == "2024-03-04T09:07:00+00:00"


class TestNoTeamChannel:
    @pytest.fixture
    def config(self):
        return make_config(teams={"support": {"lead": "U0LEAD", "members": ["U0ANNA", "U0BEN"]}})

    def test_falls_back_to_the_escalations_channel(self, driver, slack, runtime, frozen):
        driver.command("/handoff", "<@U0ANNA>", user="U0BEN")
        assert len(slack.posts("C0ESCALATE")) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "needs the person taking over"),
        ("bob notes", "`bob` is not a Slack user"),
        ("<@U0BEN> notes", "cannot hand off to yourself"),
        ("<@UBOT>", "cannot take this over"),
        ("<@U0HOOK> notes", "is a bot"),
        ("<@U0GONE>", "left the workspace"),
        ("<!channel> everyone", "is not a Slack user"),
    ],
)
def test_bad_input(driver, slack, runtime, frozen, text, expected):
    driver.command("/escalate", "Refund thread", user="U0COMMUNITY")
    slack.users["U0HOOK"] = {"is_bot": True}
    slack.users["U0GONE"] = {"deleted": True}
    reply = driver.command("/handoff", text, user="U0BEN")
    assert reply.json["response_type"] == "ephemeral"
    assert expected in reply.text and "Example" in reply.text
    assert "<!channel>" not in reply.body
    assert handoffs_in_db(runtime) == []
    assert assignees(runtime) == {1: "U0BEN"}


def test_when_slack_cannot_say_whether_it_is_a_bot_the_person_is_taken(driver, slack, runtime, frozen):
    slack.fail("users.info", 500)
    reply = driver.command("/handoff", "<@U0ANNA>", user="U0BEN")
    assert "Handoff #1" in reply.text


# -- reminders ----------------------------------------------------------------------------------
def test_unacknowledged_handoff_is_reminded_once_then_reported_to_coordinators(driver, slack, runtime, sender, frozen):
    driver.command("/handoff", "<@U0ANNA>", user="U0BEN")
    tick(runtime, sender, MONDAY_10 + timedelta(minutes=29), frozen)
    assert not [c for c in slack.posts("U0ANNA") if "Reminder" in c.text]
    for seconds in (0, 5, 10):
        tick(runtime, sender, MONDAY_10 + timedelta(minutes=30, seconds=seconds), frozen)
    reminders = [c for c in slack.posts("U0ANNA") if "Reminder" in c.text]
    assert len(reminders) == 1 and "#1" in reminders[0].text
    assert slack.posts("U0COORD") == []
    for seconds in (0, 5):
        tick(runtime, sender, MONDAY_10 + timedelta(minutes=60, seconds=seconds), frozen)
    (report,) = slack.posts("U0COORD")
    assert "#1" in report.text and "still not acknowledged" in report.text
    tick(runtime, sender, MONDAY_10 + timedelta(hours=5), frozen)
    assert len(slack.posts("U0COORD")) == 1
    assert len([c for c in slack.posts("U0ANNA") if "Reminder" in c.text]) == 1


def test_acknowledged_handoff_is_not_reminded(driver, slack, runtime, sender, frozen):
    driver.command("/handoff", "<@U0ANNA>", user="U0BEN")
    driver.click(ActionId.HANDOFF_ACK, "1", user="U0ANNA", channel="D0ANNA")
    tick(runtime, sender, MONDAY_10 + timedelta(hours=3), frozen)
    assert not [c for c in slack.posts("U0ANNA") if "Reminder" in c.text]
    assert slack.posts("U0COORD") == []


# -- scheduled shift changes --------------------------------------------------------------------
def scheduled(runtime) -> list[Handoff]:
    return [h for h in handoffs_in_db(runtime) if h.kind == "scheduled"]


def test_scheduled_shift_change_writes_one_handoff_per_boundary(driver, slack, runtime, sender):
    friday_evening = datetime(2024, 3, 1, 17, 0, tzinfo=UTC)  # Anna's week
    with freeze_time(friday_evening) as frozen:
        run_jobs(runtime, friday_evening)
        frozen.move_to(datetime(2024, 3, 1, 15, 0, tzinfo=UTC))
        driver.command("/escalate", "Old complaint", user="U0COMMUNITY")  # not assigned to Anna: after hours
        with runtime.session_factory() as session, session.begin():
            session.get(Escalation, 1).assignee = "U0ANNA"
        monday_9 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 in Budapest
        tick(runtime, sender, monday_9 - timedelta(seconds=5), frozen)
        assert scheduled(runtime) == []
        for seconds in (0, 0, 5, 10, 3600):
            tick(runtime, sender, monday_9 + timedelta(seconds=seconds), frozen)
        (handoff,) = scheduled(runtime)
        assert (handoff.from_user, handoff.to_user, handoff.shift_name) == ("U0ANNA", "U0BEN", "weekday")
        assert handoff.boundary_key == "support:weekday:2024-03-04T09:00"
        assert handoff.created_at == monday_9
        assert assignees(runtime) == {1: "U0BEN"}
        assert len(slack.posts("C0SUPPORT")) == 1
        assert any("Handoff #1" in c.text for c in slack.posts("U0BEN"))
        # Tuesday: Ben follows Ben, nothing to hand over.
        tick(runtime, sender, monday_9 + timedelta(days=1), frozen)
        assert len(scheduled(runtime)) == 1


def test_a_shift_renamed_or_moved_before_a_restart_does_not_hand_over_again(runtime, sender, slack):
    import dataclasses

    from tests.conftest import BASE_CONFIG

    monday_9 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 in Budapest: Anna hands over to Ben
    with freeze_time(monday_9 - timedelta(hours=1)) as frozen:
        tick(runtime, sender, monday_9 - timedelta(hours=1), frozen)
        tick(runtime, sender, monday_9 + timedelta(seconds=5), frozen)
        assert len(scheduled(runtime)) == 1
        weekday = BASE_CONFIG["shifts"][0]
        for changed in ({**weekday, "name": "early"}, {**weekday, "start": "08:45"}):
            moved = dataclasses.replace(runtime, config=make_config(shifts=[changed]))
            tick(moved, sender, monday_9 + timedelta(minutes=10), frozen)
        # Moved later: its new start comes after the last tick, but that day's shift was handed over.
        later = dataclasses.replace(runtime, config=make_config(shifts=[{**weekday, "start": "09:30"}]))
        tick(later, sender, monday_9 + timedelta(minutes=40), frozen)
        assert len(scheduled(runtime)) == 1 and len(slack.posts("C0SUPPORT")) == 1


def test_a_boundary_missed_before_the_first_start_is_never_posted(runtime, sender, slack):
    started = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)  # after Monday's 09:00 boundary
    with freeze_time(started) as frozen:
        tick(runtime, sender, started, frozen)
        tick(runtime, sender, started + timedelta(minutes=1), frozen)
    assert scheduled(runtime) == []


def rota_config(timezone: str, start: str, end: str) -> dict:
    """Two shifts a day with different people: every start is a shift change."""
    return {
        "timezone": timezone,
        "shifts": [
            {
                "team": "support",
                "name": "early",
                "days": list(_DAYS),
                "start": start,
                "end": end,
                "members": ["U0ANNA"],
            },
            {"team": "support", "name": "late", "days": list(_DAYS), "start": end, "end": start, "members": ["U0BEN"]},
        ],
    }


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def run_night(runtime, sender, start: datetime, hours: int) -> None:
    with freeze_time(start) as frozen:
        run_jobs(runtime, start)
        moment = start
        while moment < start + timedelta(hours=hours):
            moment += timedelta(minutes=10)
            tick(runtime, sender, moment, frozen)


def early_handoffs(runtime) -> list[tuple[str | None, datetime]]:
    return [(h.boundary_key, h.created_at) for h in scheduled(runtime) if h.shift_name == "early"]


class TestBudapestDst:
    @pytest.fixture
    def config(self):
        return make_config(**rota_config("Europe/Budapest", "02:30", "10:00"))

    def test_spring_forward_start_in_the_gap_is_due_right_after_it(self, runtime, sender):
        run_night(runtime, sender, datetime(2024, 3, 30, 23, 0, tzinfo=UTC), 4)
        # 02:30 does not exist on 31 March: due at 03:00 CEST = 01:00 UTC.
        assert early_handoffs(runtime) == [("support:early:2024-03-31T02:30", datetime(2024, 3, 31, 1, 0, tzinfo=UTC))]

    def test_fall_back_start_that_happens_twice_is_handed_over_once(self, runtime, sender):
        run_night(runtime, sender, datetime(2024, 10, 26, 23, 0, tzinfo=UTC), 4)
        # 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET): the first one only.
        assert early_handoffs(runtime) == [
            ("support:early:2024-10-27T02:30", datetime(2024, 10, 27, 0, 30, tzinfo=UTC))
        ]


class TestNewYorkDst:
    @pytest.fixture
    def config(self):
        return make_config(**rota_config("America/New_York", "01:30", "09:00"))

    def test_fall_back_start_that_happens_twice_is_handed_over_once(self, runtime, sender):
        run_night(runtime, sender, datetime(2024, 11, 3, 4, 0, tzinfo=UTC), 4)
        # 01:30 EDT = 05:30 UTC, and again 01:30 EST = 06:30 UTC.
        assert early_handoffs(runtime) == [("support:early:2024-11-03T01:30", datetime(2024, 11, 3, 5, 30, tzinfo=UTC))]
        (handoff,) = [h for h in scheduled(runtime) if h.shift_name == "early"]
        assert (handoff.from_user, handoff.to_user) == ("U0BEN", "U0ANNA")

    def test_spring_forward_keeps_the_wall_clock(self, runtime, sender):
        run_night(runtime, sender, datetime(2024, 3, 10, 4, 0, tzinfo=UTC), 4)
        # 01:30 EST = 06:30 UTC on the day clocks spring forward (the gap is 02:00-03:00).
        assert early_handoffs(runtime) == [("support:early:2024-03-10T01:30", datetime(2024, 3, 10, 6, 30, tzinfo=UTC))]


def test_two_schedulers_write_one_scheduled_handoff(runtime, sender, slack, engine):
    import threading

    monday_9 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
    with freeze_time(monday_9 - timedelta(minutes=1)) as frozen:
        run_jobs(runtime, monday_9 - timedelta(minutes=1))
        frozen.move_to(monday_9)
        barrier = threading.Barrier(2)

        def scheduler() -> None:
            barrier.wait()
            run_jobs(runtime, monday_9)

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sender.drain()
    assert len(scheduled(runtime)) == 1
    assert len(slack.posts("C0SUPPORT")) == 1
