"""Queries on remediation items: session first, keyword-only, never commit.

Every filter runs in SQL on an indexed column (status+deadline, owner+status, completed_at, validated_at),
so listing open, overdue or upcoming items reads only those rows however long the history grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, func, insert, or_, select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col

from storage.db import as_loaded, defaults_of
from storage.models import RemediationItem

OPEN = ("identified", "planned", "in_progress", "blocked")

_PRIORITY_RANK = case(
    {"P0": 0, "P1": 1, "P2": 2, "P3": 3},
    value=col(RemediationItem.priority),
    else_=9,
)


@dataclass(frozen=True)
class ItemFilter:
    """What to list. Empty fields do not filter."""

    statuses: Sequence[str] = ()
    priority: str | None = None
    owner_id: str | None = None
    reporter_id: str | None = None
    not_owner_id: str | None = None
    deadline_before: datetime | None = None  # strictly before
    deadline_from: datetime | None = None  # at or after
    incident_id: str | None = None


def get_item(session: Session, *, item_id: str) -> RemediationItem | None:
    """The item with this id; ids are stored upper-case, so any case finds it."""
    return session.get(RemediationItem, item_id.strip().upper())


_ITEMS: Table = RemediationItem.__table__  # type: ignore[attr-defined]
_INSERT_ITEM = insert(_ITEMS)
_with_defaults = defaults_of(RemediationItem)


def insert_item(session: Session, *, values: dict[str, Any]) -> RemediationItem:
    """INSERT a new item at once with one statement and return it persistent in `session`, as if just
    loaded: later changes to it are saved as an UPDATE when the session flushes. `values` are its columns;
    those left out take the model's defaults. (The ORM's unit of work would do the same INSERT at several
    times the cost, and creating an item is the hottest write there is.)"""
    row = _with_defaults(values)
    session.execute(_INSERT_ITEM, row)
    item = as_loaded(RemediationItem, row)
    make_transient_to_detached(item)
    session.add(item)
    return item


def _where(f: ItemFilter) -> list[Any]:
    c = RemediationItem
    out: list[Any] = []
    if f.statuses:
        out.append(col(c.status).in_(list(f.statuses)))
    if f.priority:
        out.append(col(c.priority) == f.priority)
    if f.owner_id:
        out.append(col(c.owner_id) == f.owner_id)
    if f.reporter_id:
        out.append(col(c.reporter_id) == f.reporter_id)
    if f.not_owner_id:
        out.append(or_(col(c.owner_id).is_(None), col(c.owner_id) != f.not_owner_id))
    if f.deadline_before is not None:
        out.append(col(c.deadline) < f.deadline_before)
    if f.deadline_from is not None:
        out.append(col(c.deadline) >= f.deadline_from)
    if f.incident_id:
        out.append(col(c.incident_id) == f.incident_id)
    return out


def list_items(
    session: Session, *, where: ItemFilter, limit: int = 20, offset: int = 0
) -> list[RemediationItem]:
    """Items by urgency: earliest deadline first (so overdue ones lead), then priority, then id."""
    stmt = (
        select(RemediationItem)
        .where(*_where(where))
        .order_by(col(RemediationItem.deadline), _PRIORITY_RANK, col(RemediationItem.id))
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def count_items(session: Session, *, where: ItemFilter) -> int:
    stmt = select(func.count()).select_from(RemediationItem).where(*_where(where))
    return int(session.execute(stmt).scalar_one())


def count_by_priority(session: Session, *, where: ItemFilter) -> dict[str, int]:
    stmt = (
        select(col(RemediationItem.priority), func.count())
        .where(*_where(where))
        .group_by(col(RemediationItem.priority))
    )
    return {p: int(n) for p, n in session.execute(stmt).all()}


def count_by_status(session: Session, *, statuses: Sequence[str]) -> dict[str, int]:
    stmt = (
        select(col(RemediationItem.status), func.count())
        .where(col(RemediationItem.status).in_(list(statuses)))
        .group_by(col(RemediationItem.status))
    )
    return {s: int(n) for s, n in session.execute(stmt).all()}


def finished_between(
    session: Session, *, start: datetime, end: datetime, limit: int = 20
) -> tuple[list[RemediationItem], int]:
    """Items completed or validated in [start, end) — newest first — and how many there are.

    No status filter: only Completed and Validated items carry completed_at/validated_at (sending back clears
    completed_at), and leaving it out lets each timestamp's index answer its half of the OR."""
    c = RemediationItem
    cond = or_(
        and_(col(c.completed_at) >= start, col(c.completed_at) < end),
        and_(col(c.validated_at) >= start, col(c.validated_at) < end),
    )
    rows = list(
        session.scalars(
            select(c)
            .where(cond)
            .order_by(func.coalesce(col(c.validated_at), col(c.completed_at)).desc(), col(c.id))
            .limit(limit)
        )
    )
    total = int(session.execute(select(func.count()).select_from(c).where(cond)).scalar_one())
    return rows, total


def at_risk(
    session: Session, *, now: datetime, due_before: datetime, quiet_since: datetime, limit: int = 20
) -> tuple[list[RemediationItem], int]:
    """Open items that are blocked, overdue, or due before `due_before` with no progress since
    `quiet_since`; most urgent first, and how many there are."""
    c = RemediationItem
    cond = and_(
        col(c.status).in_(list(OPEN)),
        or_(
            col(c.status) == "blocked",
            col(c.deadline) < now,
            and_(
                col(c.deadline) < due_before,
                or_(col(c.last_progress_at).is_(None), col(c.last_progress_at) < quiet_since),
            ),
        ),
    )
    rows = list(
        session.scalars(
            select(c).where(cond).order_by(col(c.deadline), _PRIORITY_RANK, col(c.id)).limit(limit)
        )
    )
    total = int(session.execute(select(func.count()).select_from(c).where(cond)).scalar_one())
    return rows, total
