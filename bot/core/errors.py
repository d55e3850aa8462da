"""Typed domain errors. Services raise them; the app's single error handler turns them into an
ephemeral message for the person who acted. Messages may quote what the person typed (in Slack's
escaped form); `render` makes the whole message safe to show."""

from __future__ import annotations

from bot.core.text import for_display


class DomainError(Exception):
    """Something the user asked for cannot be done; `message` says why, `example` shows a correct use."""

    def __init__(self, message: str, example: str | None = None):
        super().__init__(message)
        self.message = message
        self.example = example

    def render(self) -> str:
        message = for_display(self.message)
        if self.example:
            return f"{message}\nExample: `{self.example}`"
        return message


class BadInput(DomainError):
    """Malformed, missing or unknown arguments."""


class InvalidFields(BadInput):
    """Fields of a form that are wrong, each with its own message (shown beside the field)."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(" ".join(fields.values()))
        self.fields = fields


class NotFound(DomainError):
    """An id, draft, team, role or user that does not exist."""


class NotAllowed(DomainError):
    """The person lacks the role or right to do this."""


class Conflict(DomainError):
    """The thing is in a state that does not allow this (already resolved, already approved, ...)."""


class ConfigError(Exception):
    """A missing or invalid setting; str() is the one line shown to the operator."""
