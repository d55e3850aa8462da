"""Numbers and dates as the tools write them: `1,234`, `1.234`, `1 234`, `5400.0`, `1.2K`, `6.5%`,
`2026-03-02`, `03/02/2026`, `02.03.2026`, `Mon, Mar 02, 2026`, or a cell an .xlsx file typed itself."""

from __future__ import annotations

import re
from datetime import date, datetime

MAX_COUNT = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL

# Spaces of every kind and the apostrophe group thousands (French `1 234`, Swiss `1'234`).
_GROUPING = re.compile(r"[\s\u00a0\u202f']")
_SUFFIX = {"k": 1_000, "m": 1_000_000}
_EMPTY = {"", "-", "--", "—", "n/a", "na", "none"}


class BadNumber(ValueError):
    """The cell is not the kind of number its column holds; the message says why."""


def is_blank(text: object) -> bool:
    return text is None or (isinstance(text, str) and text.strip().lower() in _EMPTY)


def _decimal(text: str, *, counts: bool) -> float:
    """`text` (no spaces, no sign, no suffix) read with whichever of `.` and `,` it uses as the
    decimal mark. With both, the last one is. With one, written once: a count reads `1,234` and
    `1.234` as thousands (a count has no decimals to write with three digits); a rate reads it as
    a decimal mark."""
    if not re.fullmatch(r"[0-9.,]+", text) or not re.search(r"\d", text):
        raise BadNumber("not a number")
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        group = "," if decimal_mark == "." else "."
        whole, _, fraction = text.rpartition(decimal_mark)
        if fraction.count(group) or not re.fullmatch(rf"\d{{1,3}}(?:\{group}\d{{3}})*", whole):
            raise BadNumber("not a number")
        return float(f"{whole.replace(group, '')}.{fraction}")
    mark = "." if dots else "," if commas else ""
    if not mark:
        return float(text)
    if text.count(mark) > 1:
        if not re.fullmatch(rf"\d{{1,3}}(?:\{mark}\d{{3}})+", text):
            raise BadNumber("not a number")
        return float(text.replace(mark, ""))
    whole, fraction = text.split(mark)
    if counts and len(fraction) == 3 and whole and whole != "0" and len(whole) <= 3:
        return float(whole + fraction)
    if not whole or not fraction:
        raise BadNumber("not a number")
    return float(f"{whole}.{fraction}")


def parse_count(value: object) -> int:
    """A whole, non-negative number (a count of impressions, likes, followers)."""
    if type(value) is str and value.isascii() and value.isdigit():  # the common case, `1234`
        count = int(value)
        if count > MAX_COUNT:
            raise BadNumber(f"too large (at most {MAX_COUNT:,})")
        return count
    if isinstance(value, bool):
        raise BadNumber("not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _GROUPING.sub("", str(value)).lower()
        if text.startswith("-"):
            raise BadNumber("negative")
        scale = 1
        if text[-1:] in _SUFFIX:
            text, scale = text[:-1], _SUFFIX[text[-1]]
        if text.endswith("%"):
            raise BadNumber("a percentage, not a count")
        number = _decimal(text, counts=scale == 1) * scale
    if number < 0:
        raise BadNumber("negative")
    if number != int(number) and scale_free(value):
        raise BadNumber("not a whole number")
    count = round(number)
    if count > MAX_COUNT:
        raise BadNumber(f"too large (at most {MAX_COUNT:,})")
    return count


def scale_free(value: object) -> bool:
    """False for `1.2K`: a rounded figure the tool abbreviated, which is whole once scaled."""
    return not (isinstance(value, str) and value.strip()[-1:].lower() in _SUFFIX)


def parse_rate(value: object) -> float:
    """A share of impressions: `6.5%` or `0.065` (a number above 1 without `%` is a percentage too,
    as some tools write `6.5` under a `(%)` header)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number / 100 if number > 1 else number
    text = _GROUPING.sub("", str(value))
    percent = text.endswith("%")
    number = _decimal(text.rstrip("%"), counts=False)
    return number / 100 if percent or number > 1 else number


_MONTHS = {
    name: index + 1
    for names in (
        "jan feb mar apr may jun jul aug sep oct nov dec",
        "janv févr mars avr mai juin juil août sept oct nov déc",
        "jan feb mär apr mai jun jul aug sep okt nov dez",
        "ene feb mar abr may jun jul ago sep oct nov dic",
    )
    for index, name in enumerate(names.split())
}


def parse_day(value: object, *, day_first: bool = False) -> date:
    """The day a figure is for. Slashed dates are month first (as US-English exports write them)
    unless the file's header is in a day-first language or the first number is above 12."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    found = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$", text)
    if found:
        return _day(int(found[1]), int(found[2]), int(found[3]))
    found = re.match(r"^(\d{1,2})([/.])(\d{1,2})\2(\d{2,4})(?:[ ,T].*)?$", text)
    if found:
        first, second, year = int(found[1]), int(found[3]), int(found[4])
        year += 2000 if year < 100 else 0
        if found[2] == "." or day_first or first > 12:
            return _day(year, second, first)
        return _day(year, first, second)
    words = re.findall(r"[^\W\d_]+\.?|\d+", text.lower())
    numbers = [int(w) for w in words if w.isdigit()]
    months = [_MONTHS[w.rstrip(".")[:4]] for w in words if w.rstrip(".")[:4] in _MONTHS]
    months += [_MONTHS[w.rstrip(".")[:3]] for w in words if w.rstrip(".")[:3] in _MONTHS and not months]
    years = [n for n in numbers if n >= 1900]
    days = [n for n in numbers if 1 <= n <= 31]
    if months and years and days:
        return _day(years[0], months[0], days[0])
    raise BadNumber("not a date")


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadNumber("not a date") from None
