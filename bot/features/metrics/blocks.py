"""Block Kit for /metrics: its help and the figures recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.metrics.service import rate
from bot.slack.blocks import help_text

if TYPE_CHECKING:
    from bot.features.approvals.models import Draft
    from bot.features.metrics.models import PostMetric

METRICS_HELP = help_text(
    "/metrics",
    "record a published post's figures (a newer figure replaces the older one). The draft is its id or its "
    "Slack link; `url=` records where it was published, so `teambot import-metrics` can match exported rows.",
    [
        "/metrics 12 impressions=5400 engagements=310 clicks=42",
        "/metrics #12 impressions=5400 engagements=310 url=https://www.instagram.com/p/abc",
        "/metrics https://acme.slack.com/archives/C0DRAFTS/p1700000000000100 impressions=900 engagements=40",
    ],
)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def metrics_recorded(draft: Draft, metric: PostMetric) -> str:
    parts = [f"impressions {metric.impressions:,}", f"engagements {metric.engagements:,}"]
    if metric.clicks is not None:
        parts.append(f"clicks {metric.clicks:,}")
    engagement = percent(rate(metric.impressions, metric.engagements))
    where = f", published at <{draft.published_url}>" if draft.published_url else ""
    return f"Recorded for draft #{draft.id}: {', '.join(parts)} (engagement rate {engagement}){where}."
