"""A fake Slack Web API on 127.0.0.1 (port 0). It records every call (method, params, blocks) and
answers like Slack does; tests can make methods fail with 429 (Retry-After) or 5xx on demand, be
slow, or not answer at all (`hang`)."""

from __future__ import annotations

import itertools
import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER = "UBOT"
BOT_ID = "BBOT"
# A hung call is answered at the latest after this long, so no test can wait on it for ever.
HANG_LIMIT_SECONDS = 60.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def channel(self) -> str | None:
        return self.params.get("channel")

    @property
    def text(self) -> str:
        return self.params.get("text") or ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    def all_text(self) -> str:
        """The message's text and every text in its blocks (and view), for assertions."""
        parts = [self.text]
        view = self.params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        parts.append(json.dumps(self.blocks, ensure_ascii=False))
        if view:
            parts.append(json.dumps(view, ensure_ascii=False))
        return "\n".join(parts)


@dataclass
class Failure:
    status: int
    retry_after: int | None
    remaining: int
    error: str | None = None


@dataclass
class AcceptedFailure:
    method: str
    channel: str | None
    remaining: int


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Ids users.info answers `user_not_found` for: nobody in this workspace.
    unknown_users: set[str] = field(default_factory=set)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    fail_every: dict[str, int] = field(default_factory=dict)
    # Seconds to wait before answering a method (a slow Slack).
    delays: dict[str, float] = field(default_factory=dict)
    # Methods that get no answer until `release()` ("*": every method): Slack not answering.
    hanging: set[str] = field(default_factory=set)
    _released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _seen: dict[str, int] = field(default_factory=dict)
    # Posted messages per channel, as conversations.history / conversations.replies return them.
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Calls Slack carries out but answers 500 for (see `fail_after_accepting`).
    accepted_failures: list[AcceptedFailure] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    # Files' bytes by file id, as sent to the upload URL of files.getUploadURLExternal.
    uploads: dict[str, bytes] = field(default_factory=dict)
    # Files by file id: `filename` and `alt_txt` as asked for, then `title` and `channel` once shared.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def reset(self) -> None:
        self.release()
        with self._lock:
            self.calls.clear()
            self.users.clear()
            self.unknown_users.clear()
            self.failures.clear()
            self.fail_every.clear()
            self.accepted_failures.clear()
            self.delays.clear()
            self._seen.clear()
            self.messages.clear()
            self.uploads.clear()
            self.files.clear()

    # -- failure injection -------------------------------------------------------------------
    def fail(
        self,
        method: str,
        status: int = 500,
        *,
        retry_after: int | None = None,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """The next `times` calls of `method` answer `status` (429 with Retry-After if given); with
        `error`, Slack's usual 200 `{"ok": false, "error": ...}` instead."""
        with self._lock:
            self.failures.setdefault(method, []).append(Failure(200 if error else status, retry_after, times, error))

    def fail_one_in(self, method: str, n: int) -> None:
        """Every n-th call of `method` answers 500 (or 429 for every 2n-th), until reset."""
        with self._lock:
            self.fail_every[method] = n

    def fail_after_accepting(self, method: str, *, channel: str | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` (to `channel`, if given) are carried out — a post is
        stored and shows in the history — but answered 500, as when Slack fails after the fact."""
        with self._lock:
            self.accepted_failures.append(AcceptedFailure(method, channel, times))

    def hang(self, *methods: str) -> None:
        """Calls of `methods` (of every method if none is named) get no answer until `release()`."""
        self._released.clear()
        self.hanging.update(methods or {"*"})

    def release(self) -> None:
        """Hung calls are answered (as usual) and new ones are no longer held."""
        self.hanging.clear()
        self._released.set()

    def held(self, method: str) -> bool:
        return bool(self.hanging & {method, "*"})

    def heal(self) -> None:
        """Slack recovers: every injected failure is dropped (recorded calls and messages stay)."""
        with self._lock:
            self.failures.clear()
            self.fail_every.clear()
            self.accepted_failures.clear()

    def attempts(self, method: str) -> int:
        """How many calls of `method` arrived while `fail_one_in` was counting it."""
        with self._lock:
            return self._seen.get(method, 0)

    # -- queries -------------------------------------------------------------------------------
    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[Call]:
        return [c for c in self.of("chat.postMessage") if channel is None or c.channel == channel]

    def ephemerals(self, user: str | None = None) -> list[Call]:
        return [c for c in self.of("chat.postEphemeral") if user is None or c.params.get("user") == user]

    def everything_sent(self) -> str:
        with self._lock:
            return "\n".join(c.all_text() for c in self.calls)

    # -- answering -----------------------------------------------------------------------------
    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            queue = self.failures.get(method) or []
            if queue:
                failure = queue[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.pop(0)
                return self._failure(failure.status, failure.retry_after, failure.error)
            every = self.fail_every.get(method)
            if every:
                self._seen[method] = self._seen.get(method, 0) + 1
                count = self._seen[method]
                if count % (2 * every) == 0:
                    return self._failure(429, 1)
                if count % every == 0:
                    return self._failure(500, None)
            self.calls.append(Call(method, params))
            answer = self._ok(method, params)
            for rule in self.accepted_failures:
                if rule.method == method and rule.channel in (None, params.get("channel")) and rule.remaining > 0:
                    rule.remaining -= 1
                    return self._failure(500, None)
            return 200, answer, {}

    @staticmethod
    def _failure(
        status: int, retry_after: int | None, error: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        error = error or ("ratelimited" if status == 429 else "internal_error")
        return status, {"ok": False, "error": error}, headers

    def _ok(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": "T0TEAM", "user": "teambot"}
        if method in ("chat.postMessage", "chat.update"):
            channel = params.get("channel", "")
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            if method == "chat.postMessage":
                metadata = params.get("metadata")
                if isinstance(metadata, str):
                    metadata = json.loads(metadata)
                self.messages.setdefault(channel, []).append(
                    {
                        "ts": ts,
                        "text": params.get("text"),
                        "thread_ts": params.get("thread_ts"),
                        "metadata": metadata,
                        "bot_id": BOT_ID,
                    }
                )
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text")}}
        if method == "conversations.history":
            found = [m for m in self.messages.get(params.get("channel", ""), []) if not m["thread_ts"]]
            return {"ok": True, "messages": list(reversed(found)), "has_more": False}
        if method == "conversations.replies":
            thread = params.get("ts")
            found = [m for m in self.messages.get(params.get("channel", ""), []) if m["thread_ts"] == thread]
            return {"ok": True, "messages": found, "has_more": False}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {"ok": True, "permalink": f"https://acme.slack.com/archives/{params.get('channel')}/p{ts}"}
        if method == "users.info":
            user_id = params.get("user", "")
            if user_id in self.unknown_users:
                return {"ok": False, "error": "user_not_found"}
            user = {"id": user_id, "name": user_id.lower(), "is_admin": False, "is_owner": False, "is_bot": False}
            user.update(self.users.get(user_id, {}))
            return {"ok": True, "user": user}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
        if method in ("views.open", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V0VIEW"}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            self.files[file_id] = {"filename": params.get("filename"), "alt_txt": params.get("alt_txt")}
            host, port = self.server.server_address[:2]  # type: ignore[union-attr]
            return {"ok": True, "upload_url": f"http://{host}:{port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            for shared in files or []:
                self.files.setdefault(shared["id"], {}).update(
                    title=shared.get("title"), channel=params.get("channel_id")
                )
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files or []]}
        return {"ok": True}

    def uploaded(self, file_id: str) -> bytes:
        """The bytes uploaded for `file_id` (the upload step of files_upload_v2)."""
        return self.uploads[file_id]

    def shared_files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Files shared (upload completed) in `channel`, or anywhere: `id`, `filename`, `alt_txt`,
        `title`, `channel` and the uploaded `content`."""
        with self._lock:
            return [
                {**details, "id": file_id, "content": self.uploads.get(file_id)}
                for file_id, details in self.files.items()
                if "channel" in details and channel in (None, details["channel"])
            ]


def read_params(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    """A Web API request's parameters, JSON or form-encoded, as slack-sdk sends them."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode() if length else ""
    if "json" in (handler.headers.get("Content-Type") or ""):
        return json.loads(raw) if raw else {}
    return {k: v[0] for k, v in parse_qs(raw).items()}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def do_POST(self) -> None:
        if self.path.startswith("/upload/"):
            self._upload()
            return
        method = self.path.rsplit("/", 1)[-1]
        params = read_params(self)
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        delay = fake.delays.get(method)
        if delay:
            threading.Event().wait(delay)
        if fake.held(method):
            fake._released.wait(HANG_LIMIT_SECONDS)
        status, body, headers = fake._answer(method, params)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _upload(self) -> None:
        """The file upload step: raw bytes (or a multipart form) to the upload URL."""
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        with fake._lock:
            fake.uploads[self.path.rsplit("/", 1)[-1]] = data
        answer = f"OK - {len(data)}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up waiting (tests of slow Slack answers with a short timeout) leaves a
        # broken pipe when the answer comes; that is expected, not worth a traceback on stderr
        # (where it would land in whichever test is capturing output at that moment).
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start_fake_slack() -> FakeSlack:
    fake = FakeSlack()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.fake = fake  # type: ignore[attr-defined]
    fake.server = server
    threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True).start()
    return fake
