"""Messages about handoffs: the message in the team's channel and the one to the incoming person
(both updated when it is acknowledged), reminders and reports."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.escalations import notices as escalation_notices
from bot.features.handoffs import service as handoffs
from bot.features.handoffs.blocks import handoff_message
from bot.features.handoffs.models import Handoff
from bot.features.handoffs.service import Action, Outcome, Reminder
from bot.outbox.queue import Outbox


def message_key(handoff_id: int) -> str:
    return f"handoff:{handoff_id}"


def dm_key(handoff_id: int) -> str:
    return f"handoff:{handoff_id}:dm"


def team_channel(config: TeamConfig, team: str) -> str:
    return config.team(team).channel or config.channels.escalations


def announce(session: Session, config: TeamConfig, outbox: Outbox, outcome: Outcome) -> None:
    """Everything people should hear about a handoff written or acknowledged."""
    handoff = outcome.handoff
    for reassigned in outcome.reassigned:
        escalation_notices.announce(config, outbox, reassigned)
    _messages(session, config, outbox, handoff, first=outcome.action == Action.WRITTEN)
    if outcome.covered_for is not None:
        outbox.dm(
            outcome.covered_for,
            f"<@{outcome.by}> handed your {handoff.team} shift over to <@{handoff.to_user}> (handoff #{handoff.id}).",
        )


def _messages(session: Session, config: TeamConfig, outbox: Outbox, handoff: Handoff, *, first: bool) -> None:
    carried = handoffs.contents(session, handoff)
    channel_text, channel_blocks = handoff_message(handoff, carried, with_button=False, tz=config.tz)
    dm_text, dm_blocks = handoff_message(handoff, carried, with_button=True, tz=config.tz)
    if first:
        channel = team_channel(config, handoff.team)
        outbox.post(
            channel, channel_text, channel_blocks, key=message_key(handoff.id), dedupe=f"handoff:{handoff.id}:post"
        )
        outbox.post(handoff.to_user, dm_text, dm_blocks, key=dm_key(handoff.id), dedupe=f"handoff:{handoff.id}:dm")
    else:
        outbox.update(message_key(handoff.id), channel_text, channel_blocks)
        outbox.update(dm_key(handoff.id), dm_text, dm_blocks)


def remind(outbox: Outbox, reminder: Reminder) -> None:
    handoff = reminder.handoff
    if reminder.report_to is None:
        outbox.dm(
            handoff.to_user,
            f"Reminder: please acknowledge handoff #{handoff.id} for {handoff.team} from "
            f"{'<@' + handoff.from_user + '>' if handoff.from_user else 'the previous shift'}.",
            dedupe=f"handoff:{handoff.id}:remind",
        )
        return
    for person in reminder.report_to:
        outbox.dm(
            person,
            f"Handoff #{handoff.id} for {handoff.team} to <@{handoff.to_user}> is still not acknowledged "
            f"after a reminder.",
            dedupe=f"handoff:{handoff.id}:report:{person}",
        )
