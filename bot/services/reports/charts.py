"""The weekly report's chart: open items by priority over the last weeks, and the resolution time trend.

Rendered off-screen with matplotlib's Agg backend into PNG bytes (no display, no files).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.core.reports.weekly import TrendPoint
from bot.core.timing.durations import PRIORITIES

COLOURS = {"P0": "#d62728", "P1": "#ff7f0e", "P2": "#e6b800", "P3": "#7f7f7f"}


def weekly_chart_png(trend: Sequence[TrendPoint], *, title: str) -> bytes:
    """Two panels: stacked bars of open items by priority at each week's end; average resolution hours."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure  # the object API: no global pyplot state, safe in threads

    labels = [p.monday.strftime("%b %d") for p in trend]
    x = list(range(len(trend)))
    fig = Figure(figsize=(9, 3.6), dpi=100)
    bars, line = fig.subplots(1, 2)
    bottom = [0] * len(trend)
    for priority in PRIORITIES:
        counts = [p.open_by_priority.get(priority, 0) for p in trend]
        if any(counts):
            bars.bar(x, counts, bottom=bottom, label=priority, color=COLOURS[priority], width=0.7)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    bars.set_title("Open items at week end, by priority", fontsize=10)
    bars.set_xticks(x, labels, fontsize=8, rotation=45)
    if any(bottom):
        bars.legend(fontsize=8, loc="upper left")
    hours = [p.avg_resolution_hours for p in trend]
    known = [(i, h) for i, h in zip(x, hours, strict=True) if h is not None]
    if known:
        line.plot([i for i, _ in known], [h for _, h in known], marker="o", color="#1f77b4")
    else:
        line.text(0.5, 0.5, "nothing resolved in these weeks", ha="center", transform=line.transAxes)
    line.set_title("Average resolution time (hours)", fontsize=10)
    line.set_xticks(x, labels, fontsize=8, rotation=45)
    line.set_ylim(bottom=0)
    line.grid(True, alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
