"""Alerts (escalations, pages) fired for a subject at a level: session first, keyword-only, never commit.

The unique (subject_id, kind, level) constraint is what makes an alert fire once: `insert_alert` returns
None when another run (a second replica, a manual run) fired it first, without spoiling the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import Alert

_CHUNK = 500  # ids per IN (...) list


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def alerts_for(session: Session, *, subject_ids: Sequence[str], kind: str) -> list[Alert]:
    """Every alert of `kind` fired for these subjects (uses the unique index on subject_id, kind, level)."""
    out: list[Alert] = []
    for chunk in _chunks(list(subject_ids)):
        stmt = select(Alert).where(col(Alert.subject_id).in_(chunk), col(Alert.kind) == kind)
        out.extend(session.scalars(stmt))
    return out


def insert_alert(
    session: Session, *, subject_id: str, kind: str, level: int, fired_at: datetime, data: dict[str, Any]
) -> Alert | None:
    """Fire (subject, kind, level): the new row, or None when it had already fired."""
    alert = Alert(subject_id=subject_id, kind=kind, level=level, fired_at=fired_at, data=data)
    try:
        with session.begin_nested():
            session.add(alert)
        return alert
    except IntegrityError:
        return None


LevelClaim = tuple[str, str, int, dict[str, Any]]  # (subject_id, kind, level, data)


def claim_levels(session: Session, *, fired_at: datetime, claims: Sequence[LevelClaim]) -> list[Alert]:
    """Fire each (subject, kind, level) once: the new rows in the order asked, without those that had
    already fired (here or in another run). Every escalation ladder fires its levels through this.

    One insert for the lot; only when a concurrent run got some of them first does it fall back to one
    savepoint per alert to find out which.
    """
    rows = [Alert(subject_id=s, kind=k, level=lvl, fired_at=fired_at, data=d) for s, k, lvl, d in claims]
    if not rows:
        return []
    try:
        with session.begin_nested():
            session.add_all(rows)
        return rows
    except IntegrityError:
        fired = [
            insert_alert(session, subject_id=s, kind=k, level=lvl, fired_at=fired_at, data=dict(d))
            for s, k, lvl, d in claims
        ]
        return [a for a in fired if a is not None]


def fired_levels(
    session: Session, *, subject_ids: Sequence[str], kinds: Sequence[str]
) -> dict[str, set[int]]:
    """Per subject, the levels already fired in any of `kinds` (subjects with none are left out)."""
    out: dict[str, set[int]] = {}
    for chunk in _chunks(list(subject_ids)):
        stmt = select(col(Alert.subject_id), col(Alert.level)).where(
            col(Alert.subject_id).in_(chunk), col(Alert.kind).in_(list(kinds))
        )
        for subject_id, level in session.execute(stmt):
            out.setdefault(subject_id, set()).add(level)
    return out


def get_alert(session: Session, *, alert_id: int, lock: bool = False) -> Alert | None:
    stmt = select(Alert).where(col(Alert.id) == alert_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def alerts_fired_at(session: Session, *, kind: str, fired_at: datetime, lock: bool = False) -> list[Alert]:
    """Alerts of `kind` fired by one sweep (same instant), oldest first; `lock` serialises re-renders."""
    stmt = (
        select(Alert).where(col(Alert.fired_at) == fired_at, col(Alert.kind) == kind).order_by(col(Alert.id))
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))
