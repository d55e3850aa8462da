"""Due times on the team's wall clock.

A cron expression is read as wall-clock time in the team's zone; each fire is then placed on the
real timeline: a wall time that happens twice (clocks fall back) counts once, at its first
occurrence; a wall time that does not exist (clocks spring forward over it) is due right after the
gap. The wall time itself is the key that makes a due run unique. APScheduler's parser computes
the fire times (in a zone without DST, so it cannot skip or double any); this module places them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.cron import cron_trigger

# A DST shift is at most a few hours; looking this far around a window catches every fire that
# could land inside it.
_SLACK = timedelta(hours=27)


@dataclass(frozen=True)
class Due:
    wall: datetime  # naive, team wall clock: the identity of the run
    at: datetime  # aware UTC: when it is due

    @property
    def key(self) -> str:
        return self.wall.strftime("%Y-%m-%dT%H:%M")


def to_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall time to the UTC instant it is due (first occurrence; after the gap if skipped)."""
    first = wall.replace(tzinfo=tz, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # The wall time falls in a spring-forward gap: find the transition between the instant computed
    # with the offset after the gap and the one computed with the offset before it.
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = instant
    if low > high:
        low, high = high, low
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def wall_fires(cron: str, start_wall: datetime, end_wall: datetime) -> Iterator[datetime]:
    """Naive wall times the cron fires at in (start_wall, end_wall]."""
    trigger = cron_trigger(cron, timezone=UTC)
    previous = None
    current = start_wall.replace(tzinfo=UTC)
    end = end_wall.replace(tzinfo=UTC)
    while True:
        fire = trigger.get_next_fire_time(previous, current + timedelta(microseconds=1))
        if fire is None or fire > end:
            return
        yield fire.replace(tzinfo=None)
        previous, current = fire, fire


def due_between(cron: str, tz: ZoneInfo, after: datetime, until: datetime) -> list[Due]:
    """Every run of `cron` due in (after, until], both aware datetimes, oldest first."""
    start_wall = (after.astimezone(tz) - _SLACK).replace(tzinfo=None)
    end_wall = (until.astimezone(tz) + _SLACK).replace(tzinfo=None)
    result = []
    for wall in wall_fires(cron, start_wall, end_wall):
        at = to_instant(wall, tz)
        if after < at <= until:
            result.append(Due(wall=wall, at=at))
    return result


def latest_due(cron: str, tz: ZoneInfo, now: datetime, not_before: datetime) -> Due | None:
    """The most recent run due at or before `now` and after `not_before` (catch-up window)."""
    runs = due_between(cron, tz, not_before, now)
    return runs[-1] if runs else None


def next_due(cron: str, tz: ZoneInfo, now: datetime, horizon: timedelta = timedelta(days=400)) -> Due | None:
    runs = due_between(cron, tz, now, now + min(horizon, timedelta(days=2)))
    if runs:
        return runs[0]
    runs = due_between(cron, tz, now, now + horizon)
    return runs[0] if runs else None
