"""`teambot import-metrics` with .xlsx workbooks, read with calamine: workbooks saved the way
Excel saves them (shared strings, dates as styled serial numbers, the 1904 date system) and the
way openpyxl writes them (inline strings, no <dimension>); a sheet is read whole before its rows
are used, so a damaged one (cut short, naming a string the workbook lacks) is refused in one line
and nothing is imported."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.cli import reports as digest_cli
from bot.features.metrics.models import AccountDay
from tests.test_metrics import metric
from tests.test_metrics_imports import figures, imported, published
from tests.workbooks import PERCENT, Styled, write_workbook

LINKEDIN_HEADER = ["Post title", "Post link", "Post type", "Posted by", "Created date", "Impressions", "Clicks"]
LINKEDIN_HEADER += ["Likes", "Comments", "Reposts", "Engagement rate"]


def linkedin_row(title: str, urn: str, created: date, *figures: object) -> list[object]:
    """A row of LinkedIn's page content export: impressions, clicks, likes, comments, reposts."""
    link = f"https://www.linkedin.com/feed/update/{urn}"
    return [title, link, "Organic", "Anna", created, *figures, Styled(0.05, PERCENT)]


def replace_part(path: Path, name: str, content: bytes) -> None:
    """Rewrite one part of a workbook (to damage it)."""
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info) for info in book.infolist()}
    parts[name] = content
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for part, data in parts.items():
            book.writestr(part, data)


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


def test_a_sheet_that_breaks_off_is_refused_whole_and_nothing_is_imported(runtime, settings, tmp_path, capsys):
    (post,) = published(runtime, "urn:li:activity:7301")
    path = tmp_path / "cut.xlsx"
    rows = [LINKEDIN_HEADER, ["Launch", "urn:li:activity:7301", "Organic", "Anna", "03/02/2026", 5400, 1, 2, 3, 4]]
    rows += [["Other", f"urn:li:activity:{n}", "Organic", "Anna", "03/02/2026", 10, 1, 2, 3, 4] for n in range(3)]
    write_workbook(path, [("All posts", rows)], shared_strings=False)
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    replace_part(path, "xl/worksheets/sheet1.xml", sheet[: sheet.index(b'<row r="4">') + 60])
    assert digest_cli.import_metrics(settings, path) == 2
    err = capsys.readouterr().err
    assert 'cut.xlsx is not an .xlsx spreadsheet (sheet "All posts" is not well-formed XML (syntax error' in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert metric(runtime, post) is None


@pytest.mark.parametrize(
    ("damage", "said", "status"),
    [
        (("xl/workbook.xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><workbook/>'),
         "is not an .xlsx spreadsheet (it holds no worksheet)", 2),
        (("xl/workbook.xml", b"<workbook><sheets>"),
         "is not an .xlsx spreadsheet (a part of it is not well-formed XML (workbook))", 2),
        (("xl/_rels/workbook.xml.rels", b'<Relationships xmlns="x"/>'),
         "is not an .xlsx spreadsheet (a part it refers to is missing (Relationship not found))", 2),
        (("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'),
         "is not an .xlsx spreadsheet (a cell refers to a shared string the workbook lacks)", 2),
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


def test_a_sheet_naming_a_shared_string_the_workbook_lacks_is_refused(runtime, settings, tmp_path, capsys):
    (post,) = published(runtime, "urn:li:activity:1")
    path = tmp_path / "strings.xlsx"
    write_workbook(path, [("All posts", [LINKEDIN_HEADER, linkedin_row("a", "urn:li:activity:1", 1, 1, 1, 1, 1, 1)])])
    with zipfile.ZipFile(path) as book:
        strings = book.read("xl/sharedStrings.xml")
    header_only = strings[: strings.index(b"<si>", strings.index(b"Engagement rate"))] + b"</sst>"
    replace_part(path, "xl/sharedStrings.xml", header_only)
    assert digest_cli.import_metrics(settings, path) == 2
    err = capsys.readouterr().err
    assert "strings.xlsx is not an .xlsx spreadsheet (a cell refers to a shared string the workbook lacks)" in err
    assert metric(runtime, post) is None


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


def test_rows_past_a_dimension_that_names_too_few_are_read(runtime, settings, tmp_path, capsys):
    (post,) = published(runtime, "urn:li:activity:42")
    path = tmp_path / "short-dimension.xlsx"
    rows = [LINKEDIN_HEADER]
    rows += [
        [f"Post {n}", f"urn:li:activity:{n + 1000}", "Organic", "A", "03/02/2026", 1, 0, 0, 0, 0] for n in range(5)
    ]
    rows.append(["Ours", "urn:li:activity:42", "Organic", "A", "03/02/2026", 77, 1, 2, 3, 4])
    write_workbook(path, [("All posts", rows)])
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:K7"/>' in sheet
    replace_part(
        path, "xl/worksheets/sheet1.xml", sheet.replace(b'<dimension ref="A1:K7"/>', b'<dimension ref="A1:K2"/>')
    )
    out = imported(settings, path, capsys)
    assert "imported 1 row(s)" in out and "skipped 5 row(s)" in out
    assert figures(runtime, post) == (77, 9, 1)


def test_rows_are_numbered_as_the_sheet_numbers_them_when_it_starts_below_and_right_of_a1(
    runtime, settings, tmp_path, capsys
):
    # calamine holds a sheet from its first used cell; the lines said must still be the sheet's rows.
    post, _ = published(runtime, "urn:li:activity:42", "urn:li:activity:43")
    path = tmp_path / "offset.xlsx"
    rows: list[list[object]] = [[], [], []]
    rows.append([None, None, *LINKEDIN_HEADER])
    rows.append([None, None, "Ours", "urn:li:activity:42", "Organic", "A", "03/02/2026", 77, 1, 2, 3, 4])
    rows.append([])
    rows.append([None, None, "Bad", "urn:li:activity:43", "Organic", "A", "03/02/2026", "lots", 1, 2, 3, 4])
    write_workbook(path, [("All posts", rows)])
    assert digest_cli.import_metrics(settings, path) == 1
    err = capsys.readouterr().err
    assert 'XLSX sheet "All posts", header on line 4' in err
    assert "line 7: `Impressions` must be a whole number, not `lots`" in err and "line 5" not in err
    assert metric(runtime, post) is None  # all or nothing
