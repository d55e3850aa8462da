"""Block Kit of the planning meeting: the ask, the update form, `/meeting` and the agenda."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.text import MAX_LIST, as_written, for_display, quoted, truncate
from bot.features.approvals.blocks import draft_link, when
from bot.features.meeting.models import MeetingUpdate
from bot.features.meeting.service import UPDATE_EXAMPLE, Agenda, Recorded, Status
from bot.slack.blocks import (
    Block,
    actions,
    bounded_lines,
    button,
    context,
    divider,
    help_text,
    list_sections,
    mentions,
    modal,
    plain_input,
    section,
)
from bot.slack.ids import ActionId, ViewId

MEETING_HELP = help_text(
    "/meeting",
    "the weekly planning meeting: your short update before it, and who has sent theirs",
    ["/meeting", UPDATE_EXAMPLE, "/meeting update Working on: the product launch posts", "/meeting help"],
)
# Each part of an update as shown: quoted, then cut, so that a person's three parts and their name
# always fit one section (Slack's 3,000 characters) whatever their line breaks.
FIELD_SHOWN = 900
FIELDS = (
    ("learned", "What I learned this week"),
    ("working_on", "What I am working on"),
    ("need_help", "Where I need help"),
)


def ask(starts_at_text: str, meeting_id: int) -> tuple[str, list[Block]]:
    text = f"The planning meeting starts {starts_at_text}: what is your update?"
    return text, [
        section(
            f":spiral_calendar_pad: {text} Three short answers: what you learned, what you are working on, "
            "where you need help."
        ),
        actions(button("Add my update", ActionId.MEETING_ADD_UPDATE, str(meeting_id), style="primary")),
        context(f"Or type it: `{UPDATE_EXAMPLE}`"),
    ]


def update_modal(previous: MeetingUpdate | None) -> Block:
    blocks = [
        plain_input(
            name,
            label,
            multiline=True,
            optional=True,
            max_length=1000,
            initial=as_written(getattr(previous, name)) if previous else None,
        )
        for name, label in FIELDS
    ]
    return modal(ViewId.MEETING_UPDATE, "My meeting update", blocks, submit="Send")


def recorded(result: Recorded) -> str:
    verb = "replaced" if result.replaced else "saved"
    return f"Your update for the meeting {when(result.meeting.starts_at)} is {verb}."


def _update_lines(update: MeetingUpdate) -> str:
    parts = []
    for name, label in FIELDS:
        value = getattr(update, name)
        if value:
            parts.append(f"_{label}_\n{truncate(quoted(value), FIELD_SHOWN)}")
    return f"*<@{update.user_id}>*\n" + "\n".join(parts)


def status(result: Status) -> tuple[str, list[Block]]:
    text = f"Next planning meeting: {when(result.starts_at)}"
    return text, [
        section(f"*{text}*"),
        section(f"Updates from: {mentions(result.answered) if result.answered else 'nobody yet'}"),
        section(f"Still to send one: {mentions(result.missing) if result.missing else 'nobody'}"),
        context(f"Send yours: `{UPDATE_EXAMPLE}`"),
    ]


def agenda(result: Agenda, tz: ZoneInfo) -> tuple[str, list[Block]]:
    title = f"Agenda of the planning meeting {when(result.meeting.starts_at)}"
    blocks: list[Block] = [section(f":spiral_calendar_pad: *{title}*")]
    blocks.append(section("*1. Updates* (ten minutes each at most)"))
    # One section per person, at most 20 (the agenda stays within Slack's 50 blocks).
    for update in result.updates[:MAX_LIST]:
        blocks.append(section(_update_lines(update)))
    if len(result.updates) > MAX_LIST:
        rest = [u.user_id for u in result.updates[MAX_LIST:]]
        blocks.append(context(f"…and {len(rest)} more updates, from {mentions(rest)}: ask them in the thread."))
    if not result.updates:
        blocks.append(context("Nobody sent an update."))
    if result.missing:
        blocks.append(context(f"No update from {mentions(result.missing)}."))
    blocks.append(divider())
    standouts = [
        f"• draft #{s.post.draft_id} on *{s.post.account}* by <@{s.post.author}>: "
        f"{(s.post.rate or 0) * 100:.1f}% engagement, {'above' if s.above else 'below'} the usual "
        f"{s.median_rate * 100:.1f}%"
        for s in result.standouts
    ]
    blocks += list_sections(
        "*2. Last week's standout posts*", standouts, "_No post stood out last week._", max_blocks=2
    )
    blocks.append(divider())
    waiting = [
        f"• {draft_link(w.draft)} by <@{w.draft.author}>, waiting since {when(w.waiting_since)}" for w in result.waiting
    ]
    blocks += list_sections(
        "*3. Drafts waiting for approval*",
        waiting,
        "_Nothing waits for approval._",
        total=result.waiting_total,
        max_blocks=3,
    )
    blocks.append(divider())
    if result.next_week is not None:
        blocks += _next_week(result, tz)
        blocks.append(divider())
    ideas = [
        f"• #{idea.id} {truncate(for_display(idea.title or idea.text), 150)} — {votes} vote{'s' if votes != 1 else ''}"
        for idea, votes in result.ideas
    ]
    blocks += list_sections(
        "*5. Brainstorming: the most-voted open ideas*", ideas, "_No open ideas: bring some!_", max_blocks=2
    )
    return title, blocks


def _next_week(result: Agenda, tz: ZoneInfo) -> list[Block]:
    """The calendar of the week after the meeting: each day's planned posts, then the gaps."""
    assert result.next_week is not None
    lines = []
    for day, entries in sorted(result.next_week.days.items()):
        posts = ", ".join(f"{e.slot.astimezone(tz):%H:%M} [{', '.join(e.accounts)}] #{e.draft_id}" for e in entries[:6])
        more = f" and {len(entries) - 6} more" if len(entries) > 6 else ""
        lines.append(f"*{day:%a %d %b}*: {posts}{more}" if entries else f"*{day:%a %d %b}*: _nothing planned_")
    blocks = [section("*4. Next week's calendar*\n" + "\n".join(lines))]
    if result.gaps:
        gap_lines = [
            f"• {account}: nothing on {', '.join(f'{d:%a}' for d in days)}" for account, days in result.gaps.items()
        ]
        blocks.append(section("*Gaps to fill*\n" + "\n".join(bounded_lines(gap_lines))))
    return blocks
