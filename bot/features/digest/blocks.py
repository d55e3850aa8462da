"""Block Kit for the monthly digest and its leadership summary."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.core.config import Kpis
from bot.core.text import for_display, in_code_block, quoted, truncate
from bot.features.approvals.blocks import draft_link
from bot.features.metrics.blocks import percent
from bot.features.report import chart
from bot.slack.blocks import Block, context, divider, list_sections, section

if TYPE_CHECKING:
    from bot.features.digest.service import DigestData, IdeaLine, StandoutAnswer, TopPost

SAMPLE_LIMIT = 2500
# An explanation may be 2,000 characters; the summary quotes the start of each, so that a month of
# answers still fits a few sections.
QUOTE_LIMIT = 300
ALT_TEXT_LIMIT = 1000


def duration(value: timedelta | None) -> str:
    if value is None:
        return "n/a"
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _post_line(rank: int, post: TopPost) -> str:
    line = f"{rank}. *#{post.draft_id}* by <@{post.author}>"
    if post.impressions is not None:
        figures = f"{post.impressions:,} impressions, {post.engagements:,} engagements"
        if post.clicks is not None:
            figures += f", {post.clicks:,} clicks"
        line += f" — {percent(post.rate)} engagement rate ({figures})"
    else:
        line += f" — {post.reactions} reaction{'s' if post.reactions != 1 else ''} from the team"
    if post.published_url:
        line += f" · <{post.published_url}>"
    if post.idea_id is not None:
        line += f" · idea #{post.idea_id} by <@{post.idea_author}>"
        if post.idea_submitted_by != post.idea_author:
            line += f", submitted by <@{post.idea_submitted_by}>"
    snippet = for_display(truncate(" ".join(post.text.split()), 120))
    return f"{line}\n      _{snippet}_" if snippet else line


def _copyable(text: str) -> str:
    """Post text as a code block people can copy; a ``` inside cannot end the block early."""
    body = in_code_block(truncate(text.strip(), SAMPLE_LIMIT))
    return f"```{body}```"


def _idea_line(idea: IdeaLine) -> str:
    text = idea.title or idea.text
    summary = for_display(truncate(" ".join(text.split()), 120))
    credit = f"<@{idea.author}>"
    if idea.submitted_by != idea.author:
        credit += f", submitted by <@{idea.submitted_by}>"
    return f"• *#{idea.idea_id}* {summary} — {credit} ({idea.votes} vote{'s' if idea.votes != 1 else ''})"


def team_numbers(data: DigestData) -> list[str]:
    completion = data.checklist_done / data.checklist_items if data.checklist_items else None
    return [
        f"• Approved posts: *{data.approvals}* (median time to approve {duration(data.median_approve)})",
        f"• Escalations: *{data.escalations}* (median time to acknowledge {duration(data.median_acknowledge)}, "
        f"to resolve {duration(data.median_resolve)})",
        f"• Handoffs acknowledged: *{data.handoffs_acknowledged}* of {data.handoffs}",
        f"• Checklists: *{percent(completion)}* of items done ({data.checklist_done} of {data.checklist_items}, "
        f"{data.checklist_runs} run{'s' if data.checklist_runs != 1 else ''})",
        f"• Ideas submitted: *{data.ideas_submitted}*, accepted: *{data.ideas_accepted}*",
    ]


def staff_digest(data: DigestData) -> tuple[str, list[Block]]:
    blocks: list[Block] = [
        section(f"*Best of {data.label}* — the team's best-performing posts, ideas and numbers"),
        divider(),
    ]
    lines = [_post_line(rank, post) for rank, post in enumerate(data.top, start=1)]
    blocks += list_sections("*Top posts*", lines, "No posts were approved this month.", max_blocks=6)
    for post in data.sample_posts:
        blocks.append(section(f"*Ready to copy* — #{post.draft_id} by <@{post.author}>\n{_copyable(post.text)}"))
    blocks.append(divider())
    top_ideas = [_idea_line(i) for i in data.top_ideas]
    blocks += list_sections("*Most-voted ideas*", top_ideas, "No votes on this month's ideas.", max_blocks=4)
    accepted = [_idea_line(i) for i in data.accepted_ideas]
    blocks += list_sections(
        "*Accepted ideas*", accepted, "No ideas were accepted this month.", total=data.ideas_accepted, max_blocks=4
    )
    blocks.append(divider())
    blocks.append(section("*The team's numbers*\n" + "\n".join(team_numbers(data))))
    note = chart_note(data)
    if note:
        blocks.append(context(note))
    blocks.append(context("Share an idea any time with `/idea`; record post figures with `/metrics`."))
    return f"Best of {data.label}: the month's top posts, ideas and numbers", blocks


# -- the month's chart -------------------------------------------------------------------------------
def chart_title(data: DigestData) -> str:
    assert data.chart is not None
    return f"Impressions and engagement rate per week, {data.label} ({data.chart.first_week} to {data.chart.last_week})"


def chart_filename(data: DigestData) -> str:
    return f"digest-{data.month}.png"


def chart_alt_text(data: DigestData, kpis: Kpis) -> str:
    assert data.chart is not None
    return f"{data.label}: {chart.alt_text(data.chart.points, kpis)}"[:ALT_TEXT_LIMIT]


def chart_note(data: DigestData) -> str | None:
    """What the digest says about its chart: that it follows, or why there is none."""
    if data.chart is None:
        return None
    weeks = f"{data.chart.first_week} to {data.chart.last_week}"
    if data.chart.has_figures:
        return (
            f":bar_chart: The chart below shows impressions and engagement rate for the weeks ending in "
            f"{data.label} ({weeks})."
        )
    return f"No chart this month: no post figures were recorded for the weeks ending in {data.label} ({weeks})."


def leadership_summary(data: DigestData) -> str:
    best = data.top[0] if data.top else None
    lines = [f"*Social team summary — {data.label}*"]
    if best is not None:
        how = (
            f"{percent(best.rate)} engagement rate"
            if best.impressions is not None
            else f"{best.reactions} team reactions"
        )
        lines.append(f"• Best post: #{best.draft_id} by <@{best.author}> ({how})")
    lines += team_numbers(data)
    return "\n".join(lines)


def _answer_line(answer: StandoutAnswer) -> str:
    line = f"• {draft_link(answer.draft)} by <@{answer.author}> (week {answer.week})"
    words = for_display(truncate(" ".join((answer.draft.text or "").split()), 80))
    if words:
        line += f" — _{words}_"
    return f"{line}\n{quoted(truncate(answer.text.strip(), QUOTE_LIMIT))}"


def leadership_message(data: DigestData) -> tuple[str, list[Block]]:
    """The leaders' DM: the summary, then what made posts stand out, in their authors' words (the
    answers given since the previous summary)."""
    summary = leadership_summary(data)
    blocks = [section(summary)]
    if data.explanations:
        blocks += list_sections(
            "*What made posts stand out*, in their authors' words",
            [_answer_line(answer) for answer in data.explanations],
            "",
            max_blocks=6,
        )
    return summary, blocks


def as_text(blocks: list[Block]) -> str:
    """The digest's blocks as plain text (for `teambot digest --dry-run`)."""
    parts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            parts.append(block["text"]["text"])
        elif kind == "context":
            parts.append(" ".join(e.get("text", "") for e in block.get("elements", [])))
        elif kind == "divider":
            parts.append("----")
    return "\n\n".join(parts)


def dry_run_text(data: DigestData, channel: str, leaders: list[str], kpis: Kpis) -> str:
    _, blocks = staff_digest(data)
    _, summary_blocks = leadership_message(data)
    summary = as_text(summary_blocks)
    parts: list[Any] = [f"# Digest for {data.month} (would be posted in {channel})", as_text(blocks)]
    if data.chart is not None and data.chart.has_figures:
        parts.append(
            f"# Chart {chart_filename(data)} would be uploaded to {channel}: {chart_title(data)}\n\n"
            f"Alt text: {chart_alt_text(data, kpis)}"
        )
    elif data.chart is not None:
        parts.append(
            f"# No chart would be uploaded: no post figures for {data.chart.first_week} to {data.chart.last_week}"
        )
    for leader in leaders:
        parts.append(f"# Direct message to {leader}\n\n{summary}")
    if not leaders:
        parts.append("# No leaders configured ([digest].leaders): no summary would be sent")
    return "\n\n".join(parts) + "\n"
