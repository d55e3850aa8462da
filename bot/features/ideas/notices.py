"""Messages about ideas: the idea's post in the ideas channel (kept up to date with its votes,
decision and owner), the submitter's confirmation, the decision and the owner told to whoever had
the idea, the owner's own message, and the idea shown on the status message of a draft linked to it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.core.text import parse_id
from bot.features.ideas import blocks as ui
from bot.features.ideas import service as ideas
from bot.features.ideas.models import Idea
from bot.features.ideas.service import Assigned, Decided, Submitted, Voted
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


def assigned(outbox: Outbox, config: TeamConfig, outcome: Assigned) -> list[str]:
    """The idea's post shows its owner; the owner (unless they assigned it to themselves), the owner
    it had before and whoever had or submitted it are told. Returns who was told."""
    if not outcome.changed:
        return []
    idea = outcome.idea
    assert idea.owner is not None
    _refresh(outbox, config, idea, outcome.votes)
    told: list[str] = []
    if idea.owner != idea.assigned_by:
        outbox.dm(idea.owner, ui.owner_notice(idea))
        told.append(idea.owner)
    previous = outcome.previous_owner
    if previous and previous not in (idea.owner, idea.assigned_by):
        outbox.dm(previous, ui.handed_over_notice(idea))
        told.append(previous)
    for user in outcome.tell:
        if user not in told:
            outbox.dm(user, ui.assigned_notice(idea))
            told.append(user)
    return told


def draft_status_blocks(session: Session, draft_id: int) -> list[dict[str, object]]:
    """What a draft's status message shows of the idea it carries out (nothing when it names none)."""
    idea = ideas.idea_of_draft(session, draft_id)
    return [ui.linked_draft_block(idea)] if idea is not None else []


def _refresh(outbox: Outbox, config: TeamConfig, idea: Idea, votes: int) -> None:
    fallback, blocks = ui.idea_message(idea, votes, config.ideas.vote_emoji)
    outbox.update(message_key(idea.id), fallback, blocks)
