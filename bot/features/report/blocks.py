"""Block Kit of the weekly report: the report, the question to a standout post's author, its form,
and the answer in the report's thread."""

from __future__ import annotations

from bot.core.text import quoted, truncate
from bot.features.approvals.blocks import draft_link
from bot.features.approvals.models import Draft
from bot.features.report.models import Explanation
from bot.features.report.service import Figures, Report, Standout, Target
from bot.slack.blocks import Block, actions, bounded_lines, button, context, divider, modal, plain_input, section
from bot.slack.ids import ActionId, ViewId

LABELS = {
    "posts": "Posts published",
    "impressions": "Impressions",
    "engagements": "Engagements",
    "engagement_rate": "Engagement rate",
    "followers_gained": "Followers gained",
    "mentions": "Mentions",
}
MAX_ACCOUNTS = 15
MAX_STANDOUTS = 10
MAX_SPIKES = 10


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name == "engagement_rate":
        return f"{value * 100:.2f}%"
    return f"{value:,.0f}"


def _change(name: str, now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    if name == "engagement_rate":
        diff = (now - before) * 100
        return f" ({'+' if diff >= 0 else ''}{diff:.2f} pts)"
    if before == 0:
        return ""
    pct = (now - before) / abs(before) * 100
    return f" ({'+' if pct >= 0 else ''}{pct:.0f}%)"


def _figure_lines(this: Figures, before: Figures) -> list[str]:
    lines = []
    for name in ("posts", "impressions", "engagements", "engagement_rate", "followers_gained", "mentions"):
        now, then = getattr(this, name), getattr(before, name)
        lines.append(
            f"{LABELS[name]}: *{_value(name, now)}*{_change(name, now, then)} · week before {_value(name, then)}"
        )
    return lines


def _target_line(target: Target) -> str:
    mark = ":white_check_mark:" if target.met else ":x:"
    return f"{mark} {LABELS[target.name]}: {_value(target.name, target.value)} of {_value(target.name, target.target)}"


def _standout_line(standout: Standout, drafts: dict[int, Draft]) -> str:
    post = standout.post
    direction = "above" if standout.above else "below"
    draft = drafts.get(post.draft_id)
    link = draft_link(draft) if draft else f"draft #{post.draft_id}"
    return (
        f"• {link} on *{post.account}* by <@{post.author}>: {_value('engagement_rate', post.rate)} engagement, "
        f"{direction} the account's usual {_value('engagement_rate', standout.median_rate)}"
    )


def report(result: Report, drafts: dict[int, Draft]) -> tuple[str, list[Block]]:
    title = f"Weekly report {result.week}"
    blocks: list[Block] = [section(f":bar_chart: *{title}* (week of {result.monday:%d %b %Y})")]
    blocks.append(section("*The team*\n" + "\n".join(_figure_lines(result.team, result.previous))))
    if result.targets:
        met = sum(t.met for t in result.targets)
        blocks.append(
            section(f"*Targets: {met} of {len(result.targets)} met*\n" + "\n".join(map(_target_line, result.targets)))
        )
    accounts = list(result.accounts.items())
    for name, (this, before) in accounts[:MAX_ACCOUNTS]:
        lines = _figure_lines(this, before)
        blocks.append(section(f"*{name}*\n" + "\n".join(lines)))
    if len(accounts) > MAX_ACCOUNTS:
        more = len(accounts) - MAX_ACCOUNTS
        blocks.append(context(f"…and {more} more accounts: `teambot report --dry-run` shows them all."))
    blocks.append(divider())
    if result.standouts:
        shown = [_standout_line(s, drafts) for s in result.standouts[:MAX_STANDOUTS]]
        more = len(result.standouts) - MAX_STANDOUTS
        blocks.append(section("*Standout posts*\n" + "\n".join(shown) + (f"\n…and {more} more" if more > 0 else "")))
    else:
        blocks.append(context("No post stood out from its account's usual engagement."))
    if result.spikes:
        lines = [
            f"• *{s.account}* {s.day:%a %d %b}: {s.mentions:,} mentions (usually {s.median:,.0f})"
            for s in result.spikes
        ]
        blocks.append(section("*Mention spikes*\n" + "\n".join(bounded_lines(lines, MAX_SPIKES))))
    blocks.append(
        context(
            "The authors of the standout posts are asked what made them stand out; their answers follow in this thread."
        )
    )
    return title, blocks


def plain_report(result: Report) -> str:
    """The report as text, for `teambot report --dry-run`."""
    lines = [f"Weekly report {result.week} (week of {result.monday:%d %b %Y})", "", "The team:"]
    lines += [f"  {line.replace('*', '')}" for line in _figure_lines(result.team, result.previous)]
    if result.targets:
        lines += ["", "Targets:"]
        lines += [
            f"  {'met' if t.met else 'missed'}: {LABELS[t.name]} "
            f"{_value(t.name, t.value)} of {_value(t.name, t.target)}"
            for t in result.targets
        ]
    for name, (this, before) in result.accounts.items():
        lines += ["", f"{name}:"] + [f"  {line.replace('*', '')}" for line in _figure_lines(this, before)]
    lines += ["", "Standout posts:" if result.standouts else "No standout posts."]
    lines += [
        f"  draft #{s.post.draft_id} on {s.post.account} by {s.post.author}: {_value('engagement_rate', s.post.rate)}"
        f" (usual {_value('engagement_rate', s.median_rate)})"
        for s in result.standouts
    ]
    if result.spikes:
        lines += ["", "Mention spikes:"] + [
            f"  {s.account} {s.day}: {s.mentions} (usual {s.median:.0f})" for s in result.spikes
        ]
    return "\n".join(lines) + "\n"


def ask_author(week: str, standout: Standout, draft: Draft | None) -> tuple[str, list[Block]]:
    link = draft_link(draft) if draft else f"draft #{standout.post.draft_id}"
    direction = "more" if standout.above else "less"
    text = (
        f"Your post {link} on {standout.post.account} engaged far {direction} than usual last week: "
        "what made it stand out?"
    )
    value = f"{week}:{standout.post.draft_id}"
    return text, [
        section(f":mag: {text}"),
        actions(button("Explain", ActionId.REPORT_EXPLAIN, value, style="primary")),
        context("A sentence or two is plenty; it goes into the report's thread and the leadership summary."),
    ]


def explanation_modal(week: str, draft_id: int) -> Block:
    return modal(
        ViewId.REPORT_EXPLANATION,
        "What made it stand out?",
        [plain_input("explanation", f"Draft #{draft_id}, week {week}", multiline=True, max_length=2000)],
        submit="Send",
        private_metadata=f"{week}:{draft_id}",
    )


def explanation_in_thread(explanation: Explanation) -> str:
    return f"<@{explanation.author}> on draft #{explanation.draft_id}:\n{quoted(truncate(explanation.text, 1500))}"
