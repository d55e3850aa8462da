"""Where other features add to drafts without approvals knowing them: the publishing calendar
plans drafts, holds the chain role `client`, adds to the status message and to the export.

The composition root installs extensions (`bot.app`); approvals calls every installed one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.features.approvals.models import Draft
    from bot.slack.context import Req


@dataclass(frozen=True)
class HeldPerDraft:
    """Where the holders of a chain role held per draft (not by a team role) are kept: the columns
    of one table with a row per draft and person, read by the waiting list's query."""

    draft_id: Any  # a mapped column
    user_id: Any


class DraftExtension(Protocol):
    def on_new_draft(self, req: Req, draft: Draft) -> None:
        """A draft was just recorded; its status message is posted right after this."""

    def on_edited_draft(self, req: Req, draft: Draft) -> None:
        """A draft's text or files changed."""

    def holders(self, session: Session, draft: Draft, role: str) -> list[str] | None:
        """Who holds `role` for this draft, for a role outside the team's roles (else None)."""

    def held_per_draft(self) -> dict[str, HeldPerDraft]:
        """The roles `holders` answers for, by name, with where their holders are kept."""

    def status_blocks(self, session: Session, draft: Draft) -> list[dict[str, Any]]:
        """Blocks added to the draft's status message."""

    def export_fields(self, session: Session, draft_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Fields added to each exported draft, by draft id."""


installed: list[DraftExtension] = []


def install(*extensions: DraftExtension) -> None:
    for extension in extensions:
        if extension not in installed:
            installed.append(extension)
