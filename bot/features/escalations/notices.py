"""Messages about escalations: the message in the escalations channel, kept up to date, and the
direct messages to the people told about one."""

from __future__ import annotations

from bot.core.config import TeamConfig
from bot.features.escalations.blocks import escalation_dm, escalation_message
from bot.features.escalations.models import Escalation
from bot.features.escalations.service import Action, Outcome, Tell, reported_by_a_person
from bot.features.guide import blocks as guide_blocks
from bot.features.guide import service as guide
from bot.outbox.queue import Outbox


def message_key(escalation_id: int) -> str:
    return f"escalation:{escalation_id}"


def announce(config: TeamConfig, outbox: Outbox, outcome: Outcome) -> None:
    """Everything people should hear about an action on an escalation."""
    if outcome.silent:
        return
    esc = outcome.escalation
    if outcome.action == Action.OPENED:
        text, blocks = _message(config, esc)
        outbox.post(config.channels.escalations, text, blocks, key=message_key(esc.id))
    elif outcome.action != Action.CLIMBED:
        _refresh(config, outbox, esc)
    for tell in outcome.tell:
        _send(outbox, esc, tell)
    if outcome.action == Action.CLIMBED:
        _refresh(config, outbox, esc)
    by = outcome.by
    if outcome.action == Action.ACKNOWLEDGED and outcome.previous_assignee not in (None, by):
        assert outcome.previous_assignee is not None
        outbox.dm(outcome.previous_assignee, f"<@{by}> acknowledged escalation #{esc.id} and took it over.")
    if outcome.action == Action.RESOLVED and esc.reporter != by and reported_by_a_person(esc):
        outbox.dm(esc.reporter, f"Escalation #{esc.id} you reported was resolved by <@{by}>.")


def _message(config: TeamConfig, esc: Escalation) -> tuple[str, list[dict[str, object]]]:
    """The channel message, with the style guide's section named after the team, if any."""
    section = guide.section_for_team(config, esc.team)
    return escalation_message(esc, guide_blocks.how_we_handle_this(section) if section else None)


def _refresh(config: TeamConfig, outbox: Outbox, esc: Escalation) -> None:
    text, blocks = _message(config, esc)
    outbox.update(message_key(esc.id), text, blocks)


def _send(outbox: Outbox, esc: Escalation, tell: Tell) -> None:
    text, blocks = escalation_dm(esc, tell.reason)
    for user in tell.users:
        dedupe = f"{tell.dedupe_prefix}:{user}" if tell.dedupe_prefix else None
        outbox.dm(user, text, blocks, dedupe=dedupe)
