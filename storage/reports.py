"""Queries behind the scheduled jobs (escalations, reminders, digest, weekly report).

Session first, keyword-only, never commit. Everything is filtered and aggregated in SQL on indexed columns
((status, deadline), completed_at, validated_at, alert.fired_at), so the cost grows with the open and
overdue items and the week's activity, never with the whole history. Rows come back as SQLAlchemy rows
(named tuples) of just the columns a job needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage import queries
from storage.incidents import ACTIVE_STATUSES as ACTIVE_INCIDENT_STATUSES
from storage.models import Alert, Claim, Incident, RemediationItem

Item = RemediationItem
DONE_STATUSES = ("completed", "validated")
NOT_CLOSED_INCIDENT = (*ACTIVE_INCIDENT_STATUSES, "resolved")


def _done() -> ColumnElement[bool]:
    """Status completed or validated, written so that SQLite never picks the status index for it: where a
    time range (completed_at, validated_at) is the selective condition, that range's index must drive the
    query, not a scan of every finished item in history. (PostgreSQL plans from statistics either way.)"""
    return col(Item.status).concat("").in_(DONE_STATUSES)


_ITEM_COLUMNS = tuple(
    col(c)
    for c in (
        col(Item.id),
        col(Item.title),
        col(Item.priority),
        col(Item.status),
        col(Item.owner_id),
        col(Item.deadline),
        col(Item.created_at),
        col(Item.last_progress_at),
        col(Item.status_reason),
        col(Item.completed_at),
        col(Item.validated_at),
    )
)


def _seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# --- escalations and reminders ------------------------------------------------------------------------


def overdue_candidates(
    session: Session,
    *,
    now: datetime,
    statuses: Sequence[str],
    earliest: dict[str, timedelta],
    last_level: dict[str, int],
    alert_kind: str,
) -> list[Row[Any]]:
    """Open items past their deadline by at least the earliest escalation threshold of their priority,
    except those whose ladder is done (the last level of their priority has fired): a long-overdue
    backlog costs one index probe per item, not a load of its alerts on every sweep."""
    if not earliest:
        return []
    done = exists().where(
        col(Alert.subject_id) == col(Item.id),
        col(Alert.kind) == alert_kind,
        col(Alert.level) == case(last_level, value=col(Item.priority), else_=literal(-1)),
    )
    per_priority = [
        and_(col(Item.priority) == p, col(Item.deadline) <= now - after) for p, after in earliest.items()
    ]
    stmt = (
        select(
            col(Item.id),
            col(Item.title),
            col(Item.priority),
            col(Item.status),
            col(Item.owner_id),
            col(Item.reporter_id),
            col(Item.deadline),
            col(Item.mrr_at_risk),
        )
        .where(
            col(Item.status).in_(statuses),
            col(Item.deadline) <= now - min(earliest.values()),
            or_(*per_priority),
            not_(done),
        )
        .order_by(col(Item.deadline), col(Item.id))
    )
    return list(session.execute(stmt))


def due_between(
    session: Session, *, start: datetime, end: datetime, statuses: Sequence[str], limit: int | None = None
) -> list[Row[Any]]:
    """Open items whose deadline falls in [start, end), soonest first."""
    stmt = (
        select(*_ITEM_COLUMNS, col(Item.mrr_at_risk))
        .where(col(Item.status).in_(statuses), col(Item.deadline) >= start, col(Item.deadline) < end)
        .order_by(col(Item.deadline), col(Item.id))
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt))


def count_due_between(session: Session, *, start: datetime, end: datetime, statuses: Sequence[str]) -> int:
    stmt = select(func.count()).where(
        col(Item.status).in_(statuses), col(Item.deadline) >= start, col(Item.deadline) < end
    )
    return int(session.execute(stmt).scalar_one())


def existing_claims(session: Session, *, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are claimed already (one query per 500 keys)."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = list(keys[i : i + 500])
        found.update(session.scalars(select(col(Claim.key)).where(col(Claim.key).in_(chunk))))
    return found


def claim_all(session: Session, *, keys: Sequence[str], now: datetime, owner: str = "") -> set[str]:
    """Claim every key not claimed yet, in one insert; returns the keys this call claimed. Only when a
    concurrent run claimed some of them first does it fall back to one savepoint per key."""
    if not keys:
        return set()
    try:
        with session.begin_nested():
            session.add_all([Claim(key=k, claimed_at=now, owner=owner) for k in keys])
        return set(keys)
    except IntegrityError:
        return {k for k in keys if queries.try_claim(session, key=k, now=now, owner=owner)}


# --- daily digest ---------------------------------------------------------------------------------------


def completed_between(
    session: Session, *, start: datetime, end: datetime, limit: int
) -> tuple[list[Row[Any]], int]:
    """Items completed or validated in [start, end) (newest first, at most `limit`) and how many there are.
    Driven by the completed_at and validated_at indexes, so a long history costs nothing."""
    when = or_(
        and_(col(Item.completed_at) >= start, col(Item.completed_at) < end),
        and_(col(Item.validated_at) >= start, col(Item.validated_at) < end),
    )
    where = and_(when, _done())
    rows = session.execute(
        select(*_ITEM_COLUMNS)
        .where(where)
        .order_by(func.coalesce(col(Item.validated_at), col(Item.completed_at)).desc(), col(Item.id))
        .limit(limit)
    )
    total = session.execute(select(func.count()).where(where)).scalar_one()
    return list(rows), int(total)


def _at_risk(now: datetime, due_soon: timedelta, stale_after: timedelta) -> ColumnElement[bool]:
    """Blocked, overdue, or due soon with no progress note lately: the twin of
    core.reports.digest.risk_reasons and of storage.items.at_risk."""
    return or_(
        col(Item.status) == "blocked",
        col(Item.deadline) < now,
        and_(
            col(Item.deadline) < now + due_soon,
            or_(col(Item.last_progress_at).is_(None), col(Item.last_progress_at) < now - stale_after),
        ),
    )


def on_track(
    session: Session,
    *,
    now: datetime,
    statuses: Sequence[str],
    due_soon: timedelta,
    stale_after: timedelta,
    limit: int,
) -> tuple[list[Row[Any]], int]:
    """Open items that are not at risk, by deadline (at most `limit`), and how many there are."""
    where = and_(col(Item.status).in_(statuses), not_(_at_risk(now, due_soon, stale_after)))
    rows = session.execute(
        select(*_ITEM_COLUMNS).where(where).order_by(col(Item.deadline), col(Item.id)).limit(limit)
    )
    total = session.execute(select(func.count()).where(where)).scalar_one()
    return list(rows), int(total)


def open_incidents(session: Session, *, limit: int) -> tuple[list[Row[Any]], int]:
    """Incidents not closed yet (most severe, then newest first; at most `limit`) and how many there are."""
    # The statuses before closed, spelled out: `status != 'closed'` cannot use ix_incident_status, so it
    # read every incident ever declared (measured: the one full-table read left in the digest).
    where = col(Incident.status).in_(NOT_CLOSED_INCIDENT)
    rows = session.execute(
        select(
            col(Incident.id),
            col(Incident.title),
            col(Incident.severity),
            col(Incident.status),
            col(Incident.commander_id),
            col(Incident.declared_at),
        )
        .where(where)
        .order_by(col(Incident.severity), col(Incident.declared_at).desc())
        .limit(limit)
    )
    total = session.execute(select(func.count()).select_from(Incident).where(where)).scalar_one()
    return list(rows), int(total)


# --- weekly report --------------------------------------------------------------------------------------


def resolved_between(session: Session, *, start: datetime, end: datetime) -> list[Row[Any]]:
    """Items whose work was completed in [start, end) and stayed done, with whether prevention is recorded."""
    stmt = select(
        col(Item.id),
        col(Item.priority),
        col(Item.created_at),
        col(Item.completed_at),
        col(Item.deadline),
        (func.json_array_length(col(Item.prevention)) > 0).label("has_prevention"),
    ).where(
        col(Item.completed_at) >= start,
        col(Item.completed_at) < end,
        _done(),
    )
    return list(session.execute(stmt))


def validated_between(session: Session, *, start: datetime, end: datetime) -> list[Row[Any]]:
    stmt = select(col(Item.priority), col(Item.mrr_at_risk)).where(
        col(Item.validated_at) >= start,
        col(Item.validated_at) < end,
        col(Item.status).concat("") == "validated",  # the validated_at index drives it (see _done)
    )
    return list(session.execute(stmt))


def alerts_between(session: Session, *, kind: str, start: datetime, end: datetime) -> list[Row[Any]]:
    """(level, fired_at, acked_at) of the alerts of `kind` fired in [start, end)."""
    stmt = select(col(Alert.level), col(Alert.fired_at), col(Alert.acked_at)).where(
        col(Alert.fired_at) >= start, col(Alert.fired_at) < end, col(Alert.kind) == kind
    )
    return list(session.execute(stmt))


def open_by_priority_at(
    session: Session, *, instants: Sequence[datetime], statuses: Sequence[str]
) -> list[dict[str, int]]:
    """For each instant, how many items of each priority were open then: created, and not completed yet.

    Only items open now or completed since the first instant can have been open at any of them, so the scan
    is bounded by the open items and the period's completions, not by the history. Items later cancelled
    are left out (work given up is not backlog).
    """
    if not instants:
        return []
    first = min(instants)
    candidates = or_(
        col(Item.status).in_(statuses),
        and_(_done(), col(Item.completed_at) >= first),
    )
    columns = []
    for i, t in enumerate(instants):
        is_open = and_(
            col(Item.created_at) <= t,
            or_(col(Item.status).in_(statuses), col(Item.completed_at) > t),
        )
        columns.append(func.sum(case((is_open, 1), else_=0)).label(f"w{i}"))
    stmt = select(col(Item.priority), *columns).where(candidates).group_by(col(Item.priority))
    out: list[dict[str, int]] = [{} for _ in instants]
    for row in session.execute(stmt):
        for i in range(len(instants)):
            out[i][row[0]] = int(row[i + 1] or 0)
    return out


def average_resolution_by_period(session: Session, *, boundaries: Sequence[datetime]) -> list[float | None]:
    """Average hours from creation to completion of the items completed in each [boundaries[i], [i+1])."""
    if len(boundaries) < 2:
        return []
    dialect = session.get_bind().dialect.name
    bucket = case(
        *[(col(Item.completed_at) < boundaries[i + 1], literal(i)) for i in range(len(boundaries) - 1)],
        else_=literal(-1),
    ).label("bucket")
    seconds = _seconds_between(col(Item.completed_at), col(Item.created_at), dialect)
    stmt = (
        select(bucket, func.avg(seconds))
        .where(
            col(Item.completed_at) >= boundaries[0],
            col(Item.completed_at) < boundaries[-1],
            _done(),
        )
        .group_by(bucket)
    )
    out: list[float | None] = [None] * (len(boundaries) - 1)
    for b, avg in session.execute(stmt):
        if b is not None and 0 <= int(b) < len(out) and avg is not None:
            out[int(b)] = float(avg) / 3600.0
    return out
