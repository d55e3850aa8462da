"""Days as people write them in commands: `2026-12-10`, `today`, `tomorrow` or a weekday. One
reader for every command that takes a day (the calendar, ideas, shift swaps and time away), so a
day written one way in one command is understood the same way in every other."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.core.config import WEEKDAYS
from bot.core.errors import BadInput

DATE_EXAMPLE = "2026-12-10, today, tomorrow or fri"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_LIKE = re.compile(r"^\d{1,4}-\d{1,2}-\d{1,2}$")
_FULL_DAYS = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


def _weekday(word: str) -> str | None:
    lowered = word.lower()
    day = _FULL_DAYS.get(lowered, lowered)
    return day if day in WEEKDAYS else None


def looks_like_date(word: str) -> bool:
    """Whether `word` is meant as a day (it may still be a wrong one, like 2026-13-40)."""
    return bool(_DATE_LIKE.match(word)) or word.lower() in ("today", "tomorrow") or _weekday(word) is not None


def parse_date(word: str, today: date, *, example: str) -> date:
    """`YYYY-MM-DD`, `today`, `tomorrow`, or a weekday (`fri` or `friday`: the next such day after
    `today`); anything else is a BadInput showing `example`."""
    lowered = word.lower()
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    weekday = _weekday(word)
    if weekday is not None:
        ahead = (WEEKDAYS.index(weekday) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    if _ISO_DAY.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            raise BadInput(f"`{word}` is not a day of the calendar.", example) from None
    raise BadInput(f"`{word}` is not a date: write {DATE_EXAMPLE}.", example)
