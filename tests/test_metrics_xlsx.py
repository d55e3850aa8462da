"""`teambot import-metrics` with .xlsx workbooks: the streaming reader gives what openpyxl gives
(openpyxl is the reference here, not the reader), for workbooks saved the way Excel saves them
(shared strings, dates as styled serial numbers, the 1904 date system, strict OOXML) and the way
openpyxl writes them (inline strings); a workbook that breaks off is reported at its row; and the
shared strings are not held in memory."""

from __future__ import annotations

import tracemalloc
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.cli import reports as digest_cli
from bot.features.metrics.importers.xlsx import BadWorkbook, Workbook
from bot.features.metrics.models import AccountDay
from tests.test_metrics import metric
from tests.test_metrics_imports import SAMPLES, figures, imported, published
from tests.workbooks import DAYS_TEXT, PERCENT, STRICT, Rich, Styled, write_workbook

LINKEDIN_HEADER = ["Post title", "Post link", "Post type", "Posted by", "Created date", "Impressions", "Clicks"]
LINKEDIN_HEADER += ["Likes", "Comments", "Reposts", "Engagement rate"]


def linkedin_row(title: str, urn: str, created: date, *figures: object) -> list[object]:
    """A row of LinkedIn's page content export: impressions, clicks, likes, comments, reposts."""
    link = f"https://www.linkedin.com/feed/update/{urn}"
    return [title, link, "Organic", "Anna", created, *figures, Styled(0.05, PERCENT)]


def mixed_rows() -> list[list[object]]:
    """Every kind of cell a tool's export holds, and a few it should not."""
    return [
        ["All posts: post data for the selected date range."],
        [],
        ["Date", "Post link", "Impressions", "Rate", "Note", "Done"],
        [
            date(2026, 3, 2),
            "https://www.linkedin.com/feed/update/urn:li:activity:1",
            1200,
            0.065,
            "naïve “quotes”",
            True,
        ],
        [datetime(2026, 3, 2, 13, 45, 30), Rich(("Bold ", "& <plain>"), phonetic="ボールド"), 3.5, "6.5%", None, False],
        [None, "   spaced   ", 0, Styled(0.25, PERCENT), Styled(3.0, DAYS_TEXT), None, None, 7],
        [date(1900, 2, 28), date(1900, 3, 1), 10**15, 1.5e-7, "x" * 5000, "Total"],
        ["Summe", "Mär", "1\u00a0234", "", "=SUM(C4:C6)", "#N/A"],
    ]


def reference(path: Path) -> dict[str, list[tuple[int, list[object]]]]:
    """The rows openpyxl reads (values only), empty rows and trailing empty cells left out."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        read = {}
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            rows = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = ["" if v is None else v for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                if cells:
                    rows.append((number, cells))
            read[sheet.title] = rows
        return read
    finally:
        workbook.close()


def streamed(path: Path) -> dict[str, list[tuple[int, list[object]]]]:
    workbook = Workbook(path)
    try:
        return {sheet.title: list(workbook.rows(sheet)) for sheet in workbook.sheets}
    finally:
        workbook.close()


def replace_part(path: Path, name: str, content: bytes) -> None:
    """Rewrite one part of a workbook (to damage it)."""
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist()}
    parts[name] = content
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for part, data in parts.items():
            book.writestr(part, data)


# -- the reader against the reference --------------------------------------------------------------
@pytest.mark.parametrize("shared_strings", [True, False], ids=["shared-strings", "inline-strings"])
@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_the_reader_reads_what_openpyxl_reads(tmp_path, shared_strings, date1904):
    path = tmp_path / "export.xlsx"
    write_workbook(
        path,
        [("Notes", [["Exported from the tool"], [], ["second note"]]), ("All posts", mixed_rows())],
        shared_strings=shared_strings,
        date1904=date1904,
    )
    read = streamed(path)
    assert read == reference(path)
    posts = dict(read["All posts"])
    assert posts[4][:3] == [datetime(2026, 3, 2), "https://www.linkedin.com/feed/update/urn:li:activity:1", 1200]
    assert posts[5][:2] == [datetime(2026, 3, 2, 13, 45, 30), "Bold & <plain>"]  # runs joined, reading left out
    assert posts[6][3:5] == [0.25, 3.0]  # a percentage and a number shown with " days" are not dates
    assert posts[7][:2] == [datetime(1900, 2, 28), datetime(1900, 3, 1)]  # either side of Excel's 29 February 1900
    assert 2 not in posts  # the empty row


def test_a_workbook_openpyxl_wrote_and_the_linkedin_sample_read_alike(tmp_path):
    path = tmp_path / "openpyxl.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    for row in mixed_rows():
        sheet.append([c if isinstance(c, str | int | float | date | type(None)) else None for c in row])
    sheet["H20"] = "far away"
    sheet["C21"] = "=1+2"  # a formula never calculated: no cached value
    book.save(path)
    assert streamed(path) == reference(path)
    assert streamed(SAMPLES / "linkedin_content.xlsx") == reference(SAMPLES / "linkedin_content.xlsx")


def test_strict_open_xml_reads_as_the_usual_kind(tmp_path):
    usual, strict = tmp_path / "usual.xlsx", tmp_path / "strict.xlsx"
    write_workbook(usual, [("All posts", mixed_rows())])
    write_workbook(strict, [("All posts", mixed_rows())], namespace=STRICT)
    assert streamed(strict) == streamed(usual)


# -- whole imports ---------------------------------------------------------------------------------
def test_a_linkedin_export_saved_by_excel_is_imported(runtime, settings, tmp_path, capsys):
    first, second = published(runtime, "urn:li:activity:7301", "https://www.linkedin.com/feed/update/urn:li:share:7302")
    path = tmp_path / "linkedin.xlsx"
    write_workbook(
        path,
        [
            ("About", [["Content metrics, exported 2026-03-08"]]),
            (
                "All posts",
                [
                    ["All posts: post data for the selected date range."],
                    LINKEDIN_HEADER,
                    linkedin_row("Launch", "urn:li:activity:7301", date(2026, 3, 2), 5400, 42, 200, 30, 10),
                    linkedin_row("Share", "urn:li:share:7302/", date(2026, 3, 3), "1,200", None, 12, 3, None),
                    linkedin_row("Not ours", "urn:li:activity:9999", date(2026, 3, 4), 10, 0, 0, 0, 0),
                ],
            ),
        ],
    )
    out = imported(settings, path, capsys)
    assert 'XLSX sheet "All posts", header on line 2' in out and "LinkedIn" in out
    assert "imported 2 row(s) for 2 draft(s)" in out and "skipped 1 row(s)" in out and "line 5" in out
    assert figures(runtime, first) == (5400, 240, 42)
    assert figures(runtime, second) == (1200, 15, None)


def test_account_figures_from_a_workbook_with_typed_dates(runtime, settings, tmp_path, capsys):
    path = tmp_path / "days.xlsx"
    rows = [["Date", "Profile", "Followers", "Mentions"]]
    rows += [[date(2026, 3, 1 + n), "@acme", 1000 + n, n] for n in range(5)]
    rows.append([datetime(2026, 3, 9, 23, 59), "Acme LinkedIn", 80, None])
    write_workbook(path, [("Daily", rows)], date1904=True)
    out = imported(settings, path, capsys)
    assert "imported 6 account-day(s) for 2 account(s)" in out
    with runtime.session_factory() as session:
        assert session.get(AccountDay, (date(2026, 3, 5), "@acme")).followers == 1004
        assert session.get(AccountDay, (date(2026, 3, 9), "Acme LinkedIn")).followers == 80


def test_a_sheet_that_breaks_off_is_reported_at_its_row_and_nothing_is_imported(runtime, settings, tmp_path, capsys):
    (post,) = published(runtime, "urn:li:activity:7301")
    path = tmp_path / "cut.xlsx"
    rows = [LINKEDIN_HEADER, ["Launch", "urn:li:activity:7301", "Organic", "Anna", "03/02/2026", 5400, 1, 2, 3, 4]]
    rows += [["Other", f"urn:li:activity:{n}", "Organic", "Anna", "03/02/2026", 10, 1, 2, 3, 4] for n in range(3)]
    write_workbook(path, [("All posts", rows)], shared_strings=False)
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    replace_part(path, "xl/worksheets/sheet1.xml", sheet[: sheet.index(b'<row r="4">') + 60])
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 4: the workbook cannot be read from here on (xl/worksheets/sheet1.xml is not well-formed XML" in err
    assert "Traceback" not in err and "nothing was imported (1 bad row(s))" in err
    assert metric(runtime, post) is None


@pytest.mark.parametrize(
    ("damage", "said", "status"),
    [
        (("xl/workbook.xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><workbook/>'), "declares a DTD", 2),
        (("xl/workbook.xml", b"<workbook><sheets>"), "xl/workbook.xml is not well-formed XML", 2),
        (("xl/_rels/workbook.xml.rels", b'<Relationships xmlns="x"/>'), "it holds no worksheet", 2),
        (("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'),
         "is not an .xlsx spreadsheet (a cell refers to shared string 0, which the workbook lacks)", 2),
    ],
)  # fmt: skip
def test_workbooks_that_cannot_be_read_say_why_without_a_traceback(
    runtime, settings, tmp_path, capsys, damage, said, status
):
    path = tmp_path / "damaged.xlsx"
    write_workbook(path, [("All posts", [LINKEDIN_HEADER, ["a", "urn:li:activity:1", "", "", "", 1, 1, 1, 1, 1]])])
    replace_part(path, *damage)
    assert digest_cli.import_metrics(settings, path) == status
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_a_row_naming_a_shared_string_the_workbook_lacks_is_reported_at_its_row(runtime, settings, tmp_path, capsys):
    path = tmp_path / "strings.xlsx"
    write_workbook(path, [("All posts", [LINKEDIN_HEADER, linkedin_row("a", "urn:li:activity:1", 1, 1, 1, 1, 1, 1)])])
    with zipfile.ZipFile(path) as book:
        strings = book.read("xl/sharedStrings.xml")
    header_only = strings[: strings.index(b"<si>", strings.index(b"Engagement rate"))] + b"</sst>"
    replace_part(path, "xl/sharedStrings.xml", header_only)
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert "line 2: the workbook cannot be read from here on (a cell refers to shared string 11," in err


def test_an_over_long_cell_and_a_bad_cell_name_are_reported_at_their_row(tmp_path):
    path = tmp_path / "long.xlsx"
    write_workbook(path, [("Posts", [["Post link"], ["a"], ["y" * 140_000], ["b"]])], shared_strings=False)
    read = []
    workbook = Workbook(path)
    with pytest.raises(BadWorkbook) as broken:
        read.extend(number for number, _ in workbook.rows(workbook.sheets[0]))
    workbook.close()
    assert read == [1, 2]  # the rows before it were read
    assert broken.value.row == 3 and "longer than 131,072 characters" in broken.value.reason

    replace_part(
        path,
        "xl/worksheets/sheet1.xml",
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A$2"><v>1</v></c></row></sheetData></worksheet>',
    )
    workbook = Workbook(path)
    with pytest.raises(BadWorkbook) as broken:
        list(workbook.rows(workbook.sheets[0]))
    workbook.close()
    assert broken.value.row == 2 and "not a cell reference" in broken.value.reason


# -- memory ----------------------------------------------------------------------------------------
def test_shared_strings_are_not_held_in_memory(tmp_path):
    """Read with tracemalloc: from 2,000 to 12,000 rows of two unique strings each (about 1.6 MB of
    text more), the reader's peak grows by the strings' offsets alone (8 bytes each)."""

    def peak(rows: int) -> int:
        path = tmp_path / f"{rows}.xlsx"
        write_workbook(
            path,
            [
                (
                    "Posts",
                    (
                        [f"Post number {n} about something", f"https://x.com/acme/status/{10**18 + n}", n]
                        for n in range(rows)
                    ),
                )
            ],
        )
        tracemalloc.start()
        try:
            workbook = Workbook(path)
            count = sum(1 for _ in workbook.rows(workbook.sheets[0]))
            workbook.close()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert count == rows

    small, big = peak(2_000), peak(12_000)
    assert big - small < 20_000 * 8 + 300_000, (small, big)


def test_a_workbook_row_count_is_not_limited_by_a_dimension(runtime, settings, tmp_path, capsys):
    # openpyxl's writer names no <dimension>; a sheet's size is never read ahead.
    (post,) = published(runtime, "urn:li:activity:42")
    path = tmp_path / "nodim.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("All posts")
    sheet.append(LINKEDIN_HEADER)
    for n in range(300):
        sheet.append([f"Post {n}", f"urn:li:activity:{n + 1000}", "Organic", "A", "03/02/2026", 1, 0, 0, 0, 0])
    sheet.append(["Ours", "urn:li:activity:42", "Organic", "A", "03/02/2026", 77, 1, 2, 3, 4])
    book.save(path)
    out = imported(settings, path, capsys)
    assert "imported 1 row(s)" in out and "skipped 300 row(s)" in out
    assert figures(runtime, post) == (77, 9, 1)
