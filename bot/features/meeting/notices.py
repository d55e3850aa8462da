"""The planning meeting's messages: the asks by DM and the agenda in its channel, each keyed in
the outbox so that nothing is sent twice."""

from __future__ import annotations

from bot.core.config import TeamConfig
from bot.features.approvals.blocks import when
from bot.features.meeting import blocks
from bot.features.meeting.service import Agenda, Ask
from bot.outbox.queue import Outbox


def _key(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def send_ask(outbox: Outbox, ask: Ask) -> None:
    text, body = blocks.ask(when(ask.meeting.starts_at), ask.meeting.id)
    for person in ask.people:
        outbox.dm(person, text, body, dedupe=f"{_key(ask.meeting.id)}:ask:{person}")


def post_agenda(outbox: Outbox, config: TeamConfig, agenda: Agenda) -> None:
    text, body = blocks.agenda(agenda, config.tz)
    channel = config.meeting.channel or config.channels.drafts
    key = f"{_key(agenda.meeting.id)}:agenda"
    outbox.post(channel, text, body, key=key, dedupe=key)
