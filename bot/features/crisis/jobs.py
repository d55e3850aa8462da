"""Scheduled work of crisis mode: every `update_every_minutes` the crisis owner is asked for a
stakeholder update.

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


JOBS = (update_prompts,)
