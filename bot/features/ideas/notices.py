"""Messages about ideas: the idea's post in the ideas channel (kept up to date with its votes and
decision), the submitter's confirmation and the decision told to whoever had the idea."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.core.text import parse_id
from bot.features.ideas import blocks as ui
from bot.features.ideas.models import Idea
from bot.features.ideas.service import Decided, Submitted, Voted
from bot.outbox import history
from bot.outbox.queue import Outbox

MESSAGE_KEY = "idea:{}"


def message_key(idea_id: int) -> str:
    return MESSAGE_KEY.format(idea_id)


def idea_of_message(session: Session, channel: str, ts: str) -> Idea | None:
    """The idea whose post in the ideas channel is the message (channel, ts)."""
    for key in history.keys_of_message(session, channel, ts, MESSAGE_KEY.format("%")):
        idea_id = parse_id(key.removeprefix("idea:"))
        if idea_id is not None:
            return session.get(Idea, idea_id)
    return None


def post(outbox: Outbox, config: TeamConfig, submitted: Submitted) -> None:
    """A new idea's post in the ideas channel (once per idea; a repeat submission posts nothing)."""
    if not submitted.new:
        return
    idea = submitted.idea
    fallback, blocks = ui.idea_message(idea, votes=0, vote_emoji=config.ideas.vote_emoji)
    outbox.post(config.channels.ideas, fallback, blocks, key=message_key(idea.id), dedupe=f"idea:{idea.id}:post")


def confirm_by_dm(outbox: Outbox, user: str, submitted: Submitted) -> None:
    outbox.dm(user, ui.submitted_notice(submitted.idea, submitted.new))


def confirm_in_channel(outbox: Outbox, channel: str, user: str, submitted: Submitted) -> None:
    outbox.ephemeral(channel, user, ui.submitted_notice(submitted.idea, submitted.new))


def voted(outbox: Outbox, config: TeamConfig, outcome: Voted) -> None:
    if outcome.changed:
        _refresh(outbox, config, outcome.idea, outcome.votes)


def decided(outbox: Outbox, config: TeamConfig, outcome: Decided) -> None:
    """The idea's post shows the decision; the people it concerns are told once."""
    idea = outcome.idea
    _refresh(outbox, config, idea, outcome.votes)
    text = ui.decision_notice(idea)
    for user in outcome.tell:
        outbox.dm(user, text, dedupe=f"idea:{idea.id}:{idea.status}:tell:{user}")


def _refresh(outbox: Outbox, config: TeamConfig, idea: Idea, votes: int) -> None:
    fallback, blocks = ui.idea_message(idea, votes, config.ideas.vote_emoji)
    outbox.update(message_key(idea.id), fallback, blocks)
