"""Where other features add to the calendar without the calendar knowing them: crisis mode holds
what is planned into its window and puts its banner on the week's view.

The composition root installs extensions (`bot.app`); the calendar calls every installed one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.config import TeamConfig
    from bot.features.calendar.service import PlanOutcome
    from bot.outbox.queue import Outbox


class CalendarExtension(Protocol):
    def on_planned(
        self, session: Session, outbox: Outbox, config: TeamConfig, outcome: PlanOutcome, *, new_draft: bool
    ) -> None:
        """A draft was just planned or re-planned (its plan notices are queued already)."""

    def banner(self, session: Session) -> list[dict[str, Any]]:
        """Blocks shown above the week's view."""


installed: list[CalendarExtension] = []


def install(*extensions: CalendarExtension) -> None:
    for extension in extensions:
        if extension not in installed:
            installed.append(extension)
