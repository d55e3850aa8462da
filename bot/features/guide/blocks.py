"""Block Kit for the style guide: its topics, one section, and "How we handle this"."""

from __future__ import annotations

import re

from bot.core.text import escape_raw, names_list, truncate
from bot.features.guide.service import GUIDE_EXAMPLE, Lookup, Section
from bot.slack.blocks import SECTION_LIMIT, Block, context, help_text, section

GUIDE_HELP = help_text(
    "/guide",
    "the team's style guide: how we answer, in the words we agreed on",
    ["/guide", GUIDE_EXAMPLE, "/guide crisis", "/guide help"],
)
# A section's text is cut to this many blocks; the file is the place to read a very long one.
MAX_BODY_BLOCKS = 5

_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_SUBHEADING = re.compile(r"^#{3,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def to_mrkdwn(markdown: str) -> str:
    """The guide's Markdown as Slack mrkdwn. The file's text is escaped first (it is written by
    people, so it can never ping `@channel` or build a Slack link), then the Markdown that Slack
    writes differently is translated: bold, links (shown with their real address), sub-headings,
    bullets and quotes."""
    lines = []
    for line in escape_raw(markdown).splitlines():
        if heading := _SUBHEADING.match(line):
            line = f"*{heading.group(1)}*"
        line = _BULLET.sub(lambda m: f"{m.group(1)}• ", line)
        if line.startswith("&gt;"):
            line = ">" + line[len("&gt;") :]
        lines.append(line)
    text = "\n".join(lines)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    return _LINK.sub(lambda m: f"{m.group(1)} (<{m.group(2)}>)", text)


def _body_blocks(body: str) -> list[Block]:
    text = to_mrkdwn(body) or "_(this section is empty)_"
    blocks: list[Block] = []
    for start in range(0, len(text), SECTION_LIMIT - 100):
        if len(blocks) == MAX_BODY_BLOCKS:
            blocks.append(context("The rest of this section is in the style guide file."))
            break
        blocks.append(section(text[start : start + SECTION_LIMIT - 100]))
    return blocks


def topics(found: tuple[Section, ...]) -> tuple[str, list[Block]]:
    # At most 20 names of at most 100 characters: the list always fits one section.
    text = f"Style guide topics: {names_list([f'*{escape_raw(truncate(s.topic, 100))}*' for s in found])}."
    return text, [section(text), context(f"Look one up with `{GUIDE_EXAMPLE}`.")]


def found(lookup: Lookup) -> tuple[str, list[Block]]:
    title = escape_raw(lookup.best.topic)
    blocks: list[Block] = [section(f"*Style guide — {title}*"), *_body_blocks(lookup.best.body)]
    if lookup.others:
        blocks.append(context("Also close: " + ", ".join(f"*{escape_raw(s.topic)}*" for s in lookup.others)))
    return f"Style guide — {title}", blocks


def how_we_handle_this(guide_section: Section, limit: int = 1500) -> Block:
    """The team's section of the guide on an escalation's post (cut short: the post is about the
    escalation; `/guide TOPIC` shows the whole section)."""
    body = truncate(to_mrkdwn(guide_section.body), limit)
    return section(f"*How we handle this* ({escape_raw(guide_section.topic)})\n{body}")
