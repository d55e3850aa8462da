"""Block Kit for checklist runs: one single-option checkboxes element per item, so a click toggles
only that item."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.text import for_display, parse_id, truncate
from bot.slack.blocks import Block, bounded_lines, context, help_text, list_sections, section
from bot.slack.ids import ActionId

if TYPE_CHECKING:
    from bot.features.checklists.models import ChecklistItem, ChecklistRun

CHECKLIST_HELP = help_text(
    "/checklist",
    "the team's daily, weekly, monthly and annual checklists. They are posted on schedule with a checkbox per "
    "item; tick an item when it is done. `/checklist` shows the current runs and their completion.",
    ["/checklist", "/checklist post daily", "/checklist help"],
)


def item_block_id(run_id: int, position: int) -> str:
    return f"checklist:{run_id}:{position}"


def parse_item_block_id(block_id: str) -> tuple[int, int] | None:
    parts = block_id.split(":")
    if len(parts) != 3 or parts[0] != "checklist":
        return None
    run_id, position = parse_id(parts[1]), parse_id(parts[2])
    return None if run_id is None or position is None else (run_id, position)


def local(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%a %d %b %Y %H:%M")


def _clock(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d %b %H:%M")


def done_count(run: ChecklistRun) -> tuple[int, int]:
    return sum(1 for item in run.items if item.done_by), len(run.items)


def title(run: ChecklistRun) -> str:
    return f"{run.checklist.replace('_', ' ').replace('-', ' ').capitalize()} checklist"


OPTION_LIMIT = 75  # Slack's limit for a checkbox's text, counted as sent (escaped)


def _item(item: ChecklistItem, run_id: int, tz: ZoneInfo) -> Block:
    # An item of 75 characters may grow past the limit once escaped (& is sent as &amp;): the box
    # then shows it shortened, and the full text stays in the run's record.
    label = truncate(for_display(item.text), OPTION_LIMIT)
    option: Block = {"text": {"type": "mrkdwn", "text": label}, "value": str(item.position)}
    if item.done_by and item.done_at:
        option["description"] = {"type": "mrkdwn", "text": f"done by <@{item.done_by}>, {_clock(item.done_at, tz)}"}
    element: Block = {"type": "checkboxes", "action_id": ActionId.CHECKLIST_ITEM, "options": [option]}
    if item.done_by:
        element["initial_options"] = [option]
    return {"type": "actions", "block_id": item_block_id(run_id, item.position), "elements": [element]}


def run_message(run: ChecklistRun, tz: ZoneInfo) -> tuple[str, list[Block]]:
    done, total = done_count(run)
    heading = f"*{title(run)}* · {local(run.due_at, tz)}"
    if run.due_wall is None and run.posted_by:
        heading += f" (posted by <@{run.posted_by}>)"
    blocks: list[Block] = [section(heading, block_id=f"checklist_head:{run.id}")]
    blocks += [_item(item, run.id, tz) for item in run.items]
    status = "all done :tada:" if done == total else f"{done} of {total} done"
    blocks.append(context(f"Run #{run.id} · {status} · tick an item when it is done"))
    return f"{title(run)}: {done} of {total} done", blocks


def nudge_message(run: ChecklistRun) -> str:
    open_items = [f"• {for_display(item.text)}" for item in run.items if not item.done_by]
    lines = "\n".join(bounded_lines(open_items))
    return f"Still open on the {title(run).lower()} (run #{run.id}):\n{lines}"


def runs_overview(rows: list[tuple[str, list[ChecklistRun], datetime | None]], tz: ZoneInfo) -> list[Block]:
    lines = []
    for name, runs, next_at in rows:
        upcoming = f" · next {local(next_at, tz)}" if next_at else ""
        if not runs:
            lines.append(f"*{name}*: not posted yet{upcoming}")
        for run in runs:
            done, total = done_count(run)
            open_items = [for_display(i.text) for i in run.items if not i.done_by]
            # The next due time comes before the open items, which are cut to a few.
            detail = f" — open: {'; '.join(bounded_lines(open_items, limit=5))}" if open_items else " — all done"
            kind = "" if run.due_wall else "extra "
            when = local(run.due_at, tz)
            lines.append(f"*{name}* ({kind}run #{run.id}, {when}): {done} of {total} done{upcoming}{detail}")
            upcoming = ""  # said once per checklist
    return list_sections("*Checklists*", lines, "No checklists are configured.")
