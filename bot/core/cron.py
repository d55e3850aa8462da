"""Cron expressions as people write them, for APScheduler.

Cron counts weekdays from Sunday = 0 (and 7 is Sunday again); APScheduler's crontab parser counts
from Monday = 0, so `1-5` would run Tuesday to Saturday, and it refuses `sun-thu`. The
day-of-week field is therefore read the cron way and handed over as a list of day names.

Cron also runs a job whose day-of-month and day-of-week are both restricted when *either* matches
(`0 9 1 * mon`: the 1st of each month and every Monday), where one APScheduler trigger would need
both: such an expression becomes two triggers, one per field, firing at the earlier."""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def cron_trigger(expression: str, timezone: tzinfo | None = None) -> BaseTrigger:
    """A trigger for a five-field crontab expression; ValueError says what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        return CronTrigger.from_crontab(expression, timezone=timezone)  # its error names the problem
    fields[4] = standard_weekdays(fields[4])
    minute, hour, day, month, day_of_week = fields
    if not either_day(expression):
        return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
    by_day, by_weekday = (
        CronTrigger.from_crontab(f"{minute} {hour} {d} {month} {w}", timezone=timezone)
        for d, w in ((day, "*"), ("*", day_of_week))
    )
    return OrTrigger([by_day, by_weekday])


def either_day(expression: str) -> bool:
    """Whether a five-field expression runs on either its day of the month or its day of the week.
    Decided on the fields as written: in cron, a field starting with `*` (`*`, `*/2`) does not
    restrict the day, so then both must match; `0-6` does restrict it."""
    fields = expression.split()
    return len(fields) == 5 and not (fields[2].startswith("*") or fields[4].startswith("*"))


def standard_weekdays(field: str) -> str:
    """The day-of-week field with cron's numbering spelled out as names (`1-5` → `mon,…,fri`)."""
    if not any(character.isdigit() or character in "-/" for character in field):
        return field  # "*" or plain day names
    days: set[int] = set()
    for token in field.split(","):
        span, _, step_text = token.partition("/")
        step = _number(step_text, "step") if step_text else 1
        if step < 1:
            raise ValueError(f"day-of-week step must be at least 1, not {step}")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _day(start), _day(end)
            # A range may end on Sunday written as 7 or "sun": "5-7", "sat-sun".
            last = 7 if last == 0 and first > 0 else last
        else:
            first = _day(span)
            last = 7 if step_text else first
        if last < first:
            raise ValueError(f"day-of-week range {span!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def _day(text: str) -> int:
    text = text.strip().lower()
    if text in DAY_NAMES:
        return DAY_NAMES.index(text)
    number = _number(text, "day of week")
    if not 0 <= number <= 7:
        raise ValueError(f"day of week {number} is not 0-7 (0 and 7 are Sunday)")
    return number


def _number(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{what} {text!r} is not a number")
    return int(text)
