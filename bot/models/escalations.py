"""Escalations, shifts and handoffs (see the escalations issue)."""
