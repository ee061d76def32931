"""The daily standup digest ("P0 Remediation Status — <date>"), composed from plain data.

Sections follow the process document's standup template: Completed today, In progress, Blocked / at risk,
Alerts, plus the open incidents. Every open item appears once: in Blocked / at risk when it is blocked,
overdue, or due within 24 h with no progress note in 48 h; otherwise in In progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from bot.core.reports.recurrence import CiFigures
from bot.core.timing.deadlines import due_soon_window
from bot.core.timing.durations import PRIORITIES, format_duration

STALE_AFTER = timedelta(hours=48)

T = TypeVar("T")


@dataclass(frozen=True)
class DigestItem:
    id: str
    title: str
    priority: str
    status: str
    owner_id: str | None
    deadline: datetime
    created_at: datetime | None = None
    last_progress_at: datetime | None = None
    status_reason: str | None = None
    completed_at: datetime | None = None
    validated_at: datetime | None = None
    issue: tuple[str, str, str | None] | None = None  # its linked issue: (tracker name, number, URL)


@dataclass(frozen=True)
class DigestIncident:
    id: str
    title: str
    severity: str
    status: str
    commander_id: str | None
    declared_at: datetime
    held_open: bool = False  # resolved, but the close-out rule wants a preventative item or a waiver


@dataclass(frozen=True)
class RiskLine:
    item: DigestItem
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Section(Generic[T]):
    """Entries to show (possibly fewer than `total` when the list was capped) and how many there are."""

    entries: tuple[T, ...] = ()
    total: int = 0

    @property
    def hidden(self) -> int:
        return max(0, self.total - len(self.entries))


@dataclass(frozen=True)
class Digest:
    day: date
    now: datetime
    completed: Section[DigestItem] = field(default_factory=Section)
    in_progress: Section[DigestItem] = field(default_factory=Section)
    at_risk: Section[RiskLine] = field(default_factory=Section)
    incidents: Section[DigestIncident] = field(default_factory=Section)
    due_soon: int = 0
    overdue_by_priority: Mapping[str, int] = field(default_factory=dict)
    ci: CiFigures | None = None  # this week's recurrences and what CI validated

    @property
    def overdue(self) -> int:
        return sum(self.overdue_by_priority.values())

    @property
    def nothing_open(self) -> bool:
        sections = (self.completed, self.in_progress, self.at_risk, self.incidents)
        return not any(s.total for s in sections)

    @property
    def title(self) -> str:
        return f"P0 Remediation Status — {self.day.isoformat()}"

    def alert_lines(self) -> list[str]:
        """The template's Alerts: "N items due within 24 hours", "N items overdue (P0: 1, P2: 2)"."""
        lines = [f"{_count(self.due_soon, 'item')} due within 24 hours"]
        if self.overdue:
            parts = ", ".join(
                f"{p}: {self.overdue_by_priority[p]}" for p in PRIORITIES if self.overdue_by_priority.get(p)
            )
            lines.append(f"{_count(self.overdue, 'item')} overdue ({parts})")
        else:
            lines.append("nothing overdue")
        return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def is_at_risk(item: DigestItem, now: datetime) -> bool:
    return bool(risk_reasons(item, now))


def risk_reasons(item: DigestItem, now: datetime) -> tuple[str, ...]:
    """Why an open item belongs in Blocked / at risk (empty when it does not)."""
    reasons: list[str] = []
    if item.status == "blocked":
        reasons.append(f"blocked: {item.status_reason}" if item.status_reason else "blocked")
    if item.deadline < now:
        reasons.append(f"overdue by {format_duration(now - item.deadline)}")
    elif item.deadline in due_soon_window(now):
        last = item.last_progress_at
        if last is None or last < now - STALE_AFTER:
            reasons.append(f"due in {format_duration(item.deadline - now)} with no progress note in 48 h")
    return tuple(reasons)


def compose_digest(
    *,
    day: date,
    now: datetime,
    completed: Sequence[DigestItem],
    completed_total: int,
    open_items: Sequence[DigestItem],
    in_progress_total: int,
    at_risk_items: Sequence[DigestItem],
    at_risk_total: int,
    incidents: Sequence[DigestIncident],
    incidents_total: int,
    due_soon: int,
    overdue_by_priority: Mapping[str, int],
    ci: CiFigures | None = None,
) -> Digest:
    """The digest. `open_items` and `at_risk_items` may overlap or be capped; each item is placed once."""
    risk = [RiskLine(i, risk_reasons(i, now)) for i in at_risk_items]
    risk = [r for r in risk if r.reasons]
    risk.sort(key=lambda r: (r.item.status != "blocked" and r.item.deadline >= now, r.item.deadline))
    risky_ids = {r.item.id for r in risk}
    progress = [i for i in open_items if i.id not in risky_ids and not is_at_risk(i, now)]
    progress.sort(key=lambda i: (i.deadline, i.priority, i.id))
    return Digest(
        day=day,
        now=now,
        completed=Section(tuple(completed), max(completed_total, len(completed))),
        in_progress=Section(tuple(progress), max(in_progress_total, len(progress))),
        at_risk=Section(tuple(risk), max(at_risk_total, len(risk))),
        incidents=Section(tuple(incidents), max(incidents_total, len(incidents))),
        due_soon=due_soon,
        overdue_by_priority=dict(overdue_by_priority),
        ci=ci,
    )
