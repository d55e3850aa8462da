"""Scheduled jobs of the approval workflow (reminders)."""

JOBS: tuple = ()
