"""The weekly executive report: which week it covers and its KPIs (the process document's success metrics).

A remediation item counts as *resolved* in the week its work was completed (``completed_at``), resolution
time runs from creation to completion, and *business value protected* is the MRR at risk of the items
validated that week. Pure: rows in, figures out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from bot.core.items.impact import money, mrr_at_risk
from bot.core.reports.recurrence import CiFigures
from bot.core.timing.durations import PRIORITIES, format_duration

# The document's primary KPIs.
P0_TARGET = (timedelta(hours=24), 0.95)
P1_TARGET = (timedelta(hours=72), 0.90)
ON_TIME_TARGET = 0.95
PREVENTION_TARGET = 1.0
TREND_WEEKS = 8


@dataclass(frozen=True)
class Week:
    """A Monday-to-Monday week in the workspace time zone; `start`/`end` are aware UTC instants."""

    monday: date
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    def shifted(self, weeks: int, tz: ZoneInfo) -> Week:
        return week_starting(self.monday + timedelta(weeks=weeks), tz)


def week_starting(monday: date, tz: ZoneInfo) -> Week:
    start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz).astimezone(UTC)
    return Week(monday, start, end)


def current_week(now: datetime, tz: ZoneInfo) -> Week:
    local = now.astimezone(tz).date()
    return week_starting(local - timedelta(days=local.weekday()), tz)


def reported_week(now: datetime, tz: ZoneInfo) -> Week:
    """The last complete week before `now` (a Monday report covers the Monday-to-Sunday before it)."""
    return current_week(now, tz).shifted(-1, tz)


@dataclass(frozen=True)
class ResolvedItem:
    id: str
    priority: str
    created_at: datetime
    completed_at: datetime
    deadline: datetime
    has_prevention: bool

    @property
    def resolution(self) -> timedelta:
        return self.completed_at - self.created_at


@dataclass(frozen=True)
class ValidatedItem:
    priority: str
    mrr_at_risk: float | None


@dataclass(frozen=True)
class DeadlineItem:
    id: str
    title: str
    priority: str
    owner_id: str | None
    deadline: datetime


@dataclass(frozen=True)
class TrendPoint:
    """One week of the chart: open items by priority at the week's end, and its average resolution time."""

    monday: date
    open_by_priority: dict[str, int]
    avg_resolution_hours: float | None


@dataclass(frozen=True)
class WeeklyKpis:
    week: Week
    resolved_by_priority: dict[str, int]
    mrr_protected: float
    validated: int
    avg_resolution: timedelta | None
    avg_resolution_last_week: timedelta | None
    on_time_rate: float | None
    p0_within_24h: float | None
    p1_within_72h: float | None
    prevention_rate: float | None
    level2_escalations: int
    alerts_fired: int
    alerts_acknowledged: int
    median_time_to_ack: timedelta | None
    next_week_deadlines: tuple[DeadlineItem, ...] = ()
    next_week_total: int = 0
    trend: tuple[TrendPoint, ...] = field(default_factory=tuple)
    ci: CiFigures = field(default_factory=CiFigures)  # recurrences and what CI validated

    @property
    def resolved(self) -> int:
        return sum(self.resolved_by_priority.values())

    @property
    def resolution_change(self) -> float | None:
        """Relative change of the average resolution time against last week (-0.15 = 15 % faster)."""
        if self.avg_resolution is None or not self.avg_resolution_last_week:
            return None
        return self.avg_resolution / self.avg_resolution_last_week - 1


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _average(values: Sequence[timedelta]) -> timedelta | None:
    return sum(values, timedelta(0)) / len(values) if values else None


def compute_kpis(
    *,
    week: Week,
    resolved: Sequence[ResolvedItem],
    resolved_last_week: Sequence[ResolvedItem],
    validated: Sequence[ValidatedItem],
    monthly_revenue: float | None,
    level2_escalations: int,
    ack_delays: Sequence[timedelta | None],
    next_week_deadlines: Sequence[DeadlineItem] = (),
    next_week_total: int = 0,
    trend: Sequence[TrendPoint] = (),
    ci: CiFigures | None = None,
) -> WeeklyKpis:
    """The report's figures. `ack_delays`: one per alert fired in the week (None: not acknowledged)."""
    by_priority = {p: 0 for p in PRIORITIES}
    for item in resolved:
        by_priority[item.priority] = by_priority.get(item.priority, 0) + 1
    p0 = [i for i in resolved if i.priority == "P0"]
    p1 = [i for i in resolved if i.priority == "P1"]
    acked = [d for d in ack_delays if d is not None]
    return WeeklyKpis(
        week=week,
        resolved_by_priority=by_priority,
        mrr_protected=sum(mrr_at_risk(v.priority, v.mrr_at_risk, monthly_revenue) or 0.0 for v in validated),
        validated=len(validated),
        avg_resolution=_average([i.resolution for i in resolved]),
        avg_resolution_last_week=_average([i.resolution for i in resolved_last_week]),
        on_time_rate=_rate(sum(1 for i in resolved if i.completed_at <= i.deadline), len(resolved)),
        p0_within_24h=_rate(sum(1 for i in p0 if i.resolution <= P0_TARGET[0]), len(p0)),
        p1_within_72h=_rate(sum(1 for i in p1 if i.resolution <= P1_TARGET[0]), len(p1)),
        prevention_rate=_rate(sum(1 for i in resolved if i.has_prevention), len(resolved)),
        level2_escalations=level2_escalations,
        alerts_fired=len(ack_delays),
        alerts_acknowledged=len(acked),
        median_time_to_ack=timedelta(seconds=median(d.total_seconds() for d in acked)) if acked else None,
        next_week_deadlines=tuple(next_week_deadlines),
        next_week_total=max(next_week_total, len(next_week_deadlines)),
        trend=tuple(trend),
        ci=ci or CiFigures(),
    )


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


def wins_and_gaps(k: WeeklyKpis) -> tuple[list[str], list[str]]:
    """The template's Key Wins and Areas for Improvement, read against the document's targets."""
    wins: list[str] = []
    gaps: list[str] = []

    def judge(rate: float | None, target: float, what: str) -> None:
        if rate is None:
            return
        line = f"{what}: {percent(rate)} (target {percent(target)})"
        (wins if rate >= target else gaps).append(line)

    judge(k.p0_within_24h, P0_TARGET[1], "P0 resolved within 24 h")
    judge(k.p1_within_72h, P1_TARGET[1], "P1 resolved within 72 h")
    judge(k.on_time_rate, ON_TIME_TARGET, "On-time completion")
    judge(k.prevention_rate, PREVENTION_TARGET, "Prevention measures documented")
    if k.level2_escalations == 0:
        wins.append("Zero escalations to Level 2 or above")
    else:
        plural = "s" if k.level2_escalations != 1 else ""
        gaps.append(f"{k.level2_escalations} escalation{plural} to Level 2 or above")
    change = k.resolution_change
    if change is not None and k.avg_resolution is not None:
        avg = format_duration(k.avg_resolution)
        line = f"Average resolution time {avg} ({trend_arrow(change)} from last week)"
        (wins if change <= 0 else gaps).append(line)
    ci_win, ci_gap = k.ci.judged()
    wins += [ci_win] if ci_win else []
    gaps += [ci_gap] if ci_gap else []
    if k.mrr_protected:
        wins.append(f"{money(k.mrr_protected)} MRR protected by {k.validated} validated fixes")
    return wins, gaps


def trend_arrow(change: float) -> str:
    """``↓15%`` (faster), ``↑8%`` (slower), ``→0%``."""
    pct = round(change * 100)
    arrow = "↓" if pct < 0 else "↑" if pct > 0 else "→"
    return f"{arrow}{abs(pct)}%"
