"""What people hear about crisis mode: the crisis's message and thread in the escalations channel,
the notices in held drafts' threads, and the direct messages to the strategists, the leaders, the
publishers of held posts and the final approvers of released ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.approvals import notices as draft_notices
from bot.features.calendar.service import PlanOutcome
from bot.features.crisis import blocks as ui
from bot.features.crisis import service as crisis_service
from bot.features.crisis.models import Crisis, CrisisUpdate
from bot.features.crisis.service import DuePrompt, EndOutcome, Held, StartOutcome
from bot.features.roles import service as roles
from bot.outbox.queue import Outbox


def message_key(crisis_id: int) -> str:
    return f"crisis:{crisis_id}"


def started(session: Session, outbox: Outbox, config: TeamConfig, outcome: StartOutcome) -> None:
    crisis = outcome.crisis
    text, blocks = ui.started_post(crisis, outcome.held, config.crisis.hold_hours)
    outbox.post(config.channels.escalations, text, blocks, key=message_key(crisis.id))
    told = dict.fromkeys([*roles.holders(session, "strategist"), *config.digest.leaders])
    for person in told:
        if person != crisis.started_by:
            outbox.dm(person, ui.started_dm(crisis, outcome.held), dedupe=f"crisis:{crisis.id}:started:{person}")
    _held(session, outbox, crisis, outcome.held, new_draft=False)


def _held(session: Session, outbox: Outbox, crisis: Crisis, held: list[Held], *, new_draft: bool) -> None:
    """Each held draft's thread hears it, and each publisher is told which of their posts wait."""
    by_publisher: dict[str, list[Held]] = {}
    for item in held:
        draft = item.draft
        if not new_draft:  # a new draft's status message is posted after this, already on hold
            draft_notices.refresh_status(session, outbox, draft)
        outbox.post(draft.channel, ui.held_notice(crisis), thread_ts=draft.ts)
        for person in item.publishers:
            by_publisher.setdefault(person, []).append(item)
    for person, items in by_publisher.items():
        outbox.dm(person, ui.publisher_dm(crisis, items))


def held_late(session: Session, outbox: Outbox, crisis_id: int, held: Held) -> None:
    """A draft the scheduler's sweep held: told like those held when the crisis started."""
    crisis = session.get(Crisis, crisis_id)
    assert crisis is not None
    _held(session, outbox, crisis, [held], new_draft=False)


def held_again(outbox: Outbox, crisis: Crisis, held: Held) -> None:
    """A held draft edited while the crisis lasts is held again (its status message is refreshed
    by the edit's own notice)."""
    outbox.post(held.draft.channel, ui.held_notice(crisis), thread_ts=held.draft.ts)


def updated(outbox: Outbox, config: TeamConfig, crisis: Crisis, update: CrisisUpdate) -> None:
    text, blocks = ui.update_post(crisis, update)
    outbox.post(config.channels.escalations, text, blocks, thread_key=message_key(crisis.id))
    for leader in config.digest.leaders:
        outbox.dm(leader, ui.update_dm(crisis, update))


def prompt(outbox: Outbox, crisis: Crisis, due: DuePrompt) -> None:
    text, blocks = ui.prompt_dm(crisis, due.number, outbox.now - crisis.started_at)
    outbox.dm(due.owner, text, blocks, dedupe=f"crisis:{crisis.id}:prompt:{due.number}")


def ended(session: Session, outbox: Outbox, config: TeamConfig, outcome: EndOutcome) -> None:
    crisis = outcome.crisis
    for item in outcome.released:
        draft = item.draft
        draft_notices.refresh_status(session, outbox, draft)
        notice = ui.released_notice(crisis, draft, item.approvers)
        outbox.post(draft.channel, notice, thread_ts=draft.ts)
        for person in item.approvers:
            outbox.dm(person, notice)
    header, header_blocks = ui.ended_header(crisis)
    outbox.update(message_key(crisis.id), header, header_blocks, channel=config.channels.escalations)
    text, blocks = ui.summary_post(outcome)
    outbox.post(config.channels.escalations, text, blocks)
    summary = ui.summary_dm(outcome)
    for leader in config.digest.leaders:
        outbox.dm(leader, summary, dedupe=f"crisis:{crisis.id}:summary:{leader}")


class CrisisCalendar:
    """How crisis mode extends the calendar (installed by the composition root): a draft planned
    into the crisis's window while it lasts is held, and the week's view carries the banner."""

    def on_planned(
        self, session: Session, outbox: Outbox, config: TeamConfig, outcome: PlanOutcome, *, new_draft: bool
    ) -> None:
        held = crisis_service.hold_if_due(
            session, config, outcome.draft, by=outcome.by, now=outbox.now, via=outcome.via
        )
        if held is not None:
            crisis = crisis_service.ongoing(session)
            assert crisis is not None
            _held(session, outbox, crisis, [held], new_draft=new_draft)

    def banner(self, session: Session) -> list[dict[str, Any]]:
        crisis = crisis_service.ongoing(session)
        return ui.banner(crisis) if crisis is not None else []
