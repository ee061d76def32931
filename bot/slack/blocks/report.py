"""Block Kit for the weekly executive report (the process document's template). Pure builder.

Executive Summary (the KPIs), Key Wins and Areas for Improvement (read against the document's targets),
and Next Week Focus (the deadlines coming up). The chart follows as a file in the same channel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.items.impact import money
from bot.core.reports.weekly import P0_TARGET, P1_TARGET, WeeklyKpis, percent, trend_arrow, wins_and_gaps
from bot.core.timing.durations import PRIORITIES, format_duration
from bot.slack.blocks.format import date, escape, truncate, user
from bot.slack.blocks.replies import context, section

Blocks = list[dict[str, Any]]


def _numbered(lines: list[str], empty: str) -> str:
    if not lines:
        return empty
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def summary_lines(k: WeeklyKpis) -> list[str]:
    by_priority = ", ".join(f"{p}: {k.resolved_by_priority.get(p, 0)}" for p in PRIORITIES)
    if k.avg_resolution is None:
        resolution = "n/a (nothing resolved)"
    else:
        resolution = format_duration(k.avg_resolution)
        change = k.resolution_change
        if change is not None:
            resolution += f" ({trend_arrow(change)} from last week)"
        else:
            resolution += " (nothing resolved the week before)"
    ack = f"{k.alerts_acknowledged}/{k.alerts_fired} overdue alerts acknowledged"
    if k.median_time_to_ack is not None:
        ack += f", median time to acknowledge {format_duration(k.median_time_to_ack)}"
    return [
        f"Issues Resolved: {k.resolved} ({by_priority})",
        f"Business Value Protected: {money(k.mrr_protected)} MRR ({k.validated} validated)",
        f"Average Resolution Time: {resolution}",
        f"On-time Completion: {percent(k.on_time_rate)}",
        f"P0 resolved within 24 h: {percent(k.p0_within_24h)} (target {percent(P0_TARGET[1])}) · "
        f"P1 within 72 h: {percent(k.p1_within_72h)} (target {percent(P1_TARGET[1])})",
        f"Prevention Measures Documented: {percent(k.prevention_rate)}",
        f"Level-2+ Escalations: {k.level2_escalations} · {ack}",
        k.ci.recurrence_line(),
        k.ci.ci_line(),
    ]


def weekly_report_message(k: WeeklyKpis, *, dashboard: str = "") -> tuple[str, Blocks]:
    """The weekly report (fallback text, blocks); with `dashboard` (the web dashboard's base address, when
    it is set up) a link to its overview."""
    title = f"Weekly Remediation Report — Week of {k.week.monday.isoformat()}"
    wins, gaps = wins_and_gaps(k)
    last_moment = k.week.end - timedelta(seconds=1)
    deadlines: list[str] = []
    room = 2700  # of the section's 3,000 characters, leaving room for the title and the "more" line
    for d in k.next_week_deadlines:
        line = f"• *{d.id}* · {escape(truncate(d.title, 120))} · {user(d.owner_id)} · due {date(d.deadline)}"
        if sum(len(x) + 1 for x in deadlines) + len(line) > room:
            break  # whole lines only; the rest are counted below
        deadlines.append(line)
    if k.next_week_total > len(deadlines):
        deadlines.append(f"…and {k.next_week_total - len(deadlines)} more: `/remediate list upcoming`")
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        section("*Executive Summary*\n" + "\n".join(f"• {line}" for line in summary_lines(k))),
        section("*Key Wins*\n" + _numbered(wins, "_Nothing to report this week._")),
        section("*Areas for Improvement*\n" + _numbered(gaps, "_None: every target met._")),
        section(
            f"*Next Week Focus — deadlines* ({k.next_week_total})\n"
            + ("\n".join(deadlines) if deadlines else "_No deadlines next week._")
        ),
        context(
            f"Covers {date(k.week.start, '{date_long}')} to {date(last_moment, '{date_long}')}. "
            "The chart below shows open items by priority and the resolution time over the last 8 weeks."
            + (f" <{dashboard}/|Open in dashboard>" if dashboard else "")
        ),
    ]
    text = (
        f"{title}: {k.resolved} resolved, {money(k.mrr_protected)} MRR protected, "
        f"{k.level2_escalations} Level-2+ escalations"
    )
    return text, blocks
