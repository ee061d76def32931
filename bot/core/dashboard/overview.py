"""The overview's panels, computed from the aggregates the storage layer returns (plain mappings).

- Status board: open items by priority, overdue (red), due within 24 h (amber), blocked, awaiting validation.
- Business impact: MRR at risk now (open items: their own figure, else the default share of MONTHLY_REVENUE
  for their priority), MRR protected month-to-date (validated), users and availability affected, and the
  business value protected per the process document: (hourly revenue x hours saved) - remediation cost for
  each fix validated this month, hourly revenue being MONTHLY_REVENUE / 730.
- Team performance over the last eight weeks against the document's targets.
- Incidents: MTTA (declaration to acknowledgement) and MTTR (start of impact to resolution) by severity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.items.rules import default_mrr
from bot.core.timing.durations import PRIORITIES

HOURS_PER_MONTH = 730.0  # 365 x 24 / 12
P0_HOURS, P0_TARGET = 24, 0.95
P1_HOURS, P1_TARGET = 72, 0.90
ON_TIME_TARGET = 0.95
PREVENTION_TARGET = 1.0
RECURRENCE_TARGET = 0.05  # at most
ANALYSIS_TARGET_HOURS = 2.0
VALIDATION_TARGET = 1.0
WEEKS = 8

Counts = Mapping[str, Mapping[str, Any]]  # priority (or severity) -> column -> value


@dataclass(frozen=True)
class BoardRow:
    priority: str
    open: int
    overdue: int
    due_soon: int
    blocked: int
    awaiting: int


@dataclass(frozen=True)
class StatusBoard:
    rows: tuple[BoardRow, ...]
    total: BoardRow


def _int(row: Mapping[str, Any] | None, key: str) -> int:
    return int((row or {}).get(key) or 0)


def status_board(counts: Counts) -> StatusBoard:
    keys = ("open", "overdue", "due_soon", "blocked", "awaiting")
    priorities = [*PRIORITIES, *sorted(set(counts) - set(PRIORITIES))]
    rows = tuple(BoardRow(p, *(_int(counts.get(p), k) for k in keys)) for p in priorities)
    total = BoardRow("all", *(sum(getattr(r, k) for r in rows) for k in keys))
    return StatusBoard(rows, total)


@dataclass(frozen=True)
class Impact:
    mrr_at_risk: float | None  # None: no open item has a figure and MONTHLY_REVENUE is unset
    open_unassessed: int  # open items counted without a figure
    mrr_protected: float | None
    validated: int  # this month
    users_affected: int
    worst_availability: float | None  # the largest availability impact of an open item, in %
    business_value: float | None  # None: not configured
    hourly_revenue: float | None


def _mrr(rows: Counts, monthly_revenue: float | None) -> tuple[float | None, int]:
    """Sum of the given figures plus the defaults for the rest; how many items had neither."""
    total: float | None = None
    unassessed = 0
    for priority, row in rows.items():
        if row.get("mrr") is not None:
            total = (total or 0.0) + float(row["mrr"])
        unset = _int(row, "mrr_unset")
        default = default_mrr(priority, monthly_revenue)
        if unset and default is not None:
            total = (total or 0.0) + default * unset
        elif unset:
            unassessed += unset
    return total, unassessed


def business_value(
    validated_by_priority: Mapping[str, int],
    *,
    monthly_revenue: float | None,
    hours_saved: Mapping[str, float],
    cost_per_fix: float,
) -> float | None:
    """(hourly revenue x hours saved) - remediation cost, summed over the validated fixes of the priorities
    that have hours saved; None (not configured) without MONTHLY_REVENUE or hours saved."""
    if not monthly_revenue or not hours_saved:
        return None
    hourly = monthly_revenue / HOURS_PER_MONTH
    return sum(
        n * (hourly * hours_saved[p] - cost_per_fix)
        for p, n in validated_by_priority.items()
        if p in hours_saved
    )


def impact(
    open_rows: Counts,
    validated_rows: Counts,
    *,
    monthly_revenue: float | None,
    hours_saved: Mapping[str, float],
    cost_per_fix: float,
) -> Impact:
    at_risk, unassessed = _mrr(open_rows, monthly_revenue)
    protected, _ = _mrr(validated_rows, monthly_revenue)
    validated = {p: _int(r, "items") for p, r in validated_rows.items()}
    availability = [float(r["availability"]) for r in open_rows.values() if r.get("availability") is not None]
    return Impact(
        mrr_at_risk=at_risk,
        open_unassessed=unassessed,
        mrr_protected=protected if protected is not None else (0.0 if not validated_rows else None),
        validated=sum(validated.values()),
        users_affected=sum(_int(r, "users") for r in open_rows.values()),
        worst_availability=max(availability) if availability else None,
        business_value=business_value(
            validated, monthly_revenue=monthly_revenue, hours_saved=hours_saved, cost_per_fix=cost_per_fix
        ),
        hourly_revenue=monthly_revenue / HOURS_PER_MONTH if monthly_revenue else None,
    )


@dataclass(frozen=True)
class Rate:
    """`hits` of `total` against a target; `at_most`: the target is a ceiling (recurrence)."""

    hits: int
    total: int
    target: float | None = None
    at_most: bool = False

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target


@dataclass(frozen=True)
class OwnerRow:
    owner_id: str | None
    open: int
    overdue: int
    completed: int


@dataclass(frozen=True)
class TeamPerformance:
    resolved: int
    resolved_by_priority: dict[str, int]
    avg_resolution_hours: dict[str, float | None]
    on_time: Rate
    p0_within_24h: Rate
    p1_within_72h: Rate
    prevention: Rate
    recurrence: Rate
    validation: Rate
    analyses: int
    analysis_hours: float | None
    analysis_within_2h: Rate
    owners: tuple[OwnerRow, ...]


def team_performance(
    resolution: Counts, *, analysis: Mapping[str, Any], owners: Sequence[Mapping[str, Any]]
) -> TeamPerformance:
    """`resolution`: per priority, resolved, on_time, within_24h, within_72h, prevention, validated,
    recurred, avg_seconds of the items completed in the window."""

    def total(key: str) -> int:
        return sum(_int(r, key) for r in resolution.values())

    p0, p1 = resolution.get("P0"), resolution.get("P1")
    drafts = int(analysis.get("drafts") or 0)
    return TeamPerformance(
        resolved=total("resolved"),
        resolved_by_priority={p: _int(resolution.get(p), "resolved") for p in PRIORITIES},
        avg_resolution_hours={
            p: (
                float(r["avg_seconds"]) / 3600
                if (r := resolution.get(p)) and r.get("avg_seconds") is not None
                else None
            )
            for p in PRIORITIES
        },
        on_time=Rate(total("on_time"), total("resolved"), ON_TIME_TARGET),
        p0_within_24h=Rate(_int(p0, "within_24h"), _int(p0, "resolved"), P0_TARGET),
        p1_within_72h=Rate(_int(p1, "within_72h"), _int(p1, "resolved"), P1_TARGET),
        prevention=Rate(total("prevention"), total("resolved"), PREVENTION_TARGET),
        recurrence=Rate(total("recurred"), total("resolved"), RECURRENCE_TARGET, at_most=True),
        validation=Rate(total("validated"), total("resolved"), VALIDATION_TARGET),
        analyses=drafts,
        analysis_hours=float(analysis["avg_hours"]) if analysis.get("avg_hours") is not None else None,
        analysis_within_2h=Rate(int(analysis.get("within_2h") or 0), drafts, 1.0),
        owners=tuple(
            OwnerRow(o.get("owner_id"), _int(o, "open"), _int(o, "overdue"), _int(o, "completed"))
            for o in owners
        ),
    )


@dataclass(frozen=True)
class SeverityTimes:
    severity: str
    declared: int
    acknowledged: int
    mtta_seconds: float | None
    resolved: int
    mttr_seconds: float | None


def _weighted(pairs: Sequence[tuple[float | None, int]]) -> float | None:
    n = sum(c for v, c in pairs if v is not None)
    return sum(v * c for v, c in pairs if v is not None) / n if n else None


def incident_times(buckets: Sequence[Mapping[str, Any]]) -> tuple[SeverityTimes, ...]:
    """MTTA and MTTR by severity over the whole window, from the per-week, per-severity averages."""
    out = []
    for sev in PRIORITIES:
        rows = [b for b in buckets if b.get("severity") == sev]
        out.append(
            SeverityTimes(
                severity=sev,
                declared=sum(_int(r, "declared") for r in rows),
                acknowledged=sum(_int(r, "acked") for r in rows),
                mtta_seconds=_weighted([(r.get("ack_seconds"), _int(r, "acked")) for r in rows]),
                resolved=sum(_int(r, "resolved") for r in rows),
                mttr_seconds=_weighted([(r.get("resolve_seconds"), _int(r, "resolved")) for r in rows]),
            )
        )
    return tuple(out)


def money(amount: float | None, *, missing: str = "not assessed") -> str:
    return missing if amount is None else (f"-${-amount:,.0f}" if amount < 0 else f"${amount:,.0f}")


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"
