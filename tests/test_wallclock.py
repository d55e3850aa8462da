"""Due times on the team's wall clock across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.calendar import due_between, latest_due, next_due
from bot.core.cron import cron_trigger

BUDAPEST = ZoneInfo("Europe/Budapest")
NEW_YORK = ZoneInfo("America/New_York")


def test_fall_back_runs_a_doubled_time_once():
    # 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice.
    runs = due_between(
        "30 2 * * *", BUDAPEST, datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC)
    )
    assert [r.key for r in runs] == ["2026-10-25T02:30"]
    assert runs[0].at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first occurrence


def test_spring_forward_runs_right_after_the_gap():
    # 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist.
    runs = due_between(
        "30 2 * * *", BUDAPEST, datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC)
    )
    assert [r.key for r in runs] == ["2026-03-29T02:30"]
    assert runs[0].at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 local


def test_new_york_gap_and_ordinary_days():
    runs = due_between(
        "15 2 * * *", NEW_YORK, datetime(2026, 3, 7, 12, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC)
    )
    assert [(r.key, r.at.hour, r.at.minute) for r in runs] == [
        ("2026-03-08T02:15", 7, 0),  # 03:00 EDT, right after the gap
        ("2026-03-09T02:15", 6, 15),
    ]


def test_latest_and_next_due():
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 10:30 in Budapest
    latest = latest_due("0 9 * * *", BUDAPEST, now, datetime(2026, 11, 25, 7, tzinfo=UTC))
    assert latest is not None and latest.key == "2026-11-25T09:00"
    assert latest_due("0 9 * * *", BUDAPEST, now, datetime(2026, 11, 25, 9, tzinfo=UTC)) is None
    upcoming = next_due("0 9 1 * *", BUDAPEST, now)
    assert upcoming is not None and upcoming.key == "2026-12-01T09:00"
    yearly = next_due("0 10 2 1 *", BUDAPEST, now)
    assert yearly is not None and yearly.key == "2027-01-02T10:00"


# -- cron's weekday numbers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cron", "weekdays"),
    [
        ("0 9 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 9 * * 0", ["Sun"]),
        ("0 9 * * 7", ["Sun"]),
        ("0 9 * * 5-7", ["Fri", "Sat", "Sun"]),
        ("0 9 * * */2", ["Sun", "Tue", "Thu", "Sat"]),
        ("0 9 * * 1,3", ["Mon", "Wed"]),
        ("0 9 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 9 * * sun-thu", ["Sun", "Mon", "Tue", "Wed", "Thu"]),
        ("0 9 * * sat-sun", ["Sat", "Sun"]),
        ("0 9 * * *", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ],
)
def test_weekday_numbers_count_from_sunday_as_in_cron(cron, weekdays):
    # 2026-03-02 is a Monday; one week of fires, in any order.
    fires = [
        due.wall
        for due in due_between(
            cron, BUDAPEST, datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 8, 12, tzinfo=UTC)
        )
    ]
    assert sorted(f.strftime("%a") for f in fires) == sorted(weekdays)


def test_day_of_month_and_weekday_both_given_run_when_either_matches_as_in_cron():
    # December 2026: the 1st is a Tuesday; the Mondays are the 7th, 14th, 21st and 28th.
    december = due_between(
        "0 9 1 * mon", BUDAPEST, datetime(2026, 11, 30, 12, tzinfo=UTC), datetime(2026, 12, 31, 12, tzinfo=UTC)
    )
    assert [due.wall.day for due in december] == [1, 7, 14, 21, 28]
    start, end = datetime(2026, 11, 30, 12, tzinfo=UTC), datetime(2026, 12, 10, 12, tzinfo=UTC)
    days = {
        cron: [due.wall.day for due in due_between(cron, BUDAPEST, start, end)]
        for cron in ("0 9 1 * */2", "0 9 1 * 0-6", "0 9 */2 * 2")
    }
    # `*/2` starts with `*`: both must match (the 1st, a Tuesday, is an even weekday number).
    assert days["0 9 1 * */2"] == [1]
    assert days["0 9 1 * 0-6"] == list(range(1, 11))  # restricted weekdays: either matches
    assert days["0 9 */2 * 2"] == [1]  # both: odd days that are Tuesdays
    leap_day = due_between("0 9 29 2 *", BUDAPEST, datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
    assert [due.wall.date().isoformat() for due in leap_day] == ["2028-02-29"]


@pytest.mark.parametrize("cron", ["0 9 * * 8", "0 9 * * 5-2", "0 9 * * fri-mon", "0 9 * * x-y", "0 9 * * */0"])
def test_impossible_weekdays_are_refused(cron):
    with pytest.raises(ValueError):
        cron_trigger(cron)
