"""Messages of the monthly digest: the staff post, its chart and the leaders' summaries, each sent
once ever per month (outbox dedupe keys), and what became of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.core.config import TeamConfig
from bot.features.digest import blocks as ui
from bot.features.digest import service as digest
from bot.features.digest.service import DigestData
from bot.features.report import chart
from bot.outbox import history
from bot.outbox.queue import Outbox


def _outbox_key(month: str, to: str) -> str:
    return f"digest:{month}:{to}"


OUTBOX_KEYS = _outbox_key("%", "%")  # a LIKE pattern for every digest's outbox rows
CHART = "chart"


def post(outbox: Outbox, config: TeamConfig, data: DigestData) -> None:
    """The month's digest in the digest channel, followed there by its chart (when the month has
    figures), and its summary DMed to each leader."""
    text, blocks = ui.staff_digest(data)
    outbox.post(config.channels.digest, text, blocks, dedupe=_outbox_key(data.month, "staff"))
    if data.chart is not None and data.chart.has_figures:
        outbox.upload(
            config.channels.digest,
            ui.chart_filename(data),
            chart_png(config, data),
            title=ui.chart_title(data),
            alt_text=ui.chart_alt_text(data, config.kpis),
            dedupe=_outbox_key(data.month, CHART),
        )
    summary, summary_blocks = ui.leadership_message(data)
    for leader in config.digest.leaders:
        outbox.dm(leader, summary, summary_blocks, dedupe=_outbox_key(data.month, f"leader:{leader}"))


def chart_png(config: TeamConfig, data: DigestData) -> bytes:
    """The month's chart as PNG (drawing it is the first thing that loads matplotlib)."""
    assert data.chart is not None
    return chart.render(data.chart.points, config.kpis, ui.chart_title(data))


@dataclass
class Delivery:
    """What became of a month's digest messages in the outbox."""

    sent: int = 0
    waiting: int = 0
    staff_refused: str | None = None  # Slack's error for the staff post
    chart_refused: str | None = None  # Slack's error for the chart's upload
    refused: dict[str, str] = field(default_factory=dict)  # leader: Slack's error for their message


def delivery(session: Session, month: str) -> Delivery:
    sends = history.tally(session, _outbox_key(month, "%"))
    refused = dict(sends.refused)
    return Delivery(
        sends.sent,
        sends.waiting,
        staff_refused=refused.pop(_outbox_key(month, "staff"), None),
        chart_refused=refused.pop(_outbox_key(month, CHART), None),
        refused={key.rsplit(":", 1)[-1]: error for key, error in refused.items()},
    )


def release(session: Session, month: str) -> None:
    """Forget that `month`'s digest was posted, and its refused messages, so it can be posted again.
    Messages already sent (a leader's summary) keep their rows, so posting again never repeats them."""
    digest.release(session, month)
    history.forget_refused(session, _outbox_key(month, "%"))
