"""How long `teambot import-metrics` takes on a big export, and whether its memory grows with the file.

Writes X content exports (account_analytics_content_*.csv, the busiest tool's layout) of 5,000 and
50,000 rows in which the same 2,000 posts were published from teambot and the rest were not, and a
LinkedIn-style .xlsx of the same sizes. Each file is imported into a fresh SQLite database by a
separate `teambot import-metrics` process, so each size reports its own time and peak RSS: the rows
kept (2,000 drafts' figures) are the same for both sizes, so the peak should barely move from 5,000
to 50,000 rows while the file grows ten times.

    python -m benchmarks.import_benchmark
    python -m benchmarks.import_benchmark --sizes 5000 50000 200000 --skip-xlsx

Measured on the shared 2-core machine (load average about 18), 2,000 drafts matched:
    X content export (CSV):  5,000 rows: 1.4 s, peak RSS 80.6 MiB; 50,000 rows: 2.6 s, peak RSS 81.3 MiB
    LinkedIn export (XLSX):  5,000 rows: 9.7 s, peak RSS 86.8 MiB; 50,000 rows: 82 s, peak RSS 89.9 MiB
    (a process that only loads teambot's command line: 74.9 MiB)
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bot.core.db import make_engine, upgrade
from bot.features.approvals.models import Draft

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


def seed(database: Path, network: str) -> None:
    engine = make_engine(f"sqlite:///{database}")
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
                f"https://twitter.com/acme/status/{1_700_000_000_000_000_000 + n * 7}"
                if network == "x"
                else f"urn:li:activity:{7_300_000_000_000_000_000 + n * 7}"
            ),
        }
        for n in range(DRAFTED)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Draft), rows)
    engine.dispose()


def write_x_export(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            post = 1_700_000_000_000_000_000 + n * 7 if n < DRAFTED else 1_800_000_000_000_000_000 + n
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


def write_linkedin_export(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("All posts")
    sheet.append(["All posts: post data for the selected date range."])
    sheet.append(LINKEDIN)
    for n in range(rows):
        post = 7_300_000_000_000_000_000 + n * 7 if n < DRAFTED else 7_400_000_000_000_000_000 + n
        sheet.append(
            [
                *(f"Post {n}", f"https://www.linkedin.com/feed/update/urn:li:activity:{post}", "Organic", "", "Anna"),
                *("03/02/2026", "", "", "All followers", 1000 + n, "", "", n % 40, 0.01, n % 30, 2, 1, 0, 0.03, "Text"),
            ]
        )
    workbook.save(path)


def run_import(database: Path, export: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) of the child process alone, and its output."""
    code = (
        "import resource, sys, time\n"
        "from bot.cli import main\n"
        "started = time.perf_counter()\n"
        "status = main.main(['import-metrics', sys.argv[1]])\n"
        "elapsed = time.perf_counter() - started\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(f'@@ {elapsed:.3f} {peak} {status}')\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(export)], env=env, capture_output=True, text=True, check=False
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@ ")]
    if not marker or marker[0].split()[3] != "0":
        raise SystemExit(f"the import failed:\n{done.stdout}\n{done.stderr}")
    _, seconds, peak, _ = marker[0].split()
    said = " / ".join(
        re.sub(r" \(line .*\)$| from \S+$", "", line)
        for line in done.stdout.splitlines()
        if line.startswith(("imported", "skipped"))
    )
    return float(seconds), int(peak), said


def baseline() -> int:
    """Peak RSS of a process that only imports the command line (what every command pays)."""
    code = "import resource\nfrom bot.cli import main\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--skip-xlsx", action="store_true")
    args = parser.parse_args()
    kinds = [("X content export (CSV)", "x", ".csv", write_x_export)]
    if not args.skip_xlsx:
        kinds.append(("LinkedIn content export (XLSX)", "linkedin", ".xlsx", write_linkedin_export))
    print(f"peak RSS of a process that only loads teambot's command line: {baseline() / 1024:.1f} MiB")
    with tempfile.TemporaryDirectory() as folder:
        for label, network, suffix, write in kinds:
            for size in args.sizes:
                database = Path(folder) / f"{network}-{size}.db"
                export = Path(folder) / f"{network}-{size}{suffix}"
                seed(database, network)
                started = time.perf_counter()
                write(export, size)
                written = time.perf_counter() - started
                seconds, peak, said = run_import(database, export)
                print(
                    f"{label}: {size:>7,} rows ({export.stat().st_size / 1e6:.1f} MB, written in {written:.1f} s): "
                    f"imported in {seconds:.2f} s, peak RSS {peak / 1024:.1f} MiB — {said}"
                )


if __name__ == "__main__":
    main()
