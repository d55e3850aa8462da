"""Listeners for shifts (not built yet)."""

from slack_bolt import App


def register(app: App) -> None:
    """Nothing to register yet."""
