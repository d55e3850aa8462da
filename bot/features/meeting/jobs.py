"""Scheduled work of the planning meeting: ask for updates, then post the agenda, each once."""

from __future__ import annotations

from datetime import timedelta

from bot.core.db import transaction
from bot.features.meeting import notices
from bot.features.meeting import service as meeting
from bot.outbox.queue import Outbox
from bot.scheduler import leader
from bot.scheduler.context import JobContext


def ask_for_updates(ctx: JobContext) -> None:
    grace = timedelta(minutes=ctx.config.scheduler.misfire_grace_minutes)
    with transaction(ctx.session_factory) as session:
        since = leader.due_since(session, "meeting_asks", ctx.now, grace)
        outbox = Outbox(session, ctx.now)
        for ask in meeting.due_asks(session, ctx.config, ctx.now, since):
            notices.send_ask(outbox, ask)
        leader.caught_up(session, "meeting_asks", ctx.now)


def post_agendas(ctx: JobContext) -> None:
    grace = timedelta(minutes=ctx.config.scheduler.misfire_grace_minutes)
    with transaction(ctx.session_factory) as session:
        since = leader.due_since(session, "meeting_agendas", ctx.now, grace)
        outbox = Outbox(session, ctx.now)
        for agenda in meeting.due_agendas(session, ctx.config, ctx.now, since):
            notices.post_agenda(outbox, ctx.config, agenda)
        leader.caught_up(session, "meeting_agendas", ctx.now)


JOBS = (ask_for_updates, post_agendas)
