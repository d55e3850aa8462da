"""A minimal stand-in for Slack's Web API for the benchmarks: answers every method with `ok`, counts
calls per method (GET /stats), and keeps nothing else, so it stays small over a long soak.

Run alone: `python -m benchmarks.fake_web_api --port 0 --port-file FILE` (the chosen port is
written to FILE once the server listens)."""

from __future__ import annotations

import argparse
import itertools
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fake_slack import read_params


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.ts = itertools.count(1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        with self.state.lock:
            self._reply(dict(self.state.calls))

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        params = read_params(self)
        with self.state.lock:
            self.state.calls[method] += 1
            serial = next(self.state.ts)
        self._reply(_answer(method, params, serial))


def _answer(method: str, params: dict[str, Any], serial: int) -> dict[str, Any]:
    if method == "auth.test":
        return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0TEAM", "user": "teambot"}
    if method in ("chat.postMessage", "chat.update"):
        channel = str(params.get("channel", ""))
        if channel.startswith(("U", "W")):
            channel = "D" + channel[1:]
        return {"ok": True, "channel": channel, "ts": params.get("ts") or f"1800000000.{serial:06d}"}
    if method == "chat.getPermalink":
        ts = str(params.get("message_ts", "")).replace(".", "")
        return {"ok": True, "permalink": f"https://acme.slack.com/archives/{params.get('channel')}/p{ts}"}
    if method == "users.info":
        user = str(params.get("user", ""))
        return {"ok": True, "user": {"id": user, "name": user.lower(), "is_admin": False, "is_bot": False}}
    if method == "conversations.open":
        return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
    if method.startswith("views."):
        return {"ok": True, "view": {"id": "V0VIEW"}}
    return {"ok": True}


def serve(port: int = 0) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"state": _State()})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    server = serve(args.port)
    args.port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
