"""Scheduled work of the approval workflow: remind the approvers of drafts that wait too long."""

from __future__ import annotations

from datetime import timedelta

from bot.core.db import transaction
from bot.features.approvals import blocks as ui
from bot.features.approvals import service as approvals
from bot.outbox.queue import Outbox
from bot.scheduler.context import JobContext


def remind_waiting_drafts(ctx: JobContext) -> None:
    """Each step of a draft that waits longer than `remind_after_minutes` is reminded once, in the
    draft's thread (mentioning who may act). Each draft is claimed by a conditional update before
    it is reminded, and the outbox key makes a second replica or a retried tick a no-op."""
    after = timedelta(minutes=ctx.config.approval.remind_after_minutes)
    with transaction(ctx.session_factory) as session:
        outbox = Outbox(session, ctx.now)
        for draft, approvers in approvals.due_reminders(session, ctx.now, after):
            if not approvals.claim_reminder(session, draft, ctx.now):
                continue
            key = f"draft:{draft.id}:reminder:{draft.current_step}:{int(draft.step_started_at.timestamp())}"
            text = ui.reminder(draft, draft.chain_roles()[draft.current_step], approvers, draft.step_started_at)
            if outbox.post(draft.channel, text, thread_ts=draft.ts, dedupe=key):
                approvals.log_reminder(session, draft, ctx.now)


JOBS = (remind_waiting_drafts,)
