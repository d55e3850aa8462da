"""What a command prints: to standard output, or with `--output FILE` to that file; and how a
command that posted something says what Slack did with it."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.errors import ConfigError


def write(text: str, output: Path | None) -> None:
    """`text` ending in one newline, to `output` or standard output; a file that cannot be written
    is a ConfigError naming it."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--output: cannot write {output} ({exc.strerror or exc})") from None


def said_delivery(posted: str, *, refused: list[str], sent: int, waiting: int, done: str = "") -> int:
    """The last line of a command that posted `posted` ("the digest for 2026-05 in C0STAFF"): what
    Slack refused (exit 1), else what still waits for Slack (exit 0), else that it went out."""
    if refused:
        print(f"teambot: posted {posted}, but Slack refused: {', '.join(refused)}", file=sys.stderr)
        return 1
    if waiting:
        print(
            f"queued {posted}: {sent} message(s) sent, {waiting} waiting for Slack (rate limit or outage); "
            "`teambot run` or `teambot scheduler` sends them"
        )
        return 0
    print(f"posted {posted}{done} ({sent} message(s) sent)")
    return 0
