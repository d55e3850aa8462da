"""Drafts and approvals (being built)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App


def register(app: App) -> None:
    """Nothing yet."""


def on_reaction(req: Any, event: dict[str, Any], added: bool) -> None:
    """Nothing yet."""


def on_message(req: Any, event: dict[str, Any]) -> None:
    """Nothing yet."""
