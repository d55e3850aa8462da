"""Scheduled work of crisis mode: every `update_every_minutes` the crisis owner is asked for a
stakeholder update, and every tick any draft in the crisis's window that escaped being held is held.

Like the escalation and calendar timers: a pure selection over `now`, then the prompt claimed by a
key in the database in the same transaction as its message, so it is sent exactly once across
restarts and replicas (the scheduler ticks every few seconds)."""

from __future__ import annotations

from bot.core.db import transaction
from bot.features.crisis import notices as notify
from bot.features.crisis import service as crisis_service
from bot.outbox.queue import Outbox
from bot.scheduler.context import JobContext


def update_prompts(ctx: JobContext) -> None:
    with ctx.session_factory() as session:
        due = crisis_service.due_prompts(session, ctx.config, ctx.now)
    for prompt in due:
        with transaction(ctx.session_factory) as session:
            crisis = crisis_service.ongoing(session)
            if (
                crisis is None
                or crisis.id != prompt.crisis_id
                or not crisis_service.claim_prompt(session, prompt, ctx.now)
            ):
                continue  # ended since it was selected, or already sent elsewhere
            notify.prompt(Outbox(session, ctx.now), crisis, prompt)


def hold_stragglers(ctx: JobContext) -> None:
    with ctx.session_factory() as session:
        found = crisis_service.stragglers(session, ctx.config, ctx.now)
    if found is None:
        return
    crisis_id, draft_ids = found
    for draft_id in draft_ids:
        with transaction(ctx.session_factory) as session:
            held = crisis_service.hold_straggler(session, ctx.config, crisis_id, draft_id, ctx.now)
            if held is not None:
                notify.held_late(session, Outbox(session, ctx.now), crisis_id, held)


JOBS = (hold_stragglers, update_prompts)
