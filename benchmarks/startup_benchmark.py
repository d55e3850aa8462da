"""The `teambot` command's start-up, this checkout against another one in the same run.

    git worktree add --detach /tmp/teambot-before <commit>
    python -m benchmarks.startup_benchmark --baseline /tmp/teambot-before

Each command is run as a new process, alternately from the baseline checkout and from this one
(both with this Python and its packages), and timed by wall clock and by the CPU the process
used: `teambot --version`, `teambot export --format json` on an empty SQLite database and
`teambot export --format ics` on the year the calendar benchmark builds (its events kept, as
after any first export). Also `python -X importtime -m bot --version`, and the resident memory
(VmRSS) of an idle `teambot run` against the fake Web API."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks import load
from benchmarks.calendar_benchmark import fill
from bot.core.db import make_engine, make_session_factory, upgrade
from bot.features.calendar import ics

ROOT = Path(__file__).resolve().parent.parent


def _env(checkout: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMBOT_", "DATABASE_URL"))}
    return {**env, "PYTHONPATH": str(checkout), **extra}


def _timed(checkout: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m bot ARGV` run from `checkout`."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = usage.ru_utime + usage.ru_stime
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", *argv], cwd=checkout, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, usage.ru_utime + usage.ru_stime - used


def _import_ms(checkout: Path) -> tuple[float, int]:
    """`python -X importtime -m bot --version`: the milliseconds of importing bot.cli.main (with
    everything it imports) and the number of modules imported in all."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "--version"],
        cwd=checkout,
        env=_env(checkout),
        check=True,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    main = [line for line in lines if re.search(r"\|\s*bot\.cli\.main$", line)]
    return int(main[0].split("|")[1]) / 1000, len(lines) - 1


def _ratio(new: float, old: float) -> str:
    return f"{new / old:.2f}×" if old else "—"


def _row(label: str, old: list[tuple[float, float]], new: list[tuple[float, float]]) -> None:
    old_wall, old_cpu = (statistics.median(x) for x in zip(*old, strict=True))
    new_wall, new_cpu = (statistics.median(x) for x in zip(*new, strict=True))
    print(
        f"{label}: wall {old_wall * 1000:.0f} → {new_wall * 1000:.0f} ms ({_ratio(new_wall, old_wall)}), "
        f"CPU {old_cpu * 1000:.0f} → {new_cpu * 1000:.0f} ms ({_ratio(new_cpu, old_cpu)}); medians of {len(new)} runs"
    )


def commands(baseline: Path, runs: int, folder: Path, scale: float) -> None:
    empty = folder / "empty.db"
    year = folder / "year.db"
    engine = make_engine(f"sqlite:///{empty}")
    upgrade(engine)
    engine.dispose()
    engine = make_engine(f"sqlite:///{year}")
    upgrade(engine)
    fill(engine, scale)
    ics.export(make_session_factory(engine))  # the first export keeps every event, as in use
    engine.dispose()
    cases = [
        ("teambot --version", ["--version"], None),
        ("teambot export --format json, empty SQLite database", ["export", "--format", "json"], empty),
        (f"teambot export --format ics, the year ({scale:g}) on SQLite", ["export", "--format", "ics"], year),
    ]
    for label, argv, database in cases:
        timings: dict[Path, list[tuple[float, float]]] = {baseline: [], ROOT: []}
        for _ in range(runs):
            for checkout in (baseline, ROOT):
                extra = {"DATABASE_URL": f"sqlite:///{database}"} if database else {}
                timings[checkout].append(_timed(checkout, argv, _env(checkout, **extra)))
        _row(label, timings[baseline], timings[ROOT])


@contextlib.contextmanager
def fake_api(folder: Path) -> Iterator[int]:
    api, port = load.start_fake_api(folder)
    try:
        yield port
    finally:
        api.terminate()
        api.wait()


def idle_rss(checkout: Path, folder: Path, api_port: int, settle: float) -> int:
    """VmRSS (KiB) of `teambot run` (HTTP, scheduler and sender) `settle` seconds after it answered."""
    config = folder / "teambot.toml"
    config.write_text(load.CONFIG)
    database = folder / f"run-{checkout.name}-{time.monotonic_ns()}.db"
    env = load.environment(f"sqlite:///{database}", api_port, config)
    env["PYTHONPATH"] = str(checkout)
    port = load.free_port()
    # The installed script, not `-m bot`: its working directory would come before PYTHONPATH.
    argv = [str(Path(sys.executable).parent / "teambot"), "run", "--host", "127.0.0.1", "--port", str(port)]
    proc = load.start(f"run-{checkout.name}", argv, env, port, folder)
    try:
        time.sleep(settle)
        rss = proc.status("VmRSS")
        matplotlib = "matplotlib" in Path(f"/proc/{proc.popen.pid}/maps").read_text()
    finally:
        proc.stop()
    assert rss is not None
    assert not matplotlib, "an idle teambot run has matplotlib loaded"
    return rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout of the commit to compare with")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command from each checkout (default 5)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the calendar's year (default 1)")
    parser.add_argument("--rss-runs", type=int, default=2, help="idle `teambot run`s from each checkout (default 2)")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds idle before reading VmRSS (default 8)")
    args = parser.parse_args(argv)
    baseline = args.baseline.resolve()
    before, after = _import_ms(baseline), _import_ms(ROOT)
    print(
        f"python -X importtime -m bot --version: bot.cli.main {before[0]:.0f} → {after[0]:.0f} ms "
        f"({_ratio(after[0], before[0])}), {before[1]} → {after[1]} modules"
    )
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        commands(baseline, args.runs, folder, args.scale)
        with fake_api(folder) as api_port:
            rss: dict[Path, list[int]] = {baseline: [], ROOT: []}
            for _ in range(args.rss_runs):
                for checkout in (baseline, ROOT):
                    rss[checkout].append(idle_rss(checkout, folder, api_port, args.settle))
        old, new = (statistics.median(rss[c]) / 1024 for c in (baseline, ROOT))
        print(
            f"idle `teambot run` (HTTP, scheduler, sender; {args.settle:g} s after /healthz answered): "
            f"VmRSS {old:.1f} → {new:.1f} MiB ({new - old:+.1f} MiB); matplotlib not loaded; "
            f"medians of {args.rss_runs} runs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
