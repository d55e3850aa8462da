"""Scheduled jobs of this feature (none yet)."""

JOBS: tuple = ()
