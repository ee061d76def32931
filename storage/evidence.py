"""Queries of CI evidence: reports taken, what they did to items, recurrences. Session first, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlmodel import Session, col, select

from storage.models import RemediationItem, TimelineEvent
from storage.models_evidence import CiOutcome, CiReport, Recurrence


def get_report(session: Session, *, key: str) -> CiReport | None:
    return session.exec(select(CiReport).where(col(CiReport.key) == key)).first()


def add_report(session: Session, *, values: dict[str, Any]) -> CiReport:
    report = CiReport(**values)
    session.add(report)
    session.flush()
    return report


def items_by_id(session: Session, *, item_ids: Sequence[str]) -> list[RemediationItem]:
    if not item_ids:
        return []
    stmt = select(RemediationItem).where(col(RemediationItem.id).in_(list(item_ids)))
    return list(session.exec(stmt.order_by(col(RemediationItem.id)).with_for_update()))


def watching_items(session: Session, *, statuses: Sequence[str]) -> list[RemediationItem]:
    """Items in `statuses` whose criteria or evidence name a test (a JSON text filter: the caller reads the
    lists again)."""
    stmt = (
        select(RemediationItem)
        .where(col(RemediationItem.status).in_(list(statuses)))
        .where(
            or_(
                cast(col(RemediationItem.criteria), String).like('%"test"%'),
                cast(col(RemediationItem.evidence), String).like('%"test"%'),
            )
        )
        .order_by(col(RemediationItem.id))
        .with_for_update()
    )
    return list(session.exec(stmt))


def add_outcome(session: Session, *, values: dict[str, Any]) -> None:
    session.add(CiOutcome(**values))


def add_recurrence(session: Session, *, values: dict[str, Any]) -> None:
    session.add(Recurrence(**values))


def recurrences_of(session: Session, *, item_id: str) -> list[Recurrence]:
    stmt = select(Recurrence).where(col(Recurrence.item_id) == item_id).order_by(col(Recurrence.at))
    return list(session.exec(stmt))


def outcomes_of(session: Session, *, item_id: str) -> list[CiOutcome]:
    stmt = select(CiOutcome).where(col(CiOutcome.item_id) == item_id).order_by(col(CiOutcome.id))
    return list(session.exec(stmt))


# --- report figures ---------------------------------------------------------------------------------


def recurred_between(session: Session, *, start: datetime, end: datetime) -> int:
    """Items that recurred in [start, end) (an item counts once however often its tests failed)."""
    stmt = select(func.count(func.distinct(Recurrence.item_id))).where(
        col(Recurrence.at) >= start, col(Recurrence.at) < end
    )
    return int(session.exec(stmt).one())


def ever_recurred(session: Session, *, before: datetime) -> int:
    stmt = select(func.count(func.distinct(Recurrence.item_id))).where(col(Recurrence.at) < before)
    return int(session.exec(stmt).one())


def ever_validated(session: Session, *, before: datetime) -> int:
    """Items validated at least once before `before` (by a person or by CI), from their timelines."""
    stmt = select(func.count(func.distinct(TimelineEvent.subject_id))).where(
        col(TimelineEvent.kind) == "validated", col(TimelineEvent.at) < before
    )
    return int(session.exec(stmt).one())


def ci_outcomes_between(session: Session, *, kind: str, start: datetime, end: datetime) -> int:
    """Items CI did `kind` to (completed, validated, ticked …) in [start, end), each once."""
    stmt = select(func.count(func.distinct(CiOutcome.item_id))).where(
        col(CiOutcome.kind) == kind, col(CiOutcome.at) >= start, col(CiOutcome.at) < end
    )
    return int(session.exec(stmt).one())
