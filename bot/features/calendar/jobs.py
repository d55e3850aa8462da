"""Scheduled work of the publishing calendar: approval-deadline reminders, expiry, the prompt to
publish, its reminder and the report to coordinators, and the weekly post.

Like the escalation timers: a pure selection over `now`, then each timer claimed by a key in the
database in the same transaction as its messages, so it fires exactly once across restarts and
replicas (the scheduler ticks every few seconds)."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.calendar import latest_due
from bot.core.db import transaction
from bot.features.approvals import service as approvals
from bot.features.approvals.notices import refresh_status
from bot.features.calendar import blocks as ui
from bot.features.calendar import notices as notify
from bot.features.calendar import service as calendar
from bot.features.calendar.service import DueTimer
from bot.features.roles import service as roles
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)


def calendar_timers(ctx: JobContext) -> None:
    with ctx.session_factory() as session:
        due = calendar.due_timers(session, ctx.config, ctx.now)
    for timer in due:
        # One transaction per timer: one failing cannot hold the others back.
        with transaction(ctx.session_factory) as session:
            draft = approvals.lock(session, timer.draft_id)
            plan = calendar.plan_of(session, draft.id)
            if plan is None or plan.slot != timer.slot or not calendar.claim_timer(session, timer, ctx.now):
                continue  # re-planned since it was selected, or already done elsewhere
            _fire(session, Outbox(session, ctx.now), ctx, timer, draft, plan)


def _fire(session, outbox: Outbox, ctx: JobContext, timer: DueTimer, draft, plan) -> None:  # type: ignore[no-untyped-def]
    link = notify.link(draft)
    if timer.kind.startswith("remind:") and draft.status in calendar.AWAITING_APPROVAL:
        approvers = approvals.step_approvers(session, draft)
        role = draft.chain_roles()[draft.current_step]
        outbox.post(draft.channel, ui.deadline_reminder(draft, role, approvers, timer.slot, link), thread_ts=draft.ts)
    elif timer.kind == "expire" and calendar.expire(session, draft, ctx.now):
        approvers = approvals.step_approvers(session, draft)
        text = ui.expired_notice(draft, approvers, link)
        refresh_status(session, outbox, draft)
        outbox.post(draft.channel, text, thread_ts=draft.ts)
        for person in dict.fromkeys([draft.author, *approvers]):
            outbox.dm(person, text)
    elif draft.status == "approved" and (missing := calendar.missing_accounts(session, draft)):
        # Only the accounts it has not gone out on yet: their publishers, not those of an account
        # already marked published.
        publishers = calendar.publishers_of_plan(session, ctx.config, plan, timer.slot, missing)
        if timer.kind == "publish":
            text, blocks = ui.publish_prompt(draft, missing, link)
            for person in publishers:
                outbox.dm(person, text, blocks)
            outbox.post(draft.channel, ui.publishing_notice(link, publishers), thread_ts=draft.ts)
        elif timer.kind == "publish_remind":
            text, blocks = ui.publish_reminder(draft, link, missing)
            for person in publishers:
                outbox.dm(person, text, blocks)
        elif timer.kind == "publish_report":
            text = ui.coordinators_report(link, missing, publishers, timer.slot)
            for person in roles.holders(session, "coordinator"):
                outbox.dm(person, text)
    log.info("calendar timer %s fired for draft #%s", timer.kind, draft.id)


def weekly_post(ctx: JobContext) -> None:
    """The week ahead in the drafts channel at `week_cron`, naming the days an account has no post."""
    if not ctx.config.accounts:
        return
    grace = timedelta(minutes=ctx.config.scheduler.misfire_grace_minutes)
    with transaction(ctx.session_factory) as session:
        # Like the checklists: at most the grace late, and nothing that fell due before the
        # scheduler's very first start on this database.
        since = leader.due_since(session, "calendar_week", ctx.now, grace)
        due = latest_due(ctx.config.calendar.week_cron, ctx.config.tz, ctx.now, since)
        leader.caught_up(session, "calendar_week", ctx.now)
        if due is None or not calendar.week_posted(session, due.key, ctx.now):
            return
        today = due.at.astimezone(ctx.config.tz).date()
        monday = calendar.week_start(today)
        if today.weekday() >= 4:
            monday += timedelta(days=7)  # late in the week, "the week ahead" is the next one
        view = calendar.week(session, ctx.config, monday)
        text, blocks = ui.week_view(view, ctx.config.tz, title=f"*The week ahead: {monday.isoformat()}*")
        blocks.insert(-1, ui.section(ui.gaps_text(calendar.gaps(ctx.config, view))))
        blocks[:0] = notify.banner(session)
        Outbox(session, ctx.now).post(ctx.config.channels.drafts, text, blocks)


JOBS = (calendar_timers, weekly_post)
