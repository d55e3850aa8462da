"""The package list: `bot` and its sub-packages, found, plus the Alembic scripts of migrations/
shipped as `bot.migrations` (see pyproject.toml's package-dir), which discovery alone leaves out."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["bot*"]), "bot.migrations", "bot.migrations.versions"])
