"""How long `teambot import-metrics` takes on a big export, and whether its memory grows with the file.

Writes, at each size (default 10,000 and 50,000 rows), three exports in which the same 2,000 posts
were published from teambot and the rest were not:

- X's content export (account_analytics_content_*.csv, the busiest tool's layout);
- LinkedIn's page content export as Excel saves it (.xlsx, text in the shared-string table);
- the same LinkedIn export as openpyxl writes it (.xlsx, every string inline, no <dimension>);

and, with `--kinds teambot`, a file of teambot's own columns whose every row names a draft (by id
with where it was published, or by its Slack permalink), a draft seeded for each.

Each file is imported into a freshly seeded database, SQLite and (when reachable) PostgreSQL, by a
separate process running `teambot import-metrics`, so each reports its own time and peak RSS: the
rows kept (2,000 drafts' figures) are the same at every size, so the peak should barely move while
the file grows five times.

The machine may be shared and loaded, so every time is also given as a ratio to a floor measured
in the same run, in a process of its own, on the same file: reading its rows and nothing else
(Python's csv module for the CSV; for the workbooks, calamine's `iter_rows`, which is how the
import reads them, so the rest is the import's own work). Workbooks are also read with openpyxl's
read-only mode, the streaming reader the import used before, for comparison.
With `--baseline-code DIR` (a source tree of another revision, for example `git archive <rev> |
tar -x -C DIR`), each import is also run with that code on the same database, and the two compared.

    python -m benchmarks.import_benchmark
    python -m benchmarks.import_benchmark --sizes 10000 50000 200000 --skip-postgres
    python -m benchmarks.import_benchmark --baseline-code /tmp/teambot-before --kinds xlsx-openpyxl
    python -m benchmarks.import_benchmark --sizes 50000 --drafted 50000 --kinds csv   # every row kept
    python -m benchmarks.import_benchmark --kinds teambot --sizes 10000
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, text

from benchmarks.digest_benchmark import postgres_database
from bot.core.db import make_engine, upgrade
from bot.features.approvals.models import Draft
from tests.workbooks import PERCENT, Styled, write_workbook

DRAFTED = 2_000  # posts published from teambot, matched by their address
HEADER = [
    "Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Engagements", "Bookmarks", "Shares",
    "New follows", "Replies", "Reposts", "Profile visits", "Detail Expands", "URL Clicks", "Hashtag Clicks",
    "Permalink Clicks",
]  # fmt: skip
LINKEDIN = [
    "Post title", "Post link", "Post type", "Campaign name", "Posted by", "Created date", "Campaign start date",
    "Campaign end date", "Audience", "Impressions", "Views (excluding off-site video views)", "Off-site views",
    "Clicks", "Click through rate (CTR)", "Likes", "Comments", "Reposts", "Follows", "Engagement rate", "Content Type",
]  # fmt: skip


def x_post(n: int) -> int:
    return 1_700_000_000_000_000_000 + n * 7 if n < DRAFTED else 1_800_000_000_000_000_000 + n


def linkedin_post(n: int) -> int:
    return 7_300_000_000_000_000_000 + n * 7 if n < DRAFTED else 7_400_000_000_000_000_000 + n


def seed(engine: Engine, network: str, drafted: int) -> None:
    upgrade(engine)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [
        {
            "channel": "C0DRAFTS",
            "ts": f"1700000000.{n:06d}",
            "author": "U0BENCH",
            "text": "A post",
            "files_signature": "",
            "status": "approved",
            "current_step": 0,
            "chain": "content_manager",
            "created_at": at,
            "updated_at": at,
            "step_started_at": at,
            "decided_at": at,
            # written the other way round from the export, so every match goes through the address key
            "published_url": (
                f"https://twitter.com/acme/status/{x_post(n)}"
                if network == "x"
                else f"urn:li:activity:{linkedin_post(n)}"
            ),
        }
        for n in range(drafted)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Draft), rows)


# -- the exports ------------------------------------------------------------------------------------
def write_x_export(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            post = x_post(n)
            writer.writerow(
                [
                    *(
                        post,
                        "Mon, Mar 02, 2026",
                        f"Post {n}, with a caption; and more",
                        f"https://x.com/acme/status/{post}",
                    ),
                    *(1000 + n, n % 50, 60 + n % 90, 1, 2, 0, 3, 4, 5, 6, n % 11, 0, 0),
                ]
            )


def linkedin_rows(rows: int, created: object) -> Iterator[list[object]]:
    yield ["All posts: post data for the selected date range."]
    yield LINKEDIN
    for n in range(rows):
        link = f"https://www.linkedin.com/feed/update/urn:li:activity:{linkedin_post(n)}"
        yield [
            *(f"Post {n}: what we shipped this week, and why it matters", link, "Organic", None, "Anna"),
            *(created, None, None, "All followers", 1000 + n, None, None, n % 40, 0.01, n % 30, 2, 1, 0),
            *(Styled(0.03, PERCENT) if isinstance(created, date) else 0.03, "Text"),
        ]


def write_linkedin_as_excel(path: Path, rows: int) -> None:
    write_workbook(path, [("All posts", linkedin_rows(rows, date(2026, 3, 2)))])


def write_linkedin_as_openpyxl(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("All posts")
    for row in linkedin_rows(rows, "03/02/2026"):
        sheet.append(row)
    workbook.save(path)


def write_teambot_columns(path: Path, rows: int) -> None:
    """teambot's own columns, every row naming a draft: by id with where it was published, or by
    its Slack permalink."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["draft_id", "url", "impressions", "engagements", "clicks"])
        for n in range(rows):
            if n % 2:
                writer.writerow(
                    [f"https://acme.slack.com/archives/C0DRAFTS/p1700000000{n:06d}", "", 500 + n, n % 90, 1]
                )
            else:
                writer.writerow([n + 1, f"https://twitter.com/acme/status/{x_post(n)}", 500 + n, n % 90, ""])


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    network: str
    suffix: str
    write: Callable[[Path, int], None]
    every_row_drafted: bool = False  # a draft for every row (else DRAFTED drafts)


KINDS = [
    Kind("csv", "X content export (CSV)", "x", ".csv", write_x_export),
    Kind("teambot", "teambot's own columns (CSV), every row a draft", "x", ".csv", write_teambot_columns, True),
    Kind("xlsx-excel", "LinkedIn export (XLSX as Excel saves it)", "linkedin", ".xlsx", write_linkedin_as_excel),
    Kind(
        "xlsx-openpyxl", "LinkedIn export (XLSX as openpyxl writes it)", "linkedin", ".xlsx", write_linkedin_as_openpyxl
    ),
]


# -- measuring, each in a process of its own --------------------------------------------------------
# The high-water mark of the process's own memory: ru_maxrss would also count its parent's RSS at
# fork, kept across exec by Linux.
_PEAK = "def peak():\n    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
_IMPORT = (
    _PEAK
    + """
import sys, time
started = time.perf_counter()
from bot.cli import main
loaded = time.perf_counter()
status = main.main(['import-metrics', sys.argv[1]])
done = time.perf_counter()
print(f'@@ {done - loaded:.3f} {done - started:.3f} {peak()} {status}')
"""
)
_READ_CSV = (
    _PEAK
    + """
import csv, sys, time
started = time.perf_counter()
with open(sys.argv[1], encoding='utf-8', newline='') as f:
    rows = sum(1 for _ in csv.reader(f))
done = time.perf_counter()
print(f'@@ {done - started:.3f} {done - started:.3f} {peak()} {rows}')
"""
)
_READ_CALAMINE = (
    _PEAK
    + """
import sys, time
started = time.perf_counter()
import python_calamine
with python_calamine.CalamineWorkbook.from_path(sys.argv[1]) as book:
    rows = sum(1 for name in book.sheet_names for _ in book.get_sheet_by_name(name).iter_rows())
done = time.perf_counter()
print(f'@@ {done - started:.3f} {done - started:.3f} {peak()} {rows}')
"""
)
_READ_OPENPYXL = (
    _PEAK
    + """
import sys, time
started = time.perf_counter()
import openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
for sheet in book.worksheets:
    sheet.reset_dimensions()  # as the import did: a <dimension> naming too few rows would cut them short
rows = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
book.close()
done = time.perf_counter()
print(f'@@ {done - started:.3f} {done - started:.3f} {peak()} {rows}')
"""
)


@dataclass
class Run:
    seconds: float  # the work itself
    process: float  # with the interpreter's start and teambot's imports
    peak_kib: int
    output: str


def run(code: str, path: Path, folder: Path, database: str | None = None, source: Path | None = None) -> Run:
    env = {**os.environ}
    if database is not None:
        env["DATABASE_URL"] = database
    if source is not None:
        env["PYTHONPATH"] = str(source)
    else:
        env.pop("PYTHONPATH", None)
    # Run from the temporary folder, so that `-c` does not import the package of the current directory.
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, cwd=folder, capture_output=True, text=True, check=False
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@ ")]
    if not marker:
        raise SystemExit(f"the run failed:\n{done.stdout}\n{done.stderr}")
    _, seconds, process, peak, status = marker[0].split()
    if code is _IMPORT and status != "0":
        raise SystemExit(f"the import failed:\n{done.stdout}\n{done.stderr}")
    said = " / ".join(
        re.sub(r" \(line .*\)$| from \S+$| whose URL matches no draft published from teambot", "", line)
        for line in done.stdout.splitlines()
        if line.startswith(("imported", "skipped"))
    )
    return Run(float(seconds), float(process), int(peak), said)


def cli_only_peak(folder: Path) -> int:
    """Peak RSS of a process that only imports the command line (what every command pays)."""
    code = _PEAK + "from bot.cli import main\nprint(peak())\n"
    return int(
        subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True).stdout
    )


@contextmanager
def fresh_database(backend: str, folder: Path, name: str, postgres: str) -> Iterator[tuple[Engine, str] | None]:
    if backend == "SQLite":
        path = folder / f"{name}.db"
        path.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        try:
            yield engine, f"sqlite:///{path}"
        finally:
            engine.dispose()
        return
    with postgres_database(postgres) as engine:
        yield None if engine is None else (engine, engine.url.render_as_string(hide_password=False))


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument(
        "--kinds", nargs="+", choices=[k.key for k in KINDS], default=[k.key for k in KINDS if k.key != "teambot"]
    )
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--baseline-code", type=Path, help="a source tree whose import to compare with (same files)")
    parser.add_argument("--drafted", type=int, default=2_000, help="posts published from teambot (default 2,000)")
    args = parser.parse_args(argv)
    global DRAFTED
    DRAFTED = args.drafted
    backends = ["SQLite"] + ([] if args.skip_postgres else ["PostgreSQL"])
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        print(f"peak RSS of a process that only loads teambot's command line: {mib(cli_only_peak(folder))}")
        for kind in (k for k in KINDS if k.key in args.kinds):
            for size in args.sizes:
                export = folder / f"{kind.key}-{size}{kind.suffix}"
                kind.write(export, size)
                floors = (
                    {"reading alone": run(_READ_CSV, export, folder)}
                    if kind.suffix == ".csv"
                    else {
                        "calamine alone": run(_READ_CALAMINE, export, folder),
                        "openpyxl read-only": run(_READ_OPENPYXL, export, folder),
                    }
                )
                print(f"\n{kind.label}, {size:,} rows ({export.stat().st_size / 1e6:.1f} MB):")
                for name, floor in floors.items():
                    print(f"  {name + ':':<22} {floor.seconds:6.2f} s, peak RSS {mib(floor.peak_kib)}")
                for backend in backends:
                    with fresh_database(backend, folder, f"{kind.key}-{size}", args.postgres) as database:
                        if database is None:
                            continue
                        engine, url = database
                        seed(engine, kind.network, size if kind.every_row_drafted else DRAFTED)
                        imported = run(_IMPORT, export, folder, url)
                        ratios = ", ".join(f"{imported.seconds / f.seconds:.1f}× {n}" for n, f in floors.items())
                        print(
                            f"  import, {backend + ':':<12} {imported.seconds:6.2f} s ({imported.process:.2f} s with "
                            f"start-up; {ratios}), peak RSS {mib(imported.peak_kib)} — {imported.output}"
                        )
                        if args.baseline_code:
                            with engine.begin() as connection:
                                connection.execute(text("DELETE FROM post_metrics"))
                            before = run(_IMPORT, export, folder, url, args.baseline_code)
                            print(
                                f"  baseline code, {backend + ':':<12} {before.seconds:6.2f} s "
                                f"({before.seconds / imported.seconds:.1f}× this code's), "
                                f"peak RSS {mib(before.peak_kib)} — {before.output}"
                            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
