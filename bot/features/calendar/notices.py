"""What people hear about the calendar: notices in a draft's thread, direct messages, and the
status message refreshed with the plan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.approvals import notices as draft_notices
from bot.features.approvals.models import Draft
from bot.features.calendar import blocks as ui
from bot.features.calendar import extensions
from bot.features.calendar import service as calendar
from bot.features.calendar.service import PlanOutcome, PublishOutcome
from bot.outbox.queue import Outbox


def link(draft: Draft) -> str:
    return f"<{ui.permalink(draft.channel, draft.ts)}|draft #{draft.id}>"


def planned(
    session: Session, outbox: Outbox, config: TeamConfig, outcome: PlanOutcome, *, new_draft: bool = False
) -> None:
    """A plan made or changed: the thread hears it (a new draft's status message shows it), and
    collisions are warned in the thread and to the person who planned."""
    draft = outcome.draft
    if not new_draft:
        draft_notices.refresh_status(session, outbox, draft)
        text = ui.planned_notice(
            draft, outcome.plan, outcome.by, outcome.replanned, outcome.chain_restarted, outcome.revived
        )
        outbox.post(draft.channel, text, thread_ts=draft.ts)
    if outcome.collisions:
        warning = ui.collision_notice(draft, outcome.collisions, config.tz)
        outbox.post(draft.channel, warning, thread_ts=draft.ts)
        outbox.ephemeral(draft.channel, outcome.by, warning, thread_ts=draft.ts)
    for extension in extensions.installed:
        extension.on_planned(session, outbox, config, outcome, new_draft=new_draft)


def banner(session: Session) -> list[dict[str, object]]:
    """What installed extensions show above the week (crisis mode's banner)."""
    return [block for extension in extensions.installed for block in extension.banner(session)]


def published(session: Session, outbox: Outbox, outcome: PublishOutcome) -> None:
    if not outcome.marked:
        return
    draft = outcome.draft
    draft_notices.refresh_status(session, outbox, draft)
    outbox.post(draft.channel, ui.published_notice(draft, outcome.marked, outcome.published), thread_ts=draft.ts)


def status_blocks(session: Session, draft: Draft) -> list[dict[str, object]]:
    return ui.status_blocks(draft, calendar.plan_of(session, draft.id), calendar.publications_of(session, draft.id))
