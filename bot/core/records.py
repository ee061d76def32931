"""Plain, frozen records of what the stores hold: what builders, rules and reports read.

Block Kit builders, e-mail and web-hook payloads and the dashboard take these, never ORM rows, so they can be
built and tested without a database and cannot lazy-load or write anything. `of(row)` copies the fields of
anything that has them (an ORM row, another record); the stores' rows have exactly these attribute names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

R = TypeVar("R")


def _copy(cls: type[R], row: Any) -> R:
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = getattr(row, f.name, None)
        if isinstance(value, list):
            value = tuple(dict(v) if isinstance(v, dict) else v for v in value)
        elif isinstance(value, dict):
            value = dict(value)
        values[f.name] = value
    return cls(**values)


@dataclass(frozen=True)
class ItemRecord:
    """A remediation item as it stands."""

    id: str
    title: str
    priority: str
    status: str
    reporter_id: str
    deadline: datetime
    created_at: datetime
    updated_at: datetime
    description: str = ""
    kind: str = "corrective"
    owner_id: str | None = None
    incident_id: str | None = None
    source_ref: str | None = None
    mrr_at_risk: float | None = None
    users_affected: int | None = None
    availability_impact: float | None = None
    blocked_from: str | None = None
    status_reason: str | None = None
    validated_by: str | None = None
    systems: tuple[str, ...] = ()
    criteria: tuple[dict[str, Any], ...] = ()  # ({"text": str, "done": bool}, …)
    prevention: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = ()  # ({"kind", "ref", "note", "by", "at"}, …)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    validated_at: datetime | None = None
    cancelled_at: datetime | None = None
    last_progress_at: datetime | None = None
    issue: tuple[str, str, str | None] | None = None  # its linked issue: (tracker name, number, URL)

    @classmethod
    def of(cls, row: Any) -> ItemRecord:
        return row if isinstance(row, cls) else _copy(cls, row)


@dataclass(frozen=True)
class IncidentRecord:
    """An incident as it stands."""

    id: str
    title: str
    severity: str
    status: str
    declared_by: str
    commander_id: str
    started_at: datetime
    declared_at: datetime
    updated_at: datetime
    impact: str = ""
    users_affected: int | None = None
    detection: str = "manual"
    responders: tuple[str, ...] = ()
    channel_id: str | None = None
    resolution_summary: str | None = None
    waiver_reason: str | None = None
    eta: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_elsewhere: str | None = None  # e.g. "PagerDuty by Carol Oncall"
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    monitoring_until: datetime | None = None
    last_update_at: datetime | None = None
    next_update_due: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> IncidentRecord:
        return row if isinstance(row, cls) else _copy(cls, row)


@dataclass(frozen=True)
class TimelineEntry:
    """One entry in the history of an item or incident."""

    subject_id: str
    at: datetime
    kind: str
    summary: str
    actor_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Any) -> TimelineEntry:
        return row if isinstance(row, cls) else _copy(cls, row)
