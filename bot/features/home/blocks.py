"""Block Kit of the Home tab. Every list shows at most 20 entries and "and N more", and the whole
view stays within Slack's 100-block limit for Home tabs whatever the data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.text import for_display, truncate
from bot.features.calendar.blocks import STATUS_ICON, draft_ref, note_line
from bot.features.home.service import Cut, Home, ToPublish
from bot.slack.blocks import Block, bounded_lines, context, divider, list_sections, mention, section

HOME_BLOCK_LIMIT = 100
# Blocks one list may use (its header, its entries packed into sections, "and N more"): with the
# fixed blocks this keeps the view under the limit however long the entries are.
LIST_BLOCKS = 6
# Blocks kept free for what other parts of the tab add (see `home_view`'s `extra`).
EXTRA_BLOCKS = 10
LINE_LIMIT = 300


def home_view(home: Home, tz: Any, *, extra: Sequence[Block] = ()) -> dict[str, Any]:
    """The person's Home tab. `extra` are blocks shown under the title (such as a button only some
    people get); at most EXTRA_BLOCKS of them are kept."""
    blocks: list[Block] = [section(f"*Hello {mention(home.user)}* — what teambot has for you.")]
    blocks += list(extra)[:EXTRA_BLOCKS]
    blocks.append(divider())
    blocks += waiting_blocks(home, tz)
    blocks.append(divider())
    blocks += shift_blocks(home, tz)
    blocks.append(divider())
    blocks += week_blocks(home, tz)
    blocks.append(divider())
    blocks += _list(
        "*Your ideas*",
        [_idea_line(idea, votes) for idea, votes in home.ideas.rows],
        home.ideas,
        "No ideas from you yet: `/idea` adds one.",
    )
    if len(blocks) > HOME_BLOCK_LIMIT:
        blocks = [*blocks[: HOME_BLOCK_LIMIT - 1], context("…more than a Home tab can show.")]
    return {"type": "home", "blocks": blocks}


def _list(header: str, lines: list[str], cut: Cut, empty: str) -> list[Block]:
    return list_sections(
        header, [truncate(line, LINE_LIMIT) for line in lines], empty, total=cut.total, max_blocks=LIST_BLOCKS
    )


def waiting_blocks(home: Home, tz: Any) -> list[Block]:
    blocks: list[Block] = [section("*Waiting for you*")]
    blocks += _list(
        "Drafts at a step you may take",
        [
            f"• {draft_ref(d.id, d.channel, d.ts)} by {mention(d.author)}: {for_display(_one_line(d.text))}"
            for d in home.drafts.rows
        ],
        home.drafts,
        "No draft waits for you.",
    )
    blocks += _list(
        "Handoffs to acknowledge",
        [
            f"• Handoff #{h.id} ({h.team}) from {mention(h.from_user)}, {_wall(h.created_at, tz)}"
            + (f": {for_display(_one_line(h.notes))}" if h.notes else "")
            for h in home.handoffs.rows
        ],
        home.handoffs,
        "No handoff to acknowledge.",
    )
    blocks += _list(
        "Escalations",
        [
            f"• #{e.id} {e.severity} ({e.team}, {e.status}, assigned to {mention(e.assignee)}): "
            f"{for_display(_one_line(e.text))}"
            for e in home.escalations.rows
        ],
        home.escalations,
        "No escalation for you.",
    )
    blocks += _list(
        "Today's checklists: unticked items",
        [f"• {run.checklist} (<#{run.channel}>): {for_display(item.text)}" for run, item in home.checklist_items.rows],
        home.checklist_items,
        "Every item of today's checklists is ticked.",
    )
    blocks += _list(
        "Posts to publish",
        [_publish_line(p, tz) for p in home.to_publish.rows],
        home.to_publish,
        "No post for you to publish.",
    )
    return blocks


def shift_blocks(home: Home, tz: Any) -> list[Block]:
    lines = []
    for team in home.team_shifts:
        now = f"{mention(team.now)} until {_wall(team.until, tz)}" if team.now and team.until else mention(team.now)
        following = (
            f"{mention(team.next.person)} from {_wall(team.next.start, tz)}" if team.next else "no shift planned"
        )
        lines.append(f"• *{team.team}*: now {now}; next {following}")
    own = home.own_next_shift
    mine = (
        f"Your next shift: *{own.team}* {own.shift}, {_wall(own.start, tz)} to {_wall(own.end, tz)}."
        if own
        else "You have no rota shift coming."
    )
    blocks = [section("*On shift*"), section("\n".join(bounded_lines(lines)) if lines else "No teams have shifts.")]
    blocks.append(context(mine))
    return blocks


def week_blocks(home: Home, tz: Any) -> list[Block]:
    week = home.week
    lines: list[str] = []
    for day, entries in sorted(week.days.items()):
        for note in week.notes.get(day, []):
            if note.start == day or day == week.monday:
                lines.append(f"{day.strftime('%a')} {note_line(note)}")
        for entry in entries:
            icon = STATUS_ICON.get(entry.status, "•")
            summary = for_display(_one_line(entry.summary)) or "(no text)"
            lines.append(
                f"{icon} {_wall(entry.slot, tz)} [{', '.join(entry.accounts)}] "
                f"{draft_ref(entry.draft_id, entry.channel, entry.ts)} — {summary}"
            )
    header = f"*This week* ({week.monday.isoformat()} to {max(week.days).isoformat()})"
    return list_sections(
        header,
        [truncate(line, LINE_LIMIT) for line in lines[:20]],
        "Nothing planned this week.",
        total=len(lines),
        max_blocks=LIST_BLOCKS,
    )


def _publish_line(post: ToPublish, tz: Any) -> str:
    slot = _wall(post.slot, tz) if post.slot else "no time set"
    summary = for_display(_one_line(post.summary)) or "(no text)"
    return f"• {draft_ref(post.draft_id, post.channel, post.ts)} on *{post.account}* at {slot}: {summary}"


def _idea_line(idea: Any, votes: int) -> str:
    words = _one_line(idea.title or idea.text)
    owner = f", owner <@{idea.owner}>" if idea.owner else ""
    return f"• #{idea.id} {for_display(truncate(words, 140))} — {votes} vote(s), {idea.status}{owner}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _wall(moment: datetime | None, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %H:%M") if moment else "—"
