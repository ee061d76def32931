"""Queries behind the web dashboard: session first, keyword-only, never commit.

Every figure is aggregated in SQL (GROUP BY priority, severity, week or owner) over indexed columns: the
open items through (status, deadline), finished work through completed_at / validated_at, incidents through
declared_at. A page reads a few dozen rows however long the history is; the item list reads one page of
rows plus one count. Sign-in links and sessions are found by the SHA-256 of their secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Row
from sqlalchemy.types import NullType
from sqlmodel import Session, SQLModel, col

from storage.models import ExtractionDraft, Incident, RemediationItem, SlackUser, TimelineEvent
from storage.models_dashboard import DashboardLink, DashboardSession
from storage.models_evidence import Recurrence

Item = RemediationItem
OPEN = ("identified", "planned", "in_progress", "blocked")
DONE = ("completed", "validated")
ACTIVE_INCIDENT = ("investigating", "identified", "mitigating", "monitoring")


def _seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _status_is(*statuses: str) -> ColumnElement[bool]:
    """Status among `statuses`, written so that SQLite never prefers the status index where a time range's
    index is the selective one (see storage.reports)."""
    return col(Item.status).concat("").in_(statuses)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


# --- sign-in links and sessions ---------------------------------------------------------------------------


def add_link(session: Session, *, token_hash: str, user_id: str, now: datetime, expires_at: datetime) -> None:
    session.add(DashboardLink(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at))


def claim_link(session: Session, *, token_hash: str, now: datetime) -> str | None:
    """Mark the link used if it is unused and unexpired, in one UPDATE (two openings at once: one wins);
    the user it signs in, or None."""
    stmt = (
        update(DashboardLink)
        .where(
            col(DashboardLink.token_hash) == token_hash,
            col(DashboardLink.used_at).is_(None),
            col(DashboardLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        return None
    link = session.get(DashboardLink, token_hash)
    return link.user_id if link is not None else None


def get_link(session: Session, *, token_hash: str) -> DashboardLink | None:
    return session.get(DashboardLink, token_hash)


def add_session(session: Session, *, id_hash: str, user_id: str, now: datetime, expires_at: datetime) -> None:
    session.add(DashboardSession(id_hash=id_hash, user_id=user_id, created_at=now, expires_at=expires_at))


def session_user(session: Session, *, id_hash: str, now: datetime) -> str | None:
    stmt = select(col(DashboardSession.user_id)).where(
        col(DashboardSession.id_hash) == id_hash, col(DashboardSession.expires_at) > now
    )
    return session.execute(stmt).scalar_one_or_none()


def end_session(session: Session, *, id_hash: str) -> None:
    session.execute(delete(DashboardSession).where(col(DashboardSession.id_hash) == id_hash))


def purge_expired(session: Session, *, before: datetime) -> None:
    """Forget links and sessions that expired before `before`."""
    session.execute(delete(DashboardLink).where(col(DashboardLink.expires_at) < before))
    session.execute(delete(DashboardSession).where(col(DashboardSession.expires_at) < before))


# --- overview ---------------------------------------------------------------------------------------------


def status_board(session: Session, *, now: datetime, soon: datetime) -> list[Row[Any]]:
    """Per priority: open, overdue, due before `soon`, blocked; and completed (awaiting validation)."""
    deadline = col(Item.deadline)
    stmt = (
        select(
            col(Item.priority),
            _count_if(col(Item.status).in_(OPEN)).label("open"),
            _count_if(and_(col(Item.status).in_(OPEN), deadline < now)).label("overdue"),
            _count_if(and_(col(Item.status).in_(OPEN), deadline >= now, deadline < soon)).label("due_soon"),
            _count_if(col(Item.status) == "blocked").label("blocked"),
            _count_if(col(Item.status) == "completed").label("awaiting"),
        )
        .where(col(Item.status).in_((*OPEN, "completed")))
        .group_by(col(Item.priority))
    )
    return list(session.execute(stmt))


def open_impact(session: Session) -> list[Row[Any]]:
    """Per priority of the open items: their MRR at risk (where given), how many have none, users affected
    and the largest availability impact."""
    stmt = (
        select(
            col(Item.priority),
            func.count().label("items"),
            func.sum(col(Item.mrr_at_risk)).label("mrr"),
            _count_if(col(Item.mrr_at_risk).is_(None)).label("mrr_unset"),
            func.sum(col(Item.users_affected)).label("users"),
            func.max(col(Item.availability_impact)).label("availability"),
        )
        .where(col(Item.status).in_(OPEN))
        .group_by(col(Item.priority))
    )
    return list(session.execute(stmt))


def validated_impact(session: Session, *, start: datetime, end: datetime) -> list[Row[Any]]:
    """Per priority of the items validated in [start, end): how many, their MRR (where given), how many
    have none."""
    stmt = (
        select(
            col(Item.priority),
            func.count().label("items"),
            func.sum(col(Item.mrr_at_risk)).label("mrr"),
            _count_if(col(Item.mrr_at_risk).is_(None)).label("mrr_unset"),
        )
        .where(col(Item.validated_at) >= start, col(Item.validated_at) < end, _status_is("validated"))
        .group_by(col(Item.priority))
    )
    return list(session.execute(stmt))


def resolution_stats(session: Session, *, start: datetime, end: datetime) -> list[Row[Any]]:
    """Per priority of the items completed in [start, end) and still done: how many, on time, within 24 h
    and 72 h of creation, with prevention recorded, validated since, recurred; and the average hours."""
    seconds = _seconds(col(Item.completed_at), col(Item.created_at), _dialect(session))
    recurred = exists().where(col(Recurrence.item_id) == col(Item.id))
    stmt = (
        select(
            col(Item.priority),
            func.count().label("resolved"),
            _count_if(col(Item.completed_at) <= col(Item.deadline)).label("on_time"),
            _count_if(seconds <= 24 * 3600).label("within_24h"),
            _count_if(seconds <= 72 * 3600).label("within_72h"),
            _count_if(func.json_array_length(col(Item.prevention)) > 0).label("prevention"),
            _count_if(col(Item.status) == "validated").label("validated"),
            _count_if(recurred).label("recurred"),
            func.avg(seconds).label("avg_seconds"),
        )
        .where(col(Item.completed_at) >= start, col(Item.completed_at) < end, _status_is(*DONE))
        .group_by(col(Item.priority))
    )
    return list(session.execute(stmt))


def resolution_trend(session: Session, *, boundaries: Sequence[datetime]) -> list[Row[Any]]:
    """(bucket, priority, resolved, average hours) of the items completed in each [boundaries[i], [i+1])."""
    if len(boundaries) < 2:
        return []
    bucket = case(
        *[(col(Item.completed_at) < boundaries[i + 1], literal(i)) for i in range(len(boundaries) - 1)],
        else_=literal(-1),
    ).label("bucket")
    seconds = _seconds(col(Item.completed_at), col(Item.created_at), _dialect(session))
    stmt = (
        select(
            bucket,
            col(Item.priority),
            func.count().label("resolved"),
            (func.avg(seconds) / 3600.0).label("h"),
        )
        .where(
            col(Item.completed_at) >= boundaries[0],
            col(Item.completed_at) < boundaries[-1],
            _status_is(*DONE),
        )
        .group_by(bucket, col(Item.priority))
    )
    return list(session.execute(stmt))


def analysis_to_execution(session: Session, *, start: datetime, end: datetime) -> Row[Any]:
    """Analyses turned into items in [start, end): how many, the average hours from the analysis being read
    to its items being created, and how many within two hours."""
    seconds = _seconds(col(ExtractionDraft.used_at), col(ExtractionDraft.created_at), _dialect(session))
    stmt = select(
        func.count().label("drafts"),
        (func.avg(seconds) / 3600.0).label("avg_hours"),
        _count_if(seconds <= 2 * 3600).label("within_2h"),
    ).where(
        col(ExtractionDraft.used_at) >= start,
        col(ExtractionDraft.used_at) < end,
        func.json_array_length(col(ExtractionDraft.created_ids)) > 0,
    )
    return session.execute(stmt).one()


def per_owner(session: Session, *, now: datetime, start: datetime, limit: int) -> list[Row[Any]]:
    """Per owner: open, overdue, and completed since `start`; the owners with most open work first.

    Two index-friendly reads (the open items through (status, deadline), the work finished since `start`
    through completed_at) added up per owner: one OR over both would read every item."""
    open_rows: Select[Any] = select(
        col(Item.owner_id).label("owner_id"),
        literal(1).label("is_open"),
        case((col(Item.deadline) < now, 1), else_=0).label("is_overdue"),
        literal(0).label("is_completed"),
    ).where(col(Item.status).in_(OPEN))
    done_rows: Select[Any] = select(
        col(Item.owner_id).label("owner_id"),
        literal(0).label("is_open"),
        literal(0).label("is_overdue"),
        literal(1).label("is_completed"),
    ).where(col(Item.completed_at) >= start, _status_is(*DONE))
    rows = union_all(open_rows, done_rows).subquery("owned")
    open_count = func.sum(rows.c.is_open)
    stmt = (
        select(
            rows.c.owner_id.label("owner_id"),
            open_count.label("open"),
            func.sum(rows.c.is_overdue).label("overdue"),
            func.sum(rows.c.is_completed).label("completed"),
        )
        .group_by(rows.c.owner_id)
        .order_by(open_count.desc(), rows.c.owner_id)
        .limit(limit)
    )
    return list(session.execute(stmt))


def open_incidents(session: Session, *, limit: int) -> list[Incident]:
    stmt = (
        select(Incident)
        .where(col(Incident.status).in_(ACTIVE_INCIDENT))
        .order_by(col(Incident.severity), col(Incident.declared_at))
        .limit(limit)
    )
    return list(session.scalars(stmt))


def incident_times(session: Session, *, boundaries: Sequence[datetime]) -> list[Row[Any]]:
    """(bucket, severity, declared, acknowledged, average seconds to acknowledge, resolved, average seconds
    to resolve) of the incidents declared in each [boundaries[i], [i+1]). Acknowledgement is timed from the
    declaration, resolution from the start of impact."""
    if len(boundaries) < 2:
        return []
    declared = col(Incident.declared_at)
    bucket = case(
        *[(declared < boundaries[i + 1], literal(i)) for i in range(len(boundaries) - 1)], else_=literal(-1)
    ).label("bucket")
    dialect = _dialect(session)
    to_ack = _seconds(col(Incident.acknowledged_at), declared, dialect)
    to_resolve = _seconds(col(Incident.resolved_at), col(Incident.started_at), dialect)
    stmt = (
        select(
            bucket,
            col(Incident.severity),
            func.count().label("declared"),
            func.count(col(Incident.acknowledged_at)).label("acked"),
            func.avg(to_ack).label("ack_seconds"),
            func.count(col(Incident.resolved_at)).label("resolved"),
            func.avg(to_resolve).label("resolve_seconds"),
        )
        .where(declared >= boundaries[0], declared < boundaries[-1])
        .group_by(bucket, col(Incident.severity))
    )
    return list(session.execute(stmt))


def user_names(session: Session, *, user_ids: Sequence[str]) -> dict[str, str]:
    """Cached display names (never asks Slack): real name, else handle."""
    ids = sorted({u for u in user_ids if u})
    if not ids:
        return {}
    rows = session.execute(
        select(col(SlackUser.id), col(SlackUser.real_name), col(SlackUser.name)).where(
            col(SlackUser.id).in_(ids)
        )
    )
    return {r[0]: r[1] or r[2] or r[0] for r in rows}


# --- the item list ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemQuery:
    """What the item list shows. Empty fields do not filter; `statuses` are exact statuses."""

    priorities: Sequence[str] = ()
    statuses: Sequence[str] = ()
    owner_id: str | None = None  # "" = nobody owns it
    system: str | None = None
    incident_id: str | None = None
    date_field: str = "created"  # created | deadline | completed | validated
    date_from: datetime | None = None  # at or after
    date_to: datetime | None = None  # strictly before
    overdue_at: datetime | None = None  # only open items past their deadline at this instant
    sort: str = "deadline"
    descending: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


DATE_FIELDS = {
    "created": col(Item.created_at),
    "deadline": col(Item.deadline),
    "completed": col(Item.completed_at),
    "validated": col(Item.validated_at),
}
_PRIORITY_RANK = case({"P0": 0, "P1": 1, "P2": 2, "P3": 3}, value=col(Item.priority), else_=9)
SORTS = {
    "id": col(Item.id),
    "title": col(Item.title),
    "priority": _PRIORITY_RANK,
    "status": col(Item.status),
    "owner": col(Item.owner_id),
    "deadline": col(Item.deadline),
    "created": col(Item.created_at),
    "completed": col(Item.completed_at),
    "mrr": col(Item.mrr_at_risk),
}


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def systems_key() -> ColumnElement[Any]:
    """The item's systems, lower-cased, as jsonb: the expression PostgreSQL's GIN index ix_item_systems
    holds (storage.models), so ``@>`` on it reads only the items that list the system."""
    return cast(func.lower(cast(col(Item.systems), Text)), JSONB)


def _system_is(system: str, dialect: str) -> ColumnElement[bool]:
    """The items whose systems list holds `system`, in any case (ASCII letters)."""
    wanted = system.lower()
    if dialect == "postgresql":
        return systems_key().op("@>")(cast(literal(json.dumps([wanted])), JSONB))
    # SQLite's LIKE ignores the case of ASCII letters, as its lower() folds only those: the JSON list's
    # text holds each system as a JSON string, so match that string.
    needle = "%" + _like_escaped(json.dumps(wanted)) + "%"
    return type_coerce(col(Item.systems), Text).like(needle, escape="\\")


def _where(q: ItemQuery, dialect: str) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if q.priorities:
        out.append(col(Item.priority).in_(q.priorities))
    if q.statuses:
        out.append(col(Item.status).in_(q.statuses))
    if q.owner_id is not None:
        out.append(col(Item.owner_id).is_(None) if q.owner_id == "" else col(Item.owner_id) == q.owner_id)
    if q.system:
        out.append(_system_is(q.system, dialect))
    if q.incident_id:
        out.append(col(Item.incident_id) == q.incident_id)
    column = DATE_FIELDS[q.date_field]
    if q.date_from is not None:
        out.append(column >= q.date_from)
    if q.date_to is not None:
        out.append(column < q.date_to)
    if q.overdue_at is not None:
        out.append(and_(col(Item.status).in_(OPEN), col(Item.deadline) < q.overdue_at))
    return out


def _ordered(q: ItemQuery) -> list[Any]:
    key = SORTS.get(q.sort, SORTS["deadline"])
    primary = key.desc() if q.descending else key.asc()
    tie = col(Item.id).desc() if q.descending else col(Item.id).asc()
    return [primary.nulls_last(), tie]


LIST_COLUMNS = (
    col(Item.id),
    col(Item.title),
    col(Item.priority),
    col(Item.status),
    col(Item.owner_id),
    col(Item.deadline),
    col(Item.created_at),
    col(Item.completed_at),
    col(Item.validated_at),
    col(Item.incident_id),
    col(Item.systems),
    col(Item.mrr_at_risk),
)


def list_items(session: Session, *, query: ItemQuery, offset: int, limit: int) -> list[Row[Any]]:
    """One page of the list. The page's ids are found first, sorting only the sort key and the id, and only
    their rows are read: a page far down a long list does not sort every row's title and systems."""
    where = _where(query, _dialect(session))
    page = select(col(Item.id)).where(*where).order_by(*_ordered(query)).offset(offset).limit(limit)
    stmt = select(*LIST_COLUMNS).where(col(Item.id).in_(page)).order_by(*_ordered(query))
    return list(session.execute(stmt))


def count_items(session: Session, *, query: ItemQuery) -> int:
    where = _where(query, _dialect(session))
    return int(session.execute(select(func.count()).select_from(Item).where(*where)).scalar_one())


_RAW = NullType()  # no result processing: the driver's own value


def _iso_text(column: Any, dialect: str) -> ColumnElement[Any]:
    """A UTC timestamp column as the text ``datetime.isoformat`` gives it in UTC with ``Z`` for the offset
    (``2026-01-02T03:04:05Z``, ``2026-01-02T03:04:05.250000Z``: a fraction only when it is not zero), made
    by the database; NULL stays NULL (``||`` with NULL is NULL on both backends)."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        fraction = case((func.to_char(utc, "US") == "000000", ""), else_=func.to_char(utc, ".US"))
        return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=Text).concat(fraction).concat("Z")
    # SQLite keeps naive UTC as SQLAlchemy writes it: ``2026-01-02 03:04:05.250000``.
    raw = type_coerce(column, Text)
    micro = func.substr(raw, 20, 7)
    fraction = case((micro.in_(("", ".000000")), ""), else_=micro)
    return func.substr(raw, 1, 10).concat("T").concat(func.substr(raw, 12, 8)).concat(fraction).concat("Z")


def _systems(text: str | None) -> list[str]:
    return [] if not text or text == "[]" else list(json.loads(text))


def export_items(session: Session, *, query: ItemQuery, batch: int = 500) -> Iterator[list[tuple[Any, ...]]]:
    """Every item the query matches, in its order, `batch` rows at a time, as the CSV export writes them:
    (id, title, priority, status, owner_id, deadline, created_at, completed_at, validated_at, incident_id,
    systems, mrr_at_risk) with the four times as ISO 8601 UTC text ending in ``Z`` (None where unset) and
    systems as a list.

    The export reads thousands of rows a request: the database writes the times as text, the rows come
    through the connection as the driver reads them (no ORM loading, no per-value type conversion in Python),
    and a batch at a time, so that a long export leaves few objects alive for the garbage collector."""
    dialect = _dialect(session)
    stamps = (col(Item.deadline), col(Item.created_at), col(Item.completed_at), col(Item.validated_at))
    stmt = (
        select(
            col(Item.id),
            col(Item.title),
            col(Item.priority),
            col(Item.status),
            col(Item.owner_id),
            *(_iso_text(c, dialect) for c in stamps),
            col(Item.incident_id),
            type_coerce(cast(col(Item.systems), Text), _RAW),
            type_coerce(col(Item.mrr_at_risk), _RAW),
        )
        .where(*_where(query, dialect))
        .order_by(*_ordered(query))
    )
    result = session.connection().execute(stmt)
    while rows := result.fetchmany(batch):
        yield [(*row[:10], _systems(row[10]), row[11]) for row in rows]


def owners(session: Session) -> list[str | None]:
    """Everyone who owns an item (the owner filter's choices)."""
    return list(session.execute(select(col(Item.owner_id)).distinct()).scalars())


def incident_ids(session: Session, *, limit: int = 200) -> list[str]:
    stmt = select(col(Incident.id)).order_by(col(Incident.declared_at).desc()).limit(limit)
    return list(session.execute(stmt).scalars())


# --- one item, one incident -------------------------------------------------------------------------------


def item(session: Session, *, item_id: str) -> RemediationItem | None:
    return session.get(RemediationItem, item_id.strip().upper())


def incident(session: Session, *, incident_id: str) -> Incident | None:
    return session.get(Incident, incident_id.strip().upper())


def timeline(session: Session, *, subject_id: str) -> list[TimelineEvent]:
    stmt = (
        select(TimelineEvent)
        .where(col(TimelineEvent.subject_id) == subject_id)
        .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
    )
    return list(session.scalars(stmt))


def incident_items(session: Session, *, incident_id: str) -> list[Row[Any]]:
    stmt = (
        select(*LIST_COLUMNS)
        .where(col(Item.incident_id) == incident_id)
        .order_by(_PRIORITY_RANK, col(Item.id))
    )
    return list(session.execute(stmt))


def linked_issues(session: Session, *, item_id: str) -> list[dict[str, Any]]:
    """The tracker issue linked to the item (GitHub, Jira), when that integration keeps any."""
    table = SQLModel.metadata.tables.get("tracker_link")
    if table is None:
        return []
    rows = session.execute(select(table).where(table.c.item_id == item_id))
    return [dict(r._mapping) for r in rows]
