"""The weekly report's messages: the report and its chart in the report channel, the questions to
the standout posts' authors, and their answers in the report's thread. Each is keyed in the outbox
so nothing is sent twice."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.approvals.models import Draft
from bot.features.report import blocks, chart
from bot.features.report import service as report
from bot.features.report.models import Explanation
from bot.features.report.service import Report
from bot.outbox import history
from bot.outbox.queue import Outbox


def report_key(week: str) -> str:
    return f"report:{week}"


CHART = "chart"
ASK = "ask"


def channel(config: TeamConfig) -> str:
    return config.report.channel or config.channels.digest


def _drafts(session: Session, result: Report) -> dict[int, Draft]:
    ids = {s.post.draft_id for s in result.standouts}
    return {d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(ids)))} if ids else {}


def post_report(session: Session, outbox: Outbox, config: TeamConfig, result: Report) -> None:
    key = report_key(result.week)
    drafts = _drafts(session, result)
    text, body = blocks.report(result, drafts)
    target = channel(config)
    outbox.post(target, text, body, key=key, dedupe=key)
    upload_chart(outbox, config, result, dedupe=f"{key}:{CHART}")
    for standout in result.standouts:
        if standout.post.author:
            ask_text, ask_blocks = blocks.ask_author(result.week, standout, drafts.get(standout.post.draft_id))
            outbox.dm(standout.post.author, ask_text, ask_blocks, dedupe=f"{key}:{ASK}:{standout.post.draft_id}")


def upload_chart(outbox: Outbox, config: TeamConfig, result: Report, *, dedupe: str | None = None) -> None:
    title = f"Impressions and engagement rate, {result.series[0].week} to {result.series[-1].week}"
    outbox.upload(
        channel(config),
        f"report-{result.week}.png",
        chart.render(result.series, config.kpis, title),
        title=title,
        alt_text=chart.alt_text(result.series, config.kpis),
        dedupe=dedupe,
    )


def explanation_posted(outbox: Outbox, config: TeamConfig, explanation: Explanation) -> None:
    """The answer in the report's thread (or, before the report reached Slack, in its channel)."""
    posted = outbox.posted(report_key(explanation.week))
    where = posted.channel if posted else channel(config)
    outbox.post(where, blocks.explanation_in_thread(explanation), thread_ts=posted.ts if posted else None)


@dataclass
class Delivery:
    """What became of a week's report messages in the outbox."""

    sent: int = 0
    waiting: int = 0
    report_refused: str | None = None  # Slack's error for the report itself
    chart_refused: str | None = None  # Slack's error for the chart's upload
    refused: dict[int, str] = field(default_factory=dict)  # standout draft id: Slack's error for its author's DM


def delivery(session: Session, week: str) -> Delivery:
    key = report_key(week)
    sends = history.tally(session, f"{key}%")
    refused = dict(sends.refused)
    return Delivery(
        sends.sent,
        sends.waiting,
        report_refused=refused.pop(key, None),
        chart_refused=refused.pop(f"{key}:{CHART}", None),
        refused={int(draft_key.rsplit(":", 1)[-1]): error for draft_key, error in refused.items()},
    )


def release(session: Session, week: str) -> bool:
    """Drop `week`'s refused messages, so they can be queued again, and forget that its report was
    posted (False when the claim stays: authors have explained its standouts). Messages already
    sent (the chart, an author's question) keep their rows, so posting again never repeats them."""
    history.forget_refused(session, f"{report_key(week)}%")
    return report.release(session, week)


def explanations_of(session: Session, week: str) -> list[Explanation]:
    return list(session.scalars(select(Explanation).where(Explanation.week == week).order_by(Explanation.id)))
