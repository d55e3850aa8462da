"""Small Block Kit builders shared by every feature."""

from __future__ import annotations

from typing import Any

from bot.core.text import MAX_LIST, quoted, truncate

SECTION_LIMIT = 3000
Block = dict[str, Any]


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def plain_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    max_length: int = 2000,
    initial: str | None = None,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def modal(
    callback_id: str, title: str, blocks: list[Block], *, submit: str = "Submit", private_metadata: str = ""
) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": submit[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def bounded_lines(lines: list[str], limit: int = MAX_LIST) -> list[str]:
    """At most `limit` entries, then "and N more"."""
    return [*lines[:limit], f"…and {len(lines) - limit} more"] if len(lines) > limit else lines


def list_sections(
    header: str, lines: list[str], empty: str, total: int | None = None, max_blocks: int | None = None
) -> list[Block]:
    """A header and a bounded list (at most 20 entries, then "and N more"), packed into as few
    sections as the 3,000-character limit allows. `total` is the full count when `lines` holds only
    the first entries; with `max_blocks`, entries that would need more blocks than that are counted
    in the "and N more" line instead of being shown."""
    blocks: list[Block] = [section(header)]
    if not lines:
        blocks.append(context(empty))
        return blocks
    count = len(lines) if total is None else max(total, len(lines))
    entries = [truncate(line, 900) for line in lines[:MAX_LIST]]
    budget = (max_blocks - 1) if max_blocks else None
    chunks = _pack(entries, count)
    while budget is not None and len(chunks) > budget and entries:
        entries.pop()
        chunks = _pack(entries, count)
    blocks.extend(section(chunk) for chunk in chunks)
    return blocks


def packed_sections(lines: list[str]) -> list[Block]:
    """Lines, each shorter than a section, in as few sections as the 3,000-character limit allows."""
    return [section(chunk) for chunk in _pack(lines, len(lines))]


def _pack(entries: list[str], count: int) -> list[str]:
    """The entries, then "…and N more" for the rest of `count`, in chunks that fit one section."""
    more = count - len(entries)
    chunks: list[str] = []
    chunk = ""
    for line in [*entries, f"…and {more:,} more"] if more > 0 else entries:
        if chunk and len(chunk) + len(line) + 1 > SECTION_LIMIT:
            chunks.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        chunks.append(chunk)
    return chunks


def mention(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"


def mentions(users: list[str] | set[str], limit: int = MAX_LIST) -> str:
    """People by mention: at most `limit`, then "and N more" (a long role must not ping everyone)."""
    users = sorted(users) if isinstance(users, set) else users
    if not users:
        return "nobody"
    named = ", ".join(mention(u) for u in users[:limit])
    return f"{named} and {len(users) - limit} more" if len(users) > limit else named


def help_text(command: str, summary: str, examples: list[str]) -> str:
    lines = [f"*{command}* — {summary}", "", "Examples:"]
    lines += [f"• `{example}`" for example in examples]
    return "\n".join(lines)


def quote(user_text: str, limit: int = 1500) -> str:
    """User text as a block quote, made safe for display."""
    return quoted(truncate(user_text, limit))
