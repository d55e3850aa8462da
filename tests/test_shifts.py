"""Shifts: the rota on the team's wall clock (midnight, weekday/weekend splits, DST weeks), /shift
who, start, end and note, through the real Bolt app."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from pydantic import ValidationError
from sqlalchemy import select

from bot.features.escalations.models import Escalation
from bot.features.shifts import service as shifts
from bot.features.shifts.models import ShiftNote
from tests.conftest import make_config
from tests.helpers import MONDAY_10, sqlite_only


def who(runtime, team: str, at: datetime) -> str | None:
    with runtime.session_factory() as session:
        current = shifts.on_shift(session, runtime.config, team, at)
        return current.user if current else None


def local(config, *args: int) -> datetime:
    """A wall time in the config's zone as an aware UTC instant."""
    return datetime(*args, tzinfo=config.tz).astimezone(UTC)


# -- the rota -----------------------------------------------------------------------------------
def test_person_is_members_by_whole_weeks_since_rotation_start():
    config = make_config()
    (weekday,) = config.shifts
    assert weekday.rotation_start == date(2024, 1, 1)
    assert shifts.person_for(weekday, date(2024, 1, 1)) == "U0ANNA"
    assert shifts.person_for(weekday, date(2024, 1, 7)) == "U0ANNA"
    assert shifts.person_for(weekday, date(2024, 1, 8)) == "U0BEN"
    assert shifts.person_for(weekday, date(2024, 3, 4)) == "U0BEN"  # 9 weeks
    assert shifts.person_for(weekday, date(2023, 12, 31)) == "U0BEN"  # the week before the start


class TestSplitsAndMidnight:
    @pytest.fixture
    def config(self):
        return make_config(
            shifts=[
                {
                    "team": "support",
                    "name": "weekday",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "start": "09:00",
                    "end": "17:00",
                    "members": ["U0ANNA", "U0BEN"],
                },
                {
                    "team": "support",
                    "name": "weekend",
                    "days": ["sat", "sun"],
                    "start": "10:00",
                    "end": "18:00",
                    "members": ["U0CLEO"],
                },
                {
                    "team": "support",
                    "name": "night",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "start": "22:00",
                    "end": "06:00",
                    "members": ["U0NED", "U0NORA"],
                    "rotation_start": "2024-01-01",
                },
                {
                    "team": "pr",
                    "name": "sunday-night",
                    "days": ["sun"],
                    "start": "20:00",
                    "end": "08:00",
                    "members": ["U0PAT", "U0PIA"],
                },
            ]
        )

    def test_weekday_weekend_and_night(self, runtime, config):
        assert who(runtime, "support", local(config, 2024, 3, 4, 9, 0)) == "U0BEN"
        assert who(runtime, "support", local(config, 2024, 3, 4, 16, 59)) == "U0BEN"
        assert who(runtime, "support", local(config, 2024, 3, 4, 17, 0)) is None
        assert who(runtime, "support", local(config, 2024, 3, 9, 12, 0)) == "U0CLEO"  # Saturday
        assert who(runtime, "support", local(config, 2024, 3, 10, 9, 59)) is None  # Sunday morning
        # Monday 22:00 → Tuesday 06:00 (week 9: Nora); Friday's night ends Saturday 06:00.
        assert who(runtime, "support", local(config, 2024, 3, 4, 23, 30)) == "U0NORA"
        assert who(runtime, "support", local(config, 2024, 3, 5, 5, 59)) == "U0NORA"
        assert who(runtime, "support", local(config, 2024, 3, 5, 6, 0)) is None
        assert who(runtime, "support", local(config, 2024, 3, 9, 3, 0)) == "U0NORA"
        # Sunday night has no night shift (it starts on weekdays only).
        assert who(runtime, "support", local(config, 2024, 3, 11, 2, 0)) is None

    def test_a_shift_crossing_midnight_into_a_new_week_keeps_its_start_weeks_person(self, runtime, config):
        # Sunday 3 March 20:00 is week 8 (Pat); it runs into Monday 4 March (week 9) until 08:00.
        assert who(runtime, "pr", local(config, 2024, 3, 3, 21, 0)) == "U0PAT"
        assert who(runtime, "pr", local(config, 2024, 3, 4, 7, 59)) == "U0PAT"
        assert who(runtime, "pr", local(config, 2024, 3, 10, 21, 0)) == "U0PIA"

    def test_shift_who_says_who_is_on_and_who_is_next(self, driver, runtime, config):
        with freeze_time(local(config, 2024, 3, 8, 23, 0)):  # Friday night
            reply = driver.command("/shift", "")
        assert reply.json["response_type"] == "ephemeral"
        assert "*support* — on shift: <@U0NORA> (night rota until Sat 09 Mar 06:00)" in reply.text
        assert "next: <@U0CLEO> from Sat 09 Mar 10:00 (weekend)" in reply.text
        assert "*pr* — on shift: nobody · next: <@U0PAT> from Sun 10 Mar 20:00" not in reply.text
        assert "next: <@U0PIA> from Sun 10 Mar 20:00 (sunday-night)" in reply.text


class TestBudapestDstWeek:
    """Clocks spring forward on 31 March 2024 (02:00 → 03:00) and fall back on 27 October 2024."""

    @pytest.fixture
    def config(self):
        return make_config(
            timezone="Europe/Budapest",
            shifts=[
                {
                    "team": "support",
                    "name": "night",
                    "days": ["sat"],
                    "start": "22:00",
                    "end": "06:00",
                    "members": ["U0NED"],
                },
            ],
        )

    def test_night_shift_across_the_spring_forward(self, runtime, config):
        assert who(runtime, "support", datetime(2024, 3, 30, 20, 59, tzinfo=UTC)) is None
        assert who(runtime, "support", datetime(2024, 3, 30, 21, 0, tzinfo=UTC)) == "U0NED"  # 22:00 CET
        assert who(runtime, "support", datetime(2024, 3, 31, 3, 59, tzinfo=UTC)) == "U0NED"
        assert who(runtime, "support", datetime(2024, 3, 31, 4, 0, tzinfo=UTC)) is None  # 06:00 CEST: 7 h

    def test_night_shift_across_the_fall_back(self, runtime, config):
        assert who(runtime, "support", datetime(2024, 10, 26, 20, 0, tzinfo=UTC)) == "U0NED"  # 22:00 CEST
        assert who(runtime, "support", datetime(2024, 10, 27, 4, 59, tzinfo=UTC)) == "U0NED"
        assert who(runtime, "support", datetime(2024, 10, 27, 5, 0, tzinfo=UTC)) is None  # 06:00 CET: 9 h


class TestNewYorkDstWeek:
    """Clocks spring forward on 10 March 2024 and fall back on 3 November 2024 (at 02:00)."""

    @pytest.fixture
    def config(self):
        return make_config(
            timezone="America/New_York",
            shifts=[
                {
                    "team": "support",
                    "name": "weekday",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "start": "09:00",
                    "end": "17:00",
                    "members": ["U0ANNA", "U0BEN"],
                },
                {
                    "team": "support",
                    "name": "weekend-night",
                    "days": ["sat"],
                    "start": "23:00",
                    "end": "07:00",
                    "members": ["U0NED"],
                },
            ],
        )

    def test_weekday_shift_keeps_its_wall_clock_hours_across_the_change(self, runtime, config):
        # Friday 8 March 09:00 EST = 14:00 UTC; Monday 11 March 09:00 EDT = 13:00 UTC.
        assert who(runtime, "support", datetime(2024, 3, 8, 14, 0, tzinfo=UTC)) == "U0BEN"
        assert who(runtime, "support", datetime(2024, 3, 8, 13, 59, tzinfo=UTC)) is None
        assert who(runtime, "support", datetime(2024, 3, 11, 13, 0, tzinfo=UTC)) == "U0ANNA"  # week 10
        assert who(runtime, "support", datetime(2024, 3, 11, 12, 59, tzinfo=UTC)) is None
        assert who(runtime, "support", datetime(2024, 11, 4, 14, 0, tzinfo=UTC)) is not None  # 09:00 EST

    def test_overnight_shift_across_the_fall_back(self, runtime, config):
        # Saturday 2 November 23:00 EDT = 03:00 UTC → Sunday 07:00 EST = 12:00 UTC (9 hours).
        assert who(runtime, "support", datetime(2024, 11, 3, 2, 59, tzinfo=UTC)) is None
        assert who(runtime, "support", datetime(2024, 11, 3, 3, 0, tzinfo=UTC)) == "U0NED"
        assert who(runtime, "support", datetime(2024, 11, 3, 11, 59, tzinfo=UTC)) == "U0NED"
        assert who(runtime, "support", datetime(2024, 11, 3, 12, 0, tzinfo=UTC)) is None


def test_a_shift_without_members_is_refused_at_startup():
    with pytest.raises(ValidationError, match="members"):
        make_config(
            shifts=[{"team": "support", "name": "x", "days": ["mon"], "start": "09:00", "end": "17:00", "members": []}]
        )


# -- /shift -------------------------------------------------------------------------------------
@sqlite_only
def test_help(driver):
    reply = driver.command("/shift", "help")
    assert "/shift" in reply.text and "/shift start support" in reply.text and "Examples" in reply.text


def test_who_now_and_next(driver):
    with freeze_time(MONDAY_10):
        reply = driver.command("/shift", "who")
    assert "*support* — on shift: <@U0BEN> (weekday rota until Mon 04 Mar 17:00)" in reply.text
    assert "next: <@U0BEN> from Tue 05 Mar 09:00 (weekday)" in reply.text
    assert "*pr* — on shift: nobody · next: no rota" in reply.text


def test_start_overrides_the_rota_until_end_or_the_next_rota_shift(driver, runtime, slack):
    with freeze_time(MONDAY_10):
        reply = driver.command("/shift", "start SUPPORT", user="U0ANNA")
        assert "You are on shift for support (instead of <@U0BEN>) until Mon 04 Mar 17:00 or until `/shift end`" in (
            reply.text
        )  # the rest of the rota shift in progress
        assert who(runtime, "support", MONDAY_10) == "U0ANNA"
        # New escalations go to the person on shift.
        driver.command("/escalate", "Complaint", user="U0COMMUNITY")
        with runtime.session_factory() as session:
            assert session.scalars(select(Escalation.assignee)).one() == "U0ANNA"
        assert "already on shift" in driver.command("/shift", "start", user="U0ANNA").text
    with freeze_time(MONDAY_10 + timedelta(hours=2)):
        assert "has ended" in driver.command("/shift", "end", user="U0ANNA").text
        assert who(runtime, "support", MONDAY_10 + timedelta(hours=2)) == "U0BEN"
        # Ben ends his rota shift early: nobody is on shift until the next one.
        assert "has ended" in driver.command("/shift", "end", user="U0BEN").text
        assert who(runtime, "support", MONDAY_10 + timedelta(hours=3)) is None
        assert "not on shift" in driver.command("/shift", "end", user="U0BEN").text
    assert who(runtime, "support", MONDAY_10 + timedelta(days=1)) == "U0BEN"  # Tuesday 10:00

    with freeze_time(MONDAY_10 + timedelta(hours=9)):  # Monday 19:00, no rota shift running
        reply = driver.command("/shift", "start pr", user="U0PAT")
        assert "You are on shift for pr until `/shift end`." in reply.text  # pr has no rota
        reply = driver.command("/shift", "start", user="U0ANNA")  # her own team
        assert "You are on shift for support until Tue 05 Mar 09:00 or until `/shift end`" in reply.text
    assert who(runtime, "pr", MONDAY_10 + timedelta(days=3)) == "U0PAT"  # pr has no rota: until /shift end
    assert who(runtime, "support", MONDAY_10 + timedelta(hours=20)) == "U0ANNA"  # Tuesday 06:00
    assert who(runtime, "support", MONDAY_10 + timedelta(hours=23)) == "U0BEN"  # the rota took over at 09:00


@sqlite_only
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "is not a /shift command"),
        ("start suport", "`suport` is not a team"),
        ("start support now", "takes at most a team"),
        ("who is it", "takes no arguments"),
        ("end please", "takes no arguments"),
        ("note", "needs the note's text"),
        ("start <!channel>", "is not a team"),
    ],
)
def test_bad_input(driver, runtime, slack, text, expected):
    with freeze_time(MONDAY_10):
        reply = driver.command("/shift", text, user="U0ANNA")
    assert reply.json["response_type"] == "ephemeral"
    assert expected in reply.text and "Example" in reply.text
    assert "<!channel>" not in reply.body
    assert who(runtime, "support", MONDAY_10) == "U0BEN"
    with runtime.session_factory() as session:
        assert session.scalars(select(ShiftNote)).all() == []


def test_notes_are_kept_for_the_current_shift(driver, runtime, slack):
    with freeze_time(MONDAY_10):
        reply = driver.command("/shift", "note Waiting for the customer in <#C0SOCIAL> <!channel>", user="U0BEN")
        assert "Noted for the support shift (1 note)" in reply.text
        driver.command("/shift", "note PR Journalist call at 3", user="U0BEN")
        reply = driver.command("/shift", "note Just a note", user="U0OUTSIDER")
        assert "not on shift or in a team" in reply.text
    with runtime.session_factory() as session:
        notes = {(n.team, n.text) for n in session.scalars(select(ShiftNote))}
    assert notes == {
        ("support", "Waiting for the customer in <#C0SOCIAL> <!channel>"),
        ("pr", "Journalist call at 3"),
    }
    assert "<!channel>" not in slack.everything_sent()
