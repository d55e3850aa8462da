"""Deadlines for PostgreSQL work done on behalf of a Slack request, which must be answered within
3 seconds. A server that stops answering (a network partition, a frozen host) would otherwise
hold the request thread until TCP gives up, minutes later.

A thread sets its deadline with `within(seconds)`. While it holds a pooled connection past the
deadline, a watchdog thread shuts the connection's socket down: the statement in progress fails
at once with a connection error (the pool then replaces that connection). A new connection is
only opened when the connect timeout still fits before the deadline. Threads without a deadline
(the outbox sender, scheduled jobs, the command line) are not watched: they wait for the server,
bounded by TCP keepalives (see `make_engine`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_local = threading.local()


def remaining() -> float | None:
    """Seconds left before this thread's deadline; None without one."""
    deadline = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def within(seconds: float, *, start: float | None = None) -> Iterator[None]:
    """Database work in this block must end `seconds` after `start` (default: now)."""
    previous = getattr(_local, "deadline", None)
    deadline = (time.monotonic() if start is None else start) + seconds
    _local.deadline = deadline if previous is None else min(previous, deadline)
    try:
        yield
    finally:
        _local.deadline = previous


class Watchdog:
    """Knows which thread holds which connection; ends the connections of threads whose deadline
    passed. One per engine; its thread starts with the first watched connection."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[Any, threading.Thread, float]] = {}
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def checked_out(self, dbapi_connection: Any) -> None:
        deadline = getattr(_local, "deadline", None)
        if deadline is None:
            return
        with self._lock:
            self._held[id(dbapi_connection)] = (dbapi_connection, threading.current_thread(), deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="teambot-db-watchdog", daemon=True)
                self._thread.start()
            self._lock.notify()

    def released(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._held.pop(id(dbapi_connection), None)

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                for key, (connection, _thread, deadline) in list(self._held.items()):
                    if deadline <= now:
                        del self._held[key]
                        _shut_down(connection)
                soonest = min((deadline for _c, _t, deadline in self._held.values()), default=None)
                self._lock.wait(None if soonest is None else max(soonest - now, 0.005))


def _shut_down(dbapi_connection: Any) -> None:
    """End the connection's TCP stream under the thread waiting on it: its wait returns, and the
    driver reports the connection lost. The descriptor stays the driver's to close."""
    try:
        if dbapi_connection.closed:
            return
        fd = dbapi_connection.pgconn.socket
    except Exception:  # already closed or never connected: nothing to end
        return
    sock = socket.socket(fileno=fd)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.detach()
