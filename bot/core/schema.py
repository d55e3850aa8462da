"""The migration scripts: where they are, and the newest revision this code needs. Every command
that opens the database asks whether there is anything to migrate; Alembic (`bot.core.migrate`,
a third of a second to import) is needed only when there is."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# The newest migration this code needs: the one head of migrations/versions. A test checks it
# against Alembic's own reading of the scripts, so a new migration cannot be forgotten here.
HEAD = "0021"


def migrations_dir() -> Path:
    """Alembic scripts: `migrations/` beside the package in a checkout, else the installed copy."""
    source_tree = Path(__file__).resolve().parents[2] / "migrations"
    if (source_tree / "env.py").is_file():
        return source_tree
    return Path(str(resources.files("bot.migrations")))


def heads() -> set[str]:
    """The revisions a database must be at for this code (what Alembic's ScriptDirectory calls
    the heads of the scripts)."""
    return {HEAD}
