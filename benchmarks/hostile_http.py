"""What hostile HTTP traffic does to a real `teambot run`: memory under big unsigned bodies, and
how fast real requests are answered while hundreds of clients trickle their headers.

    .venv/bin/python benchmarks/hostile_http.py                 # both measurements
    .venv/bin/python benchmarks/hostile_http.py --bodies 4 --body-mb 100 --skip-slow
    .venv/bin/python benchmarks/hostile_http.py --slow-clients 300 --skip-bodies
    .venv/bin/python benchmarks/hostile_http.py --source /path/to/other/checkout   # compare

Everything runs on 127.0.0.1: the fake Web API of benchmarks/fake_web_api.py and `python -m bot
run` from --source (this checkout by default) on a temporary SQLite file.

Big bodies: --bodies clients at once each send an unsigned POST /slack/events announcing
--body-mb MB and then send it in 1 MB pieces until the server answers or closes; the process's
resident memory (VmRSS before, VmHWM peak) is read from /proc.

Slow clients: --slow-clients connections each send a request line and then one header byte per
second; meanwhile one signed `/team` and one `GET /healthz` are sent every half second for
--slow-seconds, each with a 30 s timeout, and their answer times are reported."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.load import Proc, command, free_port, signed, start_fake_api

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """
timezone = "Europe/Budapest"

[channels]
drafts = "C0DRAFTS"
escalations = "C0ESCALATE"
ideas = "C0IDEAS"
checklists = "C0CHECKLIST"
digest = "C0STAFF"

[roles]
strategist = ["U0STRAT"]
"""


def start_teambot(source: Path, workdir: Path, api_port: int) -> Proc:
    from benchmarks.load import SECRET

    port = free_port()
    (workdir / "teambot.toml").write_text(CONFIG)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(source),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/",
        "DATABASE_URL": f"sqlite:///{workdir / 'teambot.db'}",
        "TEAMBOT_CONFIG": str(workdir / "teambot.toml"),
    }
    log = workdir / "teambot.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=source,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc = Proc("teambot", popen, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise SystemExit(f"teambot exited with {popen.returncode}:\n{proc.log_tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, "/healthz")[0] == 200:
                time.sleep(2)  # let start-up settle before reading memory
                return proc
        time.sleep(0.2)
    proc.stop()
    raise SystemExit(f"teambot did not answer /healthz within 90 s:\n{proc.log_tail()}")


def get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def big_body(port: int, megabytes: int, answers: list[str]) -> None:
    piece = b"x" * (1024 * 1024)
    status = "no answer"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: teambot\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % (megabytes * len(piece))
            )
            sent = 0
            received = b""
            # A server that refuses by Content-Length answers at once: give it a moment before the
            # body, and look again between pieces (sending into a closed socket loses the answer).
            while sent < megabytes:
                if select.select([sock], [], [], 1.0 if sent == 0 else 0)[0]:
                    received = sock.recv(4096)
                    break
                sock.sendall(piece)
                sent += 1
            sock.setblocking(True)
            while b"\r\n" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
            status = received.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
            status += f" after {sent} MB sent"
    except OSError as exc:
        status = f"{exc.__class__.__name__} ({status})"
    answers.append(status)


def measure_bodies(proc: Proc, bodies: int, megabytes: int) -> dict[str, Any]:
    before = proc.status("VmRSS")
    answers: list[str] = []
    peak_rss = before or 0
    threads = [threading.Thread(target=big_body, args=(proc.port, megabytes, answers)) for _ in range(bodies)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak_rss = max(peak_rss, proc.status("VmRSS") or 0)
        time.sleep(0.05)
    return {
        "rss_before_mib": round((before or 0) / 1024, 1),
        "rss_peak_mib": round(max(peak_rss, proc.status("VmHWM") or 0) / 1024, 1),
        "rss_after_mib": round((proc.status("VmRSS") or 0) / 1024, 1),
        "seconds": round(time.monotonic() - started, 2),
        "answers": sorted(answers),
    }


def measure_slow_clients(proc: Proc, clients: int, seconds: float) -> dict[str, Any]:
    stop = threading.Event()
    opened: list[socket.socket] = []
    refused = 0
    for n in range(clients):
        try:
            sock = socket.create_connection(("127.0.0.1", proc.port), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: teambot\r\nX-Slow-%d: " % n)
            opened.append(sock)
        except OSError:
            refused += 1

    def trickle() -> None:
        while not stop.wait(1.0):
            for sock in opened:
                with contextlib.suppress(OSError):
                    sock.sendall(b"a")

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    team: list[float] = []
    health: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body, content_type = command("/team", "")(0, None)  # type: ignore[arg-type]
        started = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", proc.port, timeout=30)
            connection.request("POST", "/slack/events", body=body.encode(), headers=signed(body, content_type))
            status = connection.getresponse().status
            connection.close()
            team.append(time.monotonic() - started) if status == 200 else failures.append(f"/team {status}")
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"/team {exc.__class__.__name__}")
        started = time.monotonic()
        try:
            status = get(proc.port, "/healthz")[0]
            health.append(time.monotonic() - started) if status == 200 else failures.append(f"healthz {status}")
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"healthz {exc.__class__.__name__}")
        time.sleep(0.5)
    stop.set()
    still_open = sum(1 for sock in opened if _open(sock))
    for sock in opened:
        sock.close()
    return {
        "slow_clients": clients,
        "slow_connections_refused": refused,
        "slow_connections_still_open": still_open,
        "team_answered": len(team),
        "team_ms_median": _ms(sorted(team)[len(team) // 2]) if team else None,
        "team_ms_max": _ms(max(team)) if team else None,
        "healthz_answered": len(health),
        "healthz_ms_max": _ms(max(health)) if health else None,
        "failures": failures,
    }


def _open(sock: socket.socket) -> bool:
    try:
        sock.setblocking(False)
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    parser.add_argument("--bodies", type=int, default=4)
    parser.add_argument("--body-mb", type=int, default=100)
    parser.add_argument("--slow-clients", type=int, default=300)
    parser.add_argument("--slow-seconds", type=float, default=20)
    parser.add_argument("--skip-bodies", action="store_true")
    parser.add_argument("--skip-slow", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="teambot-hostile-") as tmp:
        workdir = Path(tmp)
        api, api_port = start_fake_api(workdir)
        try:
            if not args.skip_bodies:
                proc = start_teambot(args.source.resolve(), workdir, api_port)
                try:
                    print("big bodies:", measure_bodies(proc, args.bodies, args.body_mb), flush=True)
                finally:
                    proc.stop()
            if not args.skip_slow:
                proc = start_teambot(args.source.resolve(), workdir, api_port)
                try:
                    print("slow clients:", measure_slow_clients(proc, args.slow_clients, args.slow_seconds), flush=True)
                finally:
                    proc.stop()
        finally:
            api.terminate()
            api.wait()


if __name__ == "__main__":
    main()
