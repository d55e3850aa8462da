""".xlsx workbooks read as a stream, one row at a time, with the standard library alone.

A workbook is a zip of XML parts. Each worksheet part is decompressed and parsed with expat as it
is read, a row handed on as soon as it ends, so neither the file nor a sheet is ever held whole.
Shared strings (the table most cells refer to by number) are written to a temporary file as they
are parsed, and only their offsets stay in memory: 8 bytes a string, whatever their length.

Values come out as the cell holds them: text as `str`, numbers as `int` when written without a
fraction or exponent and `float` otherwise, `True`/`False`, error codes (`#N/A`) as text, numbers
in a date format as `datetime` (the 1900 or 1904 date system, as the workbook says), formulas as
their cached value. An empty cell is "". Rows are numbered as the sheet numbers them."""

from __future__ import annotations

import math
import os
import posixpath
import re
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any
from xml.parsers import expat

MAX_CELL = 131_072  # characters in one cell, as for a CSV field; Excel itself stops at 32,767
_CHUNK = 1 << 16  # bytes of XML handed to the parser at a time

_MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_RELATIONSHIPS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"

# Element names as expat reports them (namespace, a space, local name), by what they are to us.
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _PHONETIC, _SHARED = range(7)
_SHEET_TAGS = {
    f"{ns} {local}": code
    for ns in _MAIN
    for local, code in (("row", _ROW), ("c", _CELL), ("v", _VALUE), ("is", _INLINE), ("t", _TEXT), ("rPh", _PHONETIC))
}
_STRING_TAGS = {
    f"{ns} {local}": code for ns in _MAIN for local, code in (("si", _SHARED), ("t", _TEXT), ("rPh", _PHONETIC))
}

# Built-in number formats (ECMA-376 18.8.30) that show a date: 14-17 and 22 everywhere, 27-36 and
# 50-58 in East Asian locales. 18-21 and 45-47 show only a time of day or a duration.
_DATE_FORMATS = frozenset([14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)])
# What a format code shows literally: quoted text, escaped characters, [colours] and [$-locales].
_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_EPOCH_1900 = datetime(1899, 12, 30)  # serial 61 is 1900-03-01
_EPOCH_1904 = datetime(1904, 1, 1)


class BadWorkbook(Exception):
    """The file is not a workbook that can be read, or a sheet cannot be read past `row`."""

    def __init__(self, reason: str, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.row = reason, row


@dataclass(frozen=True)
class Sheet:
    title: str
    part: str  # the zip member holding its XML


class Workbook:
    """An open .xlsx file: its worksheets in the workbook's order, each read with `rows`."""

    def __init__(self, path: Any) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise BadWorkbook("not a zip archive") from None
        self._strings: _SharedStrings | None = None
        try:
            self._parts = {name.lower(): name for name in self._zip.namelist()}
            workbook = self._workbook_part()
            rels = _relationships(self, _rels_of(workbook), posixpath.dirname(workbook))
            self.sheets, date1904 = _sheets(self, workbook, rels)
            self._dates = _date_styles(self, rels.first("styles"))
            self._epoch = _EPOCH_1904 if date1904 else None
            shared = rels.first("sharedStrings")
            self._strings = _SharedStrings(self, shared) if shared else None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._strings is not None:
            self._strings.close()
        self._zip.close()

    # -- parts --------------------------------------------------------------------------------------
    def part(self, name: str) -> str | None:
        """The zip member `name`, found however the writer cased it; None when missing."""
        return self._parts.get(name.lstrip("/").lower())

    def open(self, name: str) -> IO[bytes]:
        member = self.part(name)
        if member is None:
            raise BadWorkbook(f"{name} is missing")
        try:
            return self._zip.open(member)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise BadWorkbook(f"{name} cannot be opened ({exc.__class__.__name__})") from None

    def _workbook_part(self) -> str:
        workbook = _relationships(self, "_rels/.rels", "").first("officeDocument") or "xl/workbook.xml"
        if self.part(workbook) is None:
            raise BadWorkbook("it holds no workbook (no xl/workbook.xml)")
        return workbook

    # -- rows ---------------------------------------------------------------------------------------
    def rows(self, sheet: Sheet) -> Iterator[tuple[int, list[object]]]:
        """The sheet's rows that hold anything, each with its row number. A sheet that breaks off
        (a damaged zip, XML that is not well formed, an over-long cell) raises `BadWorkbook` after
        the rows before it, at the row being read (or the next one, between rows)."""
        reader = _RowReader(self._strings, self._dates, self._epoch)
        yield from _parse(self, sheet.part, reader.handlers(), reader.done, reader.where)


def _parse(
    book: Workbook,
    part: str,
    handlers: dict[str, Callable[..., None]],
    done: list[Any] | None = None,
    where: Callable[[], int | None] = lambda: None,
) -> Iterator[Any]:
    """Feed `part` to expat with `handlers`, yielding what they append to `done` after each chunk
    (the rows of a chunk that breaks off are yielded before the error is raised)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    for name, handler in handlers.items():
        setattr(parser, name, handler)
    # A workbook has no DTD: refusing one refuses entity expansion and external entities too.
    parser.StartDoctypeDeclHandler = _refuse_dtd
    done = [] if done is None else done
    with book.open(part) as source:
        while True:
            failure: BadWorkbook | None = None
            try:
                chunk = source.read(_CHUNK)
                parser.Parse(chunk, not chunk)
            except BadWorkbook as exc:
                failure = exc
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                failure = BadWorkbook(f"{part} is damaged ({exc.__class__.__name__})", where())
            except expat.ExpatError as exc:
                failure = BadWorkbook(f"{part} is not well-formed XML ({expat.errors.messages[exc.code]})", where())
            yield from done
            done.clear()
            if failure is not None:
                raise failure
            if not chunk:
                return


def _read(book: Workbook, part: str, handlers: dict[str, Callable[..., None]]) -> None:
    for _ in _parse(book, part, handlers):
        pass


def _refuse_dtd(*_: object) -> None:
    raise BadWorkbook("it declares a DTD, which no workbook does")


class _RowReader:
    """expat handlers that build one row's values at a time. They run for every element of the
    sheet (millions in a big export), so they do as little as they can: a cell's text is gathered
    straight into `raw` (expat hands it over in one piece unless it is very long)."""

    def __init__(self, strings: _SharedStrings | None, dates: frozenset[int], epoch: datetime | None) -> None:
        self.strings, self.dates, self.epoch = strings, dates, epoch
        self.done: list[tuple[int, list[object]]] = []
        self.last = 0  # the number of the row being read, or of the last one read
        self.open = False  # inside a row
        self.values: list[object] = []
        self.kind: str | None = None
        self.style: str | None = None
        self.column = -1
        self.raw: str | None = None  # the text of the cell's <v>, or of its <is>'s <t>s
        self.reading = False  # inside a <v>, or a <t> of an <is> (not of a phonetic reading)
        self.inline = False  # inside an <is>
        self.phonetic = 0
        self.columns: dict[str, int] = {}

    def handlers(self) -> dict[str, Callable[..., None]]:
        return {"StartElementHandler": self.start, "EndElementHandler": self.end, "CharacterDataHandler": self.chars}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _SHEET_TAGS.get(name)
        if tag == _CELL:
            self.kind, self.style, self.raw = attrs.get("t"), attrs.get("s"), None
            ref = attrs.get("r")
            if ref is None:
                self.column += 1
            else:
                column = self.columns.get(ref.rstrip("0123456789"))
                self.column = column if column is not None else self._column(ref)
        elif tag == _VALUE:
            self.raw, self.reading = "", True
        elif tag == _TEXT:
            if self.inline and not self.phonetic:
                self.reading = True
                if self.raw is None:
                    self.raw = ""
        elif tag == _ROW:
            number = attrs.get("r")
            self.last = int(number) if number and number.isdigit() else self.last + 1
            self.values, self.column, self.open = [], -1, True
        elif tag == _INLINE:
            self.inline = True
        elif tag == _PHONETIC:
            self.phonetic += 1

    def chars(self, data: str) -> None:
        if self.reading:
            raw = self.raw = self.raw + data if self.raw else data
            if len(raw) > MAX_CELL:
                raise BadWorkbook(f"a cell is longer than {MAX_CELL:,} characters", self.last)

    def end(self, name: str) -> None:
        tag = _SHEET_TAGS.get(name)
        if tag in (_VALUE, _TEXT):
            self.reading = False
        elif tag == _CELL:
            raw, kind = self.raw, self.kind
            if raw is None:
                return
            if kind is None or kind == "n":
                value = self._number(raw)
            elif kind == "s":
                value = self._shared(raw)
            else:
                value = self._other(raw, kind)
            if value != "":
                values, column = self.values, self.column
                if column == len(values):
                    values.append(value)
                else:
                    if column > len(values):
                        values.extend([""] * (column - len(values) + 1))
                    values[column] = value
        elif tag == _ROW:
            self.open = False
            if self.values:
                self.done.append((self.last, self.values))
        elif tag == _INLINE:
            self.inline = False
        elif tag == _PHONETIC:
            self.phonetic -= 1

    def where(self) -> int:
        """The row a break in the sheet is reported at: the one being read, else the next."""
        return self.last if self.open else self.last + 1

    def _column(self, ref: str) -> int:
        """`C12` to 2, the letters kept (a sheet has few columns and many rows)."""
        letters = ref.rstrip("0123456789")
        column = 0
        for letter in letters.upper():
            if not "A" <= letter <= "Z":
                raise BadWorkbook(f"a cell is named `{ref}`, which is not a cell reference", self.last)
            column = column * 26 + ord(letter) - 64
        if not 1 <= column <= 16_384:
            raise BadWorkbook(f"a cell is named `{ref}`, past the last column", self.last)
        self.columns[letters] = column - 1
        return column - 1

    def _number(self, raw: str) -> object:
        try:
            number: int | float = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
        except ValueError:
            return raw  # not a number after all: the column's own check reports it by row
        if isinstance(number, float) and not math.isfinite(number):
            return raw  # `nan` or `inf`: no count, no date
        if self.style is not None and self.dates and self.style.isdigit() and int(self.style) in self.dates:
            return _date(number, self.epoch)
        return number

    def _shared(self, raw: str) -> str:
        raw = raw if raw.isdigit() else raw.strip()
        if self.strings is None or not raw.isdigit():
            raise BadWorkbook(f"a cell refers to shared string `{raw}`, which the workbook lacks", self.last)
        return self.strings.get(int(raw), self.last)

    def _other(self, raw: str, kind: str) -> object:
        if kind == "inlineStr" or kind == "str" or kind == "e":  # text, a formula's text, an error such as #N/A
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":  # an ISO 8601 date, written as such
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        return raw


def _date(serial: float, epoch: datetime | None) -> datetime | float:
    if epoch is None:
        # Excel's 1900 system counts a 29 February 1900 that never was (serial 60): the serials
        # before it count from one day later.
        epoch = _EPOCH_1900 + timedelta(days=1) if 0 < serial < 60 else _EPOCH_1900
    days = math.floor(serial)
    try:
        # Excel keeps times to the millisecond; a serial's binary fraction is rounded back to it.
        return epoch + timedelta(days=days, milliseconds=round((serial - days) * 86_400_000))
    except OverflowError:
        return serial  # no date Python can hold: the number itself


# -- the workbook's structure -----------------------------------------------------------------------
@dataclass
class _Relationships:
    by_type: dict[str, list[str]]  # the parts pointed at, by the last word of the relationship's type
    by_id: dict[str, str]

    def first(self, kind: str) -> str | None:
        return self.by_type.get(kind, [None])[0]


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _relationships(book: Workbook, rels: str, base: str) -> _Relationships:
    """The parts a relationships part points at (targets are relative to `base`, or absolute)."""
    found = _Relationships({}, {})
    if book.part(rels) is None:
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_PACKAGE_RELS} Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            found.by_type.setdefault(attrs.get("Type", "").rsplit("/", 1)[-1], []).append(path)
            found.by_id[attrs.get("Id", "")] = path

    _read(book, rels, {"StartElementHandler": start})
    return found


def _sheets(book: Workbook, workbook: str, rels: _Relationships) -> tuple[list[Sheet], bool]:
    """The worksheets in the workbook's order (chart sheets left out), and whether the workbook
    counts dates from 1904."""
    worksheets = set(rels.by_type.get("worksheet", []))
    sheets: list[Sheet] = []
    date1904 = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal date1904
        namespace, _, local = name.rpartition(" ")
        if namespace not in _MAIN:
            return
        if local == "sheet":
            rel = next((attrs[f"{ns} id"] for ns in _RELATIONSHIPS if f"{ns} id" in attrs), "")
            part = rels.by_id.get(rel)
            if part in worksheets and book.part(part) is not None:
                sheets.append(Sheet(attrs.get("name", ""), part))
        elif local == "workbookPr":
            date1904 = attrs.get("date1904", "").lower() in ("1", "true")

    _read(book, workbook, {"StartElementHandler": start})
    if not sheets:
        raise BadWorkbook("it holds no worksheet")
    return sheets, date1904


def _date_styles(book: Workbook, styles: str | None) -> frozenset[int]:
    """The cell styles (indexes into cellXfs) whose number format shows a date."""
    if styles is None or book.part(styles) is None:
        return frozenset()
    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = [False]

    def start(name: str, attrs: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace not in _MAIN:
            return
        if local == "numFmt" and attrs.get("numFmtId", "").isdigit():
            custom[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            inside[0] = True
        elif local == "xf" and inside[0]:
            number = attrs.get("numFmtId", "0")
            formats.append(int(number) if number.isdigit() else 0)

    def end(name: str) -> None:
        if name.endswith(" cellXfs"):
            inside[0] = False

    _read(book, styles, {"StartElementHandler": start, "EndElementHandler": end})
    return frozenset(index for index, number in enumerate(formats) if _shows_date(number, custom.get(number)))


def _shows_date(number: int, code: str | None) -> bool:
    if code is None:
        return number in _DATE_FORMATS
    shown = _LITERAL.sub("", code.split(";")[0]).lower()
    return "d" in shown or "y" in shown or ("m" in shown and "h" not in shown and "s" not in shown)


class _SharedStrings:
    """The shared-string table, spilled to a temporary file as it is parsed: a string by its index
    costs its offset in memory, not its text. Strings are read back with `pread` (a memory map
    would count the file in the process's resident memory); the short ones most cells repeat
    ("Organic", a name) are kept, up to `KEPT` of them."""

    KEPT = 1024
    KEPT_LENGTH = 200

    def __init__(self, book: Workbook, part: str) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 -- open as long as the workbook, closed by close()
        self.offsets = array("q", [0])
        self.kept: dict[int, str] = {}
        self.pieces: list[str] = []  # the runs of the string being read
        self.text: list[str] | None = None  # the pieces of a <t> being read
        self.length = 0
        self.phonetic = 0
        try:
            _read(
                book,
                part,
                {"StartElementHandler": self.start, "EndElementHandler": self.end, "CharacterDataHandler": self.chars},
            )
            self.file.flush()
        except BaseException:
            self.close()
            raise

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _STRING_TAGS.get(name)
        if tag == _TEXT:
            if not self.phonetic:
                self.text = []
        elif tag == _SHARED:
            self.pieces, self.length = [], 0
        elif tag == _PHONETIC:
            self.phonetic += 1

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)
            self.length += len(data)
            if self.length > MAX_CELL:
                raise BadWorkbook(f"a shared string is longer than {MAX_CELL:,} characters")

    def end(self, name: str) -> None:
        tag = _STRING_TAGS.get(name)
        if tag == _TEXT:
            if self.text is not None:
                self.pieces.append("".join(self.text))
                self.text = None
        elif tag == _SHARED:
            written = self.file.write("".join(self.pieces).encode())
            self.offsets.append(self.offsets[-1] + written)
        elif tag == _PHONETIC:
            self.phonetic -= 1

    def get(self, index: int, row: int) -> str:
        found = self.kept.get(index)
        if found is not None:
            return found
        if index >= len(self.offsets) - 1:
            raise BadWorkbook(f"a cell refers to shared string {index}, which the workbook lacks", row)
        start, end = self.offsets[index], self.offsets[index + 1]
        text = os.pread(self.file.fileno(), end - start, start).decode() if end > start else ""
        if len(text) <= self.KEPT_LENGTH:
            if len(self.kept) >= self.KEPT:
                self.kept.clear()
            self.kept[index] = text
        return text

    def close(self) -> None:
        self.file.close()
