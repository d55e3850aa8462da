"""The report's chart: eight weeks of impressions (bars) and engagement rate (a line), with the
targets as lines, drawn off-screen to a PNG.

matplotlib is imported when a chart is drawn, not when teambot starts: the web process never
pays for it unless it draws one."""

from __future__ import annotations

import io

from bot.core.config import Kpis
from bot.features.report.service import WeekPoint

SIZE_INCHES = (8, 4.5)
DPI = 100


def alt_text(points: list[WeekPoint], kpis: Kpis) -> str:
    """What the chart shows, for people who cannot see it (Slack's alt text)."""
    first, last = points[0], points[-1]
    parts = [
        f"Bar chart of impressions per week from {first.week} to {last.week}: "
        + ", ".join(f"{p.week} {p.impressions:,}" for p in points)
        + ".",
        "Line of engagement rate per week: "
        + ", ".join(f"{p.week} {_percent(p.engagement_rate)}" for p in points)
        + ".",
    ]
    if kpis.impressions is not None:
        parts.append(f"Target line for impressions at {kpis.impressions:,}.")
    if kpis.engagement_rate is not None:
        parts.append(f"Target line for engagement rate at {_percent(kpis.engagement_rate)}.")
    return " ".join(parts)[:1000]


def _percent(rate: float | None) -> str:
    return "no data" if rate is None else f"{rate * 100:.1f}%"


def render(points: list[WeekPoint], kpis: Kpis, title: str) -> bytes:
    """The chart as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # off-screen: no display, no GUI toolkit
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    bars = figure.add_subplot()
    labels = [p.week.split("-")[1] for p in points]
    positions = list(range(len(points)))
    bars.bar(positions, [p.impressions for p in points], color="#4a90d9", label="Impressions")
    bars.set_xticks(positions, labels)
    bars.set_ylabel("Impressions")
    bars.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    if kpis.impressions is not None:
        bars.axhline(kpis.impressions, color="#4a90d9", linestyle="--", linewidth=1, label="Impressions target")
    rates = figure.axes[0].twinx()
    rate_values = [p.engagement_rate * 100 if p.engagement_rate is not None else float("nan") for p in points]
    rates.plot(positions, rate_values, color="#d9534f", marker="o", label="Engagement rate")
    rates.set_ylabel("Engagement rate")
    rates.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    rates.set_ylim(bottom=0)
    if kpis.engagement_rate is not None:
        rates.axhline(
            kpis.engagement_rate * 100, color="#d9534f", linestyle=":", linewidth=1, label="Engagement rate target"
        )
    handles = bars.get_legend_handles_labels()
    more = rates.get_legend_handles_labels()
    bars.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize="small")
    bars.set_title(title)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
