"""The migration scripts: where they are, and their newest revisions read from the scripts' text.
Every command that opens the database asks whether there is anything to migrate; Alembic
(`bot.core.migrate`, a third of a second to import) is needed only when there is."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

# `revision = "0018"`, `down_revision = "0017"` (or None, or a tuple where branches merge).
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def migrations_dir() -> Path:
    """Alembic scripts: `migrations/` beside the package in a checkout, else the installed copy."""
    source_tree = Path(__file__).resolve().parents[2] / "migrations"
    if (source_tree / "env.py").is_file():
        return source_tree
    return Path(str(resources.files("bot.migrations")))


def heads(versions: Path | None = None) -> set[str]:
    """The revisions no script revises (in `versions`, default the scripts teambot migrates with):
    what Alembic's ScriptDirectory calls the heads."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in sorted((versions or migrations_dir() / "versions").glob("*.py")):
        found = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        down = ast.literal_eval(found.get("down_revision", "None"))
        revised.update([down] if isinstance(down, str) else down or ())
    return revisions - revised
