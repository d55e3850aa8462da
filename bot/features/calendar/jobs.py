"""Scheduled work of the publishing calendar."""

from __future__ import annotations

JOBS: tuple = ()
