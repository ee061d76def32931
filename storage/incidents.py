"""Incident queries: session first, keyword-only, never commit; filtering happens in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session, col

from storage.models import Alert, Claim, Incident, RemediationItem

# The same values as bot.core.incidents.rules (storage may not import the bot); a unit test keeps them equal.
ACTIVE_STATUSES = ("investigating", "identified", "mitigating", "monitoring")
CLOSE_OUT_SEVERITIES = ("P0", "P1")


def get_incident(session: Session, *, incident_id: str, for_update: bool = False) -> Incident | None:
    """The incident; `for_update` locks its row until the transaction ends (PostgreSQL; SQLite's write
    transaction is exclusive already), so two concurrent changes of one incident queue up."""
    return session.get(Incident, incident_id, with_for_update=for_update or None)


def list_incidents(session: Session, *, include_closed: bool, limit: int = 50) -> list[Incident]:
    """Newest first; without `include_closed`, only incidents that are not closed yet."""
    stmt = select(Incident).order_by(col(Incident.declared_at).desc(), col(Incident.id).desc()).limit(limit)
    if not include_closed:
        stmt = stmt.where(col(Incident.status) != "closed")
    return list(session.scalars(stmt))


def count_incidents(session: Session, *, include_closed: bool) -> int:
    stmt = select(func.count()).select_from(Incident)
    if not include_closed:
        stmt = stmt.where(col(Incident.status) != "closed")
    return int(session.execute(stmt).scalar_one())


def active_incidents(session: Session) -> list[Incident]:
    """Incidents still being worked on (the escalation sweep looks at these)."""
    stmt = (
        select(Incident).where(col(Incident.status).in_(ACTIVE_STATUSES)).order_by(col(Incident.declared_at))
    )
    return list(session.scalars(stmt))


def update_overdue(session: Session, *, now: datetime) -> list[Incident]:
    """Active incidents whose next status update was due by `now`."""
    stmt = (
        select(Incident)
        .where(
            col(Incident.status).in_(ACTIVE_STATUSES),
            col(Incident.next_update_due).is_not(None),
            col(Incident.next_update_due) <= now,
        )
        .order_by(col(Incident.next_update_due))
    )
    return list(session.scalars(stmt))


def monitoring_ended(session: Session, *, now: datetime) -> list[Incident]:
    """Resolved incidents whose monitoring period has ended by `now`, locked for closing (a replica that
    waits on the lock finds them closed and skips them)."""
    stmt = (
        select(Incident)
        .where(
            col(Incident.status) == "resolved",
            col(Incident.monitoring_until).is_not(None),
            col(Incident.monitoring_until) <= now,
        )
        .order_by(col(Incident.monitoring_until))
        .with_for_update()
    )
    return list(session.scalars(stmt))


def _preventative_item_exists(incident_col: Any) -> Any:
    return exists().where(
        col(RemediationItem.incident_id) == incident_col,
        col(RemediationItem.kind).like("prevent%"),
        col(RemediationItem.owner_id).is_not(None),
        col(RemediationItem.deadline).is_not(None),
        col(RemediationItem.status) != "cancelled",
        col(RemediationItem.cancelled_at).is_(None),
    )


def has_preventative_item(session: Session, *, incident_id: str) -> bool:
    """A preventative remediation item with an owner and a deadline is linked to the incident."""
    return bool(session.execute(select(_preventative_item_exists(incident_id))).scalar())


def held_for_close_out(session: Session, *, now: datetime) -> list[Incident]:
    """P0/P1 incidents past their monitoring period, held open because they have neither a preventative
    item (owner and deadline) nor a waiver. The digest lists these."""
    stmt = (
        select(Incident)
        .where(
            col(Incident.status) == "resolved",
            col(Incident.severity).in_(CLOSE_OUT_SEVERITIES),
            col(Incident.monitoring_until).is_not(None),
            col(Incident.monitoring_until) <= now,
            or_(col(Incident.waiver_reason).is_(None), col(Incident.waiver_reason) == ""),
            ~_preventative_item_exists(col(Incident.id)),
        )
        .order_by(col(Incident.monitoring_until))
        .with_for_update()
    )
    return list(session.scalars(stmt))


def linked_items(session: Session, *, incident_id: str) -> list[RemediationItem]:
    stmt = (
        select(RemediationItem)
        .where(col(RemediationItem.incident_id) == incident_id)
        .order_by(col(RemediationItem.created_at), col(RemediationItem.id))
    )
    return list(session.scalars(stmt))


def fired_alerts(session: Session, *, incident_id: str) -> list[Alert]:
    stmt = (
        select(Alert)
        .where(col(Alert.subject_id) == incident_id)
        .order_by(col(Alert.fired_at), col(Alert.level))
    )
    return list(session.scalars(stmt))


def acknowledge_alerts(session: Session, *, incident_id: str, kind: str, user_id: str, now: datetime) -> None:
    """Mark the incident's fired alerts of `kind` acknowledged (the page stops being open)."""
    for alert in session.scalars(
        select(Alert).where(
            col(Alert.subject_id) == incident_id, col(Alert.kind) == kind, col(Alert.acked_at).is_(None)
        )
    ):
        alert.acked_by, alert.acked_at = user_id, now


def claim_owner(session: Session, *, key: str) -> str | None:
    """Who holds the exactly-once key `key` (e.g. the incident a modal submission created), if anyone."""
    claim = session.get(Claim, key)
    return claim.owner if claim is not None else None
