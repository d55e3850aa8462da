"""teambot as `pip install .` installs it: the package built from this checkout, run without it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.core.schema import HEAD

pytestmark = pytest.mark.slow  # builds the package

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` would install, unpacked as site-packages would hold it."""
    wheels = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("teambot-*.whl")
    site = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_package_holds_every_module_and_every_migration(installed):
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bot").rglob("*.py")}
    migrations = {f"bot/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "migrations").rglob("*.py")}
    shipped = {p.relative_to(installed).as_posix() for p in installed.rglob("*.py")}
    assert modules - shipped == set()
    assert migrations - shipped == set() and "bot/migrations/versions/__init__.py" in shipped
    assert (installed / "bot" / "migrations" / "script.py.mako").is_file()


def test_an_installed_teambot_creates_and_migrates_its_database_away_from_the_checkout(installed, tmp_path):
    database = tmp_path / "teambot.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMBOT_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(installed), DATABASE_URL=f"sqlite:///{database}")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    where = subprocess.run(
        [sys.executable, "-c", "import bot.core.schema as s; print(s.migrations_dir())"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed)  # not the checkout's scripts
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
