"""Workbooks written the way Excel saves them, for the .xlsx import's tests and the import benchmark:
text in the shared-string table (openpyxl writes every string inline instead), dates as serial
numbers in a date style, the sheet's used range in a <dimension> ahead of its rows."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

# Cell styles (indexes into cellXfs) of styles.xml below.
GENERAL, DATE, DATE_TIME, DAYS_TEXT, PERCENT = range(5)
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/>
<numFmt numFmtId="165" formatCode="0.0&quot; days&quot;"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" xfId="0"/><xf numFmtId="14" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="10" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


@dataclass(frozen=True)
class Rich:
    """A shared string written as formatted runs, with a phonetic reading that is not its text."""

    runs: tuple[str, ...]
    phonetic: str = ""


@dataclass(frozen=True)
class Styled:
    """A number shown in one of the styles above."""

    number: float
    style: int


def column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _serial(value: date, date1904: bool) -> float:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    moment = moment.replace(tzinfo=None)
    if date1904:
        return (moment - datetime(1904, 1, 1)).total_seconds() / 86400
    # Excel's 1900 system counts a 29 February 1900 (serial 60): the days before it are one less.
    epoch = datetime(1899, 12, 31) if moment < datetime(1900, 3, 1) else datetime(1899, 12, 30)
    return (moment - epoch).total_seconds() / 86400


class _Strings:
    def __init__(self) -> None:
        self.index: dict[object, int] = {}

    def __call__(self, value: object) -> int:
        return self.index.setdefault(value, len(self.index))

    def xml(self, namespace: str) -> str:
        items = [f"<si>{_text(value)}</si>" for value in self.index]
        count = len(items)
        return f'<sst xmlns="{namespace}" count="{count}" uniqueCount="{count}">{"".join(items)}</sst>'


def _text(value: object) -> str:
    """The inside of a shared string's <si> or an inline string's <is>."""
    if not isinstance(value, Rich):
        return f'<t xml:space="preserve">{escape(str(value))}</t>'
    runs = "".join(f'<r><rPr><b/></rPr><t xml:space="preserve">{escape(run)}</t></r>' for run in value.runs)
    phonetic = f'<rPh sb="0" eb="1"><t>{escape(value.phonetic)}</t></rPh>' if value.phonetic else ""
    return runs + phonetic


def _cell(ref: str, value: object, strings: _Strings | None, date1904: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Styled):
        return f'<c r="{ref}" s="{value.style}"><v>{value.number!r}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{DATE_TIME}"><v>{_serial(value, date1904)!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{DATE}"><v>{_serial(value, date1904)!r}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if strings is None:
        return f'<c r="{ref}" t="inlineStr"><is>{_text(value)}</is></c>'
    return f'<c r="{ref}" t="s"><v>{strings(value)}</v></c>'


def _used_range(rows: list[list[object]]) -> str:
    """The cells a sheet uses, as Excel names them in its <dimension> ("A1" for an empty sheet)."""
    top = bottom = left = right = None
    for number, row in enumerate(rows, start=1):
        filled = [i for i, value in enumerate(row) if value is not None]
        if filled:
            top, bottom = top or number, number
            left = filled[0] if left is None else min(left, filled[0])
            right = filled[-1] if right is None else max(right, filled[-1])
    if top is None or bottom is None or left is None or right is None:
        return "A1"
    first, last = f"{column_name(left)}{top}", f"{column_name(right)}{bottom}"
    return first if first == last else f"{first}:{last}"


def write_workbook(
    path: Path,
    sheets: list[tuple[str, Iterable[list[object]]]],
    *,
    shared_strings: bool = True,
    date1904: bool = False,
    namespace: str = MAIN,
) -> None:
    """Each sheet's rows from row 1 (a None cell is left out, an empty list is an empty row)."""
    strings = _Strings() if shared_strings else None
    epoch = ' date1904="1"' if date1904 else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in range(1, len(sheets) + 1)
            )
            + '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + (
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if shared_strings
                else ""
            )
            + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{namespace}" xmlns:r="{_REL}"><workbookPr{epoch}/>'
            "<sheets>"
            + "".join(
                f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
                for n, (title, _) in enumerate(sheets, start=1)
            )
            + "</sheets></workbook>",
        )
        rels = [
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        ]
        rels.append(f'<Relationship Id="rIdStyles" Type="{_REL}/styles" Target="styles.xml"/>')
        if strings is not None:
            rels.append(f'<Relationship Id="rIdStrings" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>')
        book.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PACKAGE}">{"".join(rels)}</Relationships>'
        )
        book.writestr("xl/styles.xml", _STYLES.replace(MAIN, namespace))
        for n, (_, rows) in enumerate(sheets, start=1):
            rows = list(rows)
            with book.open(f"xl/worksheets/sheet{n}.xml", "w") as sheet:
                sheet.write(
                    f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{namespace}">'
                    f'<dimension ref="{_used_range(rows)}"/><sheetData>'.encode()
                )
                for number, row in enumerate(rows, start=1):
                    cells = "".join(
                        _cell(f"{column_name(i)}{number}", value, strings, date1904) for i, value in enumerate(row)
                    )
                    sheet.write(f'<row r="{number}">{cells}</row>'.encode())
                sheet.write(b"</sheetData></worksheet>")
        if strings is not None:
            book.writestr("xl/sharedStrings.xml", strings.xml(namespace))
