"""Block Kit for content ideas."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.core.text import for_display, quoted, truncate
from bot.features.ideas.models import IdeaStatus
from bot.features.ideas.service import full_text
from bot.slack.blocks import Block, actions, button, context, help_text, list_sections, modal, plain_input, section
from bot.slack.ids import ActionId, ViewId

if TYPE_CHECKING:
    from bot.features.ideas.models import Idea

IDEA_HELP = help_text(
    "/idea",
    "submit a content idea for the content managers (or react to any message with the idea emoji, or use the "
    "*Submit as idea* message shortcut). Ideas are posted in the ideas channel, where the vote emoji counts as "
    "a vote. Content managers accept or decline them, and give an accepted idea its owner with `assign` "
    "(optionally the account and the day it should be ready: 2026-12-14, today, tomorrow or fri). A draft "
    "that says `idea #12` is linked to that idea, and the monthly digest credits the idea with the post.",
    [
        "/idea A behind-the-scenes video of the support team",
        "/idea   ← on its own, opens a form: title, details, network, link",
        "/idea list",
        "/idea list top",
        "/idea accept 12",
        "/idea decline 12 we covered this last month",
        "/idea assign 12 @anna instagram 2026-12-14",
        "/idea assign 12 @anna",
    ],
)

NOT_A_PERSONS_MESSAGE = (
    "Only people's messages can be submitted as ideas, not other apps'. "
    "Write it as an idea yourself: `/idea <text>`."
)

STATUS_LABEL = {
    IdeaStatus.OPEN: "open",
    IdeaStatus.ACCEPTED: "accepted :white_check_mark:",
    IdeaStatus.DECLINED: "declined",
}


def summary(idea: Idea, limit: int = 140) -> str:
    return for_display(truncate(" ".join(full_text(idea).split()), limit))


def idea_message(idea: Idea, votes: int, vote_emoji: str = "+1") -> tuple[str, list[Block]]:
    credit = f"<@{idea.author}>"
    if idea.submitted_by != idea.author:
        credit += f" (submitted by <@{idea.submitted_by}>)"
    lines = [f"*Idea #{idea.id}* from {credit}"]
    if idea.title:
        lines.append(f"*{for_display(truncate(idea.title, 300))}*")
    if idea.text:
        lines.append(truncate(quoted(idea.text), 2000))
    extras = []
    if idea.network:
        extras.append(f"Network: {for_display(idea.network)}")
    if idea.link:
        extras.append(f"Link: <{idea.link}>")
    if extras:
        lines.append(" · ".join(extras))
    blocks: list[Block] = [section("\n".join(lines))]
    status = f"Status: *{STATUS_LABEL.get(idea.status, idea.status)}*"
    if idea.status != IdeaStatus.OPEN and idea.decided_by:
        status += f" by <@{idea.decided_by}>"
    if idea.status == IdeaStatus.DECLINED and idea.decline_reason:
        status += f" — {for_display(truncate(idea.decline_reason, 500))}"
    blocks.append(context(f"{status} · Votes: *{votes}* (react with :{vote_emoji}: to vote)"))
    if idea.owner:
        blocks.append(context(f":bust_in_silhouette: {assignment(idea)}"))
    if idea.status == IdeaStatus.OPEN:
        blocks.append(
            actions(
                button("Accept", ActionId.IDEA_ACCEPT, str(idea.id), style="primary"),
                button("Decline", ActionId.IDEA_DECLINE, str(idea.id), style="danger"),
                block_id=f"idea_triage:{idea.id}",
            )
        )
    fallback = f"Idea #{idea.id} from <@{idea.author}>: {summary(idea, 150)}"
    return fallback, blocks


def day(value: date) -> str:
    """A wall-clock date as people read it and type it: `Mon 2026-12-14`."""
    return f"{value:%a} {value.isoformat()}"


def assignment(idea: Idea) -> str:
    """Who owns the idea, and for which account and day: `Owner: <@U…> · for instagram · by Mon 2026-12-14`."""
    parts = [f"Owner: <@{idea.owner}>"]
    if idea.account:
        parts.append(f"for {idea.account}")
    if idea.target_date:
        parts.append(f"by {day(idea.target_date)}")
    return " · ".join(parts)


def _target(idea: Idea) -> str:
    parts = []
    if idea.account:
        parts.append(f" for {idea.account}")
    if idea.target_date:
        parts.append(f", ready by {day(idea.target_date)}")
    return "".join(parts)


def owner_notice(idea: Idea) -> str:
    return (
        f"<@{idea.assigned_by}> gave you idea #{idea.id}{_target(idea)}: {summary(idea)}\n"
        f"When you write the post in the drafts channel, say `idea #{idea.id}` in it: the draft is linked to the "
        "idea, and the monthly digest credits whoever had it."
    )


def assigned_notice(idea: Idea) -> str:
    return f"Your idea #{idea.id} is now with <@{idea.owner}>{_target(idea)}: {summary(idea)}"


def handed_over_notice(idea: Idea) -> str:
    return f"<@{idea.assigned_by}> gave idea #{idea.id}, which you owned, to <@{idea.owner}>{_target(idea)}."


def assign_reply(idea: Idea, *, changed: bool, told: list[str]) -> str:
    if not changed:
        return f"Idea #{idea.id} is already assigned like that ({assignment(idea)}); nothing changed."
    who = ", ".join(f"<@{user}>" for user in told)
    return f"Idea #{idea.id} is now with <@{idea.owner}>{_target(idea)}." + (f" Told: {who}." if who else "")


def no_such_idea(ids: list[int]) -> str:
    named = ", ".join(f"#{i}" for i in ids[:5])
    return (
        f"This draft names idea {named}, but there is no such idea, so it is not linked to one. "
        "`/idea list top` shows the ideas and their numbers."
    )


def linked_draft_block(idea: Idea) -> Block:
    """On a draft's status message: the idea the draft carries out."""
    return context(f":bulb: Carries out idea #{idea.id} from <@{idea.author}>: {summary(idea, 120)}")


def decision_notice(idea: Idea) -> str:
    if idea.status == IdeaStatus.ACCEPTED:
        return f"Your idea #{idea.id} was accepted by <@{idea.decided_by}>: {summary(idea)}"
    reason = f" Reason: {for_display(truncate(idea.decline_reason, 500))}" if idea.decline_reason else ""
    return f"Your idea #{idea.id} was declined by <@{idea.decided_by}>: {summary(idea)}.{reason}"


def submitted_notice(idea: Idea, new: bool) -> str:
    if new:
        return f"Thanks! Your idea is #{idea.id} in the ideas channel: {summary(idea)}"
    return f"That message was already submitted as idea #{idea.id}."


def idea_list(title: str, rows: list[tuple[Idea, int]], empty: str, total: int | None = None) -> list[Block]:
    lines = [
        f"*#{idea.id}* {summary(idea, 120)} — <@{idea.author}>, {votes} vote{'s' if votes != 1 else ''}"
        + ("" if idea.status == IdeaStatus.OPEN else f" ({idea.status})")
        + (f" · {assignment(idea)}" if idea.owner else "")
        for idea, votes in rows
    ]
    return list_sections(title, lines, empty, total)


def idea_modal(channel: str | None = None) -> Block:
    return modal(
        ViewId.IDEA,
        "Submit an idea",
        [
            plain_input("title", "Title", max_length=200),
            plain_input("details", "Details", multiline=True, optional=True, max_length=2500),
            plain_input("network", "Network (e.g. Instagram, LinkedIn)", optional=True, max_length=80),
            plain_input("link", "Link", optional=True, max_length=400),
        ],
        private_metadata=channel or "",
    )


def decline_modal(idea: Idea) -> Block:
    return modal(
        ViewId.IDEA_DECLINE,
        f"Decline idea #{idea.id}",
        [
            section(f"*Idea #{idea.id}* from <@{idea.author}>: {summary(idea, 300)}"),
            plain_input("reason", "Reason (the submitter is told)", multiline=True, optional=True, max_length=1000),
        ],
        submit="Decline",
        private_metadata=str(idea.id),
    )
