"""Listeners for escalations (not built yet)."""

from slack_bolt import App


def register(app: App) -> None:
    """Nothing to register yet."""


def on_reaction(req: object, event: dict, added: bool) -> None:
    """Reactions are not handled by this feature yet."""
