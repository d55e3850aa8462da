"""Reading an export as it comes out of its tool: CSV in UTF-8 (with or without BOM) or UTF-16,
comma, semicolon or tab separated, or an .xlsx workbook (read with calamine); the header found
below title or note rows. Rows come one at a time, each with the line (or worksheet row) it starts
on; a CSV file is streamed, a workbook's sheet is read whole before its first row."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.features.metrics.importers.tools import AccountLayout, Layout, needs, recognise

HEADER_SEARCH = 30  # rows looked at for the header (title and note rows come first)
_SNIFF = 8192
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other pre-2007 Office files
_NOT_TEXT = re.compile("[\udc80-\udcff]")


class Unreadable(Exception):
    """The file cannot be imported at all; `message` is one line, `exit_code` what the CLI returns
    (2 for a file that is not an export at all, 1 for a header that no tool wrote)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message, self.exit_code = message, exit_code


class RowsStop(Exception):
    """The rest of the file cannot be read (a broken quote, an over-long cell, bytes that are not
    text): reported at `line`, the rows before it were read."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


@dataclass
class Table:
    kind: str  # "CSV", or "XLSX" with the sheet the header is on
    header_line: int
    layout: Layout | AccountLayout
    rows: Iterator[tuple[int, list[object]]]
    close: object = None  # a callable releasing the file


def open_table(path: Path) -> Table:
    try:
        with path.open("rb") as probe:
            head = probe.read(_SNIFF)
    except FileNotFoundError:
        raise Unreadable(f"{path} does not exist") from None
    except IsADirectoryError:
        raise Unreadable(f"{path} is a directory, not an export file") from None
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc.__class__.__name__}") from None
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise Unreadable(f"{path} is empty; it needs a header row and a row per post")
    if head.startswith(_OLE_MAGIC):
        raise Unreadable(f"{path} is an old Excel (.xls) workbook; save it as .xlsx or CSV and import that")
    if path.suffix.lower() in (".xlsx", ".xlsm") or head.startswith(_ZIP_MAGIC):
        return _open_xlsx(path)
    encoding = _encoding(head)
    if encoding is None:
        raise Unreadable(f"{path} is not a CSV or .xlsx export (it holds binary data)")
    return _open_csv(path, encoding)


def _encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a BOM: every other byte of ASCII text is a zero.
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    if b"\x00" in head:
        return None
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return None if controls > len(head) * 0.05 else "utf-8"


def _open_csv(path: Path, encoding: str) -> Table:
    # Bytes that are not text in the file's encoding are kept as lone surrogates and reported at
    # their line (a strict decoder would fail a whole buffer ahead of the rows being read).
    stream: IO[str] = path.open(encoding=encoding, errors="surrogateescape", newline="")
    try:
        return _csv_table(path, stream)
    except BaseException:
        stream.close()
        raise


def _lines(stream: IO[str]) -> Iterator[str]:
    line = 0
    while True:
        try:
            text = stream.readline()
        except UnicodeDecodeError:  # e.g. UTF-16 cut in the middle of a character
            raise RowsStop(line + 1, "the file is not UTF-8 or UTF-16 text from here on") from None
        if not text:
            return
        line += 1
        if _NOT_TEXT.search(text):
            raise RowsStop(line, "the file is not UTF-8 or UTF-16 text from here on")
        yield text


def _csv_table(path: Path, stream: IO[str]) -> Table:
    lines = _lines(stream)
    seen: list[str] = []
    first_text: tuple[int, list[str]] | None = None
    try:
        for text in lines:
            seen.append(text)
            if not text.strip():
                continue
            delimiter = max(",;\t", key=text.count)
            try:
                cells = next(csv.reader([text], delimiter=delimiter))
            except (csv.Error, StopIteration):
                cells = [text]
            if first_text is None:
                first_text = (len(seen), cells)
            layout = recognise(cells)
            if layout is not None:
                return Table("CSV", len(seen), layout, _csv_rows(lines, delimiter, len(seen)), stream.close)
            if len([s for s in seen if s.strip()]) >= HEADER_SEARCH:
                break
    except RowsStop as stop:
        raise Unreadable(f"{path}: line {stop.line}: {stop.message}") from None
    if first_text is None:
        raise Unreadable(f"{path} is empty; it needs a header row and a row per post")
    raise _unknown(path, *first_text)


def _csv_rows(lines: Iterator[str], delimiter: str, header_line: int) -> Iterator[tuple[int, list[object]]]:
    counted = _Counting(lines)
    reader = csv.reader(counted, delimiter=delimiter)
    while True:
        start = header_line + counted.consumed + 1  # where the next record starts (a quoted cell may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. an unbalanced quote or an over-long cell: the rest cannot be read
            raise RowsStop(start, f"the file cannot be read from here on ({exc})") from None
        yield start, list(row)


class _Counting:
    """Lines handed to the csv reader, counted (its own `line_num` is lost when a line fails)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines, self.consumed = lines, 0

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> str:
        text = next(self.lines)
        self.consumed += 1
        return text


def _open_xlsx(path: Path) -> Table:
    """A workbook read with calamine, a compiled reader (a 50,000-row sheet in about a second,
    against 6 to 12 s with openpyxl's streaming read-only mode). It reads each sheet whole when
    the sheet is opened, so a damaged part is found before any row is used; the header is looked
    for sheet by sheet."""
    import python_calamine  # only an .xlsx import pays for it

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(path)
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    except python_calamine.CalamineError as exc:
        raise _not_a_workbook(path, _why(exc, "a part of it")) from None
    with workbook:
        if not workbook.sheet_names:
            raise _not_a_workbook(path, "it holds no worksheet")
        first_text: tuple[int, list[str]] | None = None
        for name in workbook.sheet_names:
            try:
                sheet = workbook.get_sheet_by_name(name)
            except python_calamine.CalamineError as exc:
                raise _not_a_workbook(path, _why(exc, f'sheet "{name}"')) from None
            # calamine yields every row from the sheet's first, the empty ones as empty: the count
            # is the worksheet's row number.
            rows: Iterator[tuple[int, list[object]]] = enumerate(sheet.iter_rows(), start=1)
            for number, cells in rows:
                if number > HEADER_SEARCH:
                    break
                if not any(str(c).strip() for c in cells):
                    continue
                if first_text is None:
                    first_text = (number, [str(c) for c in cells])
                layout = recognise(cells)
                if layout is not None:
                    return Table(f'XLSX sheet "{name}"', number, layout, rows)
    if first_text is None:
        raise Unreadable(f"{path} is empty; it needs a header row and a row per post")
    raise _unknown(path, *first_text)


def _not_a_workbook(path: Path, reason: str) -> Unreadable:
    return Unreadable(f"{path} is not an .xlsx spreadsheet ({reason})")


def _why(exc: Exception, part: str) -> str:
    """calamine's reason, said for a person: which part could not be read, and why."""
    import python_calamine

    reason = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, python_calamine.XmlError):
        return f"{part} is not well-formed XML ({reason})"
    if isinstance(exc, python_calamine.ZipError):
        return f"it is not the zip archive a workbook is: {reason}"
    if isinstance(exc, python_calamine.PasswordError):
        return "it is protected by a password; save it without one and import that"
    if "shared strings" in reason:
        return "a cell refers to a shared string the workbook lacks"
    if "not found" in reason:
        return f"a part it refers to is missing ({reason})"
    return reason


def _unknown(path: Path, line: int, cells: list[str]) -> Unreadable:
    found = [c.strip() for c in cells if str(c).strip()]
    shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
    names = {str(c).strip().lower().replace("_", " ").replace("-", " ") for c in found}
    missing = (
        []
        if names & {"draft id", "draft", "teambot id", "url", "post url", "link", "permalink"}
        else ["draft_id or url"]
    )
    missing += [c for c in ("impressions", "engagements") if c not in names]
    return Unreadable(
        f"{path}: line {line}: missing column(s): {', '.join(missing) or 'a known layout'} — no known export has the "
        f"columns found ({shown}); teambot reads {needs()}",
        exit_code=1,
    )


def describe(table: Table) -> str:
    return f"{table.kind}, header on line {table.header_line}"
