"""The weekly executive report, posted once per week with its chart.

It covers the last complete Monday-to-Sunday week in TIMEZONE (the Monday run reports the week before) and
claims ``weekly-report:<ISO week>`` in the transaction that queues the report and the chart upload, so
however often it runs (a restart, a catch-up, a manual run, a second replica) each week is reported once.
A week that ended before the bot's first start is never reported.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.escalation.ladder import OPEN_STATUSES
from bot.core.reports.weekly import (
    TREND_WEEKS,
    DeadlineItem,
    ResolvedItem,
    TrendPoint,
    ValidatedItem,
    Week,
    WeeklyKpis,
    compute_kpis,
    current_week,
    reported_week,
)
from bot.deps import Deps
from bot.services import events, outbox
from bot.services.escalations.sweep import KIND as OVERDUE_ALERT
from bot.services.evidence.figures import ci_figures
from bot.services.reports.charts import weekly_chart_png
from bot.services.reports.digest import Posted
from storage import queries, reports

NEXT_WEEK_LISTED = 15


def report_key(week: Week) -> str:
    return f"weekly-report:{week.key}"


def _resolved(rows: list[Any]) -> list[ResolvedItem]:
    return [
        ResolvedItem(r.id, r.priority, r.created_at, r.completed_at, r.deadline, bool(r.has_prevention))
        for r in rows
    ]


def gather(session: Session, *, deps: Deps, now: datetime, week: Week) -> WeeklyKpis:
    """The report's figures for `week`, in a handful of aggregate queries."""
    tz = deps.settings.tz
    last_week = week.shifted(-1, tz)
    alerts = reports.alerts_between(session, kind=OVERDUE_ALERT, start=week.start, end=week.end)
    coming = current_week(now, tz)
    upcoming = reports.due_between(
        session, start=max(now, coming.start), end=coming.end, statuses=OPEN_STATUSES, limit=NEXT_WEEK_LISTED
    )
    upcoming_total = reports.count_due_between(
        session, start=max(now, coming.start), end=coming.end, statuses=OPEN_STATUSES
    )
    weeks = [week.shifted(-i, tz) for i in range(TREND_WEEKS - 1, -1, -1)]
    open_counts = reports.open_by_priority_at(
        session, instants=[w.end for w in weeks], statuses=OPEN_STATUSES
    )
    hours = reports.average_resolution_by_period(session, boundaries=[w.start for w in weeks] + [week.end])
    trend = [
        TrendPoint(w.monday, counts, avg) for w, counts, avg in zip(weeks, open_counts, hours, strict=True)
    ]
    return compute_kpis(
        week=week,
        resolved=_resolved(reports.resolved_between(session, start=week.start, end=week.end)),
        resolved_last_week=_resolved(
            reports.resolved_between(session, start=last_week.start, end=last_week.end)
        ),
        validated=[
            ValidatedItem(r.priority, r.mrr_at_risk)
            for r in reports.validated_between(session, start=week.start, end=week.end)
        ],
        monthly_revenue=deps.settings.monthly_revenue,
        level2_escalations=sum(1 for a in alerts if a.level >= 2),
        ack_delays=[(a.acked_at - a.fired_at) if a.acked_at else None for a in alerts],
        next_week_deadlines=[
            DeadlineItem(r.id, r.title, r.priority, r.owner_id, r.deadline) for r in upcoming
        ],
        next_week_total=upcoming_total,
        trend=trend,
        ci=ci_figures(session, start=week.start, end=week.end),
    )


def post_weekly_report(deps: Deps, now: datetime) -> Posted:
    """Post the report of the last complete week, with its chart, unless that week was reported."""
    settings = deps.settings
    week = reported_week(now, settings.tz)
    key = report_key(week)
    with deps.uow(readonly=True) as session:
        if queries.is_claimed(session, key=key):
            return Posted(f"{key} was posted already")
        first = queries.first_start(session)
        if first is not None and week.end <= first:
            # An install reports nothing for a week that was over before it existed (it would be empty).
            return Posted(f"{key} ended before the bot's first start ({first.isoformat()}); not reported")
        kpis = gather(session, deps=deps, now=now, week=week)
    text, blocks = deps.render.report.weekly_report_message(kpis, dashboard=deps.settings.dashboard_base)
    title = f"Remediation trend, {TREND_WEEKS} weeks to the week of {week.monday.isoformat()}"
    chart = weekly_chart_png(kpis.trend, title=title)
    with deps.uow() as session:
        if not queries.try_claim(session, key=key, now=now, owner=deps.worker_id):
            return Posted(f"{key} was posted already")
        report = outbox.post_message(
            session, now=now, channel=settings.incident_channel, text=text, blocks=blocks, ref=key
        )
        # Same channel, queued right after: the sender keeps a channel's order, so the chart follows it.
        upload = outbox.upload_file(
            session,
            now=now,
            channel=settings.incident_channel,
            filename=f"remediation-{week.key}.png",
            content=chart,
            title=f"Remediation trend — week of {week.monday.isoformat()}",
            initial_comment=f"Charts for the weekly remediation report, week of {week.monday.isoformat()}",
        )
        assert report is not None and upload is not None
        # E-mail and web hooks hear of it in this unit of work (bot.services.notifications).
        events.publish(
            session,
            events.SubjectEvent(
                subject="report",
                subject_id=key,
                kind="weekly_report",
                at=now,
                summary=text,
                data={
                    "title": f"Weekly remediation report — week of {week.monday.isoformat()}",
                    "blocks": blocks,
                    "figures": asdict(kpis),
                    "chart_png": chart,
                    "chart_title": title,
                    "chart_filename": f"remediation-{week.key}.png",
                },
            ),
        )
        return Posted(f"posted {key}", [report, upload])
