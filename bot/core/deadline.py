"""Bounds on waiting for PostgreSQL on behalf of a Slack request, which must be answered within
3 seconds. A server that stops answering (a network partition, a frozen host) would otherwise
hold the request thread until TCP gives up, minutes later.

A thread declares its bound with `within(seconds)`: while it waits on the server (a statement,
a commit or rollback, the check of a pooled connection) for longer than that, a watchdog thread
shuts the connection's socket down, and the wait fails at once with a connection error (the pool
then replaces that connection). Time the thread spends between statements (its own work, a call
to Slack, a busy CPU) does not count. Threads without a bound (the outbox sender, scheduled jobs,
the command line) are not watched: they wait for the server, bounded by TCP keepalives (see
`make_engine`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_local = threading.local()


def bound() -> float | None:
    """How long this thread may wait on the server at a time; None without a bound."""
    return getattr(_local, "bound", None)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """In this block, no single wait on the database may last longer than `seconds`."""
    previous = bound()
    _local.bound = seconds if previous is None else min(previous, seconds)
    try:
        yield
    finally:
        _local.bound = previous


class Watchdog:
    """Ends the connections that have been waited on for longer than their thread's bound. One
    per engine; its thread starts with the first watched wait."""

    def __init__(self) -> None:
        self._waits: dict[int, tuple[Any, float]] = {}
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self.cut: set[int] = set()  # ids of connections ended by the watchdog, until released

    def waiting(self, dbapi_connection: Any) -> None:
        """The calling thread starts waiting on this connection."""
        seconds = bound()
        if seconds is None:
            return
        with self._lock:
            self._waits[id(dbapi_connection)] = (dbapi_connection, time.monotonic() + seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="teambot-db-watchdog", daemon=True)
                self._thread.start()
            self._lock.notify()

    def done(self, dbapi_connection: Any) -> bool:
        """The wait is over; True if the watchdog had ended the connection."""
        with self._lock:
            self._waits.pop(id(dbapi_connection), None)
            was_cut = id(dbapi_connection) in self.cut
            self.cut.discard(id(dbapi_connection))
            return was_cut

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                for key, (connection, deadline) in list(self._waits.items()):
                    if deadline <= now:
                        del self._waits[key]
                        self.cut.add(key)
                        _shut_down(connection)
                soonest = min((deadline for _c, deadline in self._waits.values()), default=None)
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
