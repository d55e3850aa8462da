"""What a command prints: to standard output, or with `--output FILE` to that file."""

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
