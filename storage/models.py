"""SQLModel tables. Every timestamp is a UTCDateTime (aware, UTC).

Tables:
- remediation_item, incident: the tracked objects; their history is in timeline_event.
- id_counter: per-day sequences for human ids (P0-20250908-001, INC-20251010-001), allocated atomically.
- outbox, message_ref: every message to Slack is queued in the same transaction as the change that caused
  it and sent by the notifier; message_ref remembers where a message landed so it can be updated in place.
- alert: an escalation/page fired for an item or incident at a level (acknowledge, snooze).
- claim: exactly-once keys (a job's period, a de-duplicated request, a reminder already sent).
- slack_user: cached users.info (time zone, name).
- extraction_draft: items read from an analysis document, waiting for the person to confirm the preview.
- shared_file: the last file each person shared in each channel (for `/remediate extract` there).
"""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class RemediationItemBase(SQLModel):
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    priority: str = Field(max_length=2)
    kind: str = Field(default="corrective", max_length=16)
    status: str = Field(default="identified", max_length=16)
    owner_id: str | None = Field(default=None, max_length=32)
    reporter_id: str = Field(max_length=32)
    incident_id: str | None = Field(default=None, max_length=32, index=True)
    source_ref: str | None = Field(default=None, max_length=500)
    mrr_at_risk: float | None = None
    users_affected: int | None = None
    availability_impact: float | None = None


# On SQLite `db check` leaves out the PostgreSQL-only expression index below, as it should, with a warning
# that would only confuse whoever runs it.
_SQLITE_SKIPS = r"autogenerate skipping metadata-specified expression-based index 'ix_item_systems'"
warnings.filterwarnings("ignore", message=_SQLITE_SKIPS, category=UserWarning)


class RemediationItem(RemediationItemBase, table=True):
    __tablename__ = "remediation_item"
    __table_args__ = (
        Index("ix_item_status_deadline", "status", "deadline"),
        Index("ix_item_owner_status", "owner_id", "status"),
        Index("ix_item_completed_at", "completed_at"),
        Index("ix_item_validated_at", "validated_at"),
        Index("ix_item_title_key", "title_key"),
        # PostgreSQL only: the systems list lower-cased as jsonb, so that the dashboard's system filter
        # (`@>`, storage.dashboard.systems_key) reads only the items that list it. SQLite has no such index;
        # Alembic cannot compare an expression index there and leaves it out of `db check` (_SQLITE_SKIPS).
        Index("ix_item_systems", text("(lower(systems::text)::jsonb)"), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    title_key: str = Field(default="", max_length=200)
    blocked_from: str | None = Field(default=None, max_length=16)
    status_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    validated_by: str | None = Field(default=None, max_length=32)
    systems: list[str] = _json()
    criteria: list[dict[str, Any]] = _json()  # [{"text": str, "done": bool}]
    prevention: list[str] = _json()
    evidence: list[dict[str, Any]] = _json()  # [{"kind","ref","note","by","at"}]
    deadline: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()
    validated_at: datetime | None = _ts()
    cancelled_at: datetime | None = _ts()
    last_progress_at: datetime | None = _ts()


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_status", "status"), Index("ix_incident_declared_at", "declared_at"))

    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    severity: str = Field(max_length=2)
    status: str = Field(default="investigating", max_length=16)
    impact: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    users_affected: int | None = None
    detection: str = Field(default="manual", max_length=16)
    declared_by: str = Field(max_length=32)
    commander_id: str = Field(max_length=32)
    responders: list[str] = _json()
    channel_id: str | None = Field(default=None, max_length=32)
    resolution_summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    waiver_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    eta: str | None = Field(default=None, max_length=200)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    declared_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    acknowledged_at: datetime | None = _ts()
    acknowledged_by: str | None = Field(default=None, max_length=32)
    # Acknowledged in another system: where and by whom, as it names them ("PagerDuty by Carol Oncall").
    acknowledged_elsewhere: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    mitigated_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    monitoring_until: datetime | None = _ts()
    last_update_at: datetime | None = _ts()
    next_update_due: datetime | None = _ts()


class TimelineEvent(SQLModel, table=True):
    """One entry in the history of an item or incident (subject_id is either kind of id)."""

    __tablename__ = "timeline_event"
    __table_args__ = (Index("ix_timeline_subject_at", "subject_id", "at"), Index("ix_timeline_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    subject_id: str = Field(max_length=32)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=32)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = _json(dict)


class IdCounter(SQLModel, table=True):
    __tablename__ = "id_counter"

    key: str = Field(primary_key=True, max_length=32)
    value: int = 0


class OutboxMessage(SQLModel, table=True):
    """A delivery waiting to be made (or made): a Slack Web API call, a tracker call, a page, an e-mail or a
    web hook, named by its `destination` and `method` (the destination's operation). Written in the same
    transaction as its cause; `dedupe_key` is its idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "destination", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    destination: str = Field(default="slack", max_length=32, sa_column_kwargs={"server_default": "slack"})
    method: str = Field(max_length=64)
    payload: dict[str, Any] = _json(dict)
    channel_key: str = Field(default="", max_length=64)
    ref: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    attempts: int = 0
    not_before: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = _ts()
    lease_until: datetime | None = _ts()
    leased_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result: dict[str, Any] = _json(dict)


class MessageRef(SQLModel, table=True):
    """Where a message landed (channel, ts), by a stable name such as ``incident-card:INC-…``."""

    __tablename__ = "message_ref"

    ref: str = Field(primary_key=True, max_length=200)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Alert(SQLModel, table=True):
    """An escalation or page that fired for a subject; fires once per (subject, kind, level)."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("subject_id", "kind", "level", name="uq_alert_subject_kind_level"),
        Index("ix_alert_fired_at", "fired_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_id: str = Field(max_length=32)
    kind: str = Field(max_length=32)  # e.g. overdue, incident-response, incident-escalation
    level: int = 0
    fired_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    acked_by: str | None = Field(default=None, max_length=32)
    acked_at: datetime | None = _ts()
    snoozed_until: datetime | None = _ts()
    data: dict[str, Any] = _json(dict)


class Claim(SQLModel, table=True):
    """Exactly-once keys: ``digest:2026-11-23``, ``event:Ev123``, ``due-soon:P0-…:2026-11-24T17:00``."""

    __tablename__ = "claim"

    key: str = Field(primary_key=True, max_length=200)
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    owner: str = Field(default="", max_length=64)


class SlackUser(SQLModel, table=True):
    """users.info, cached: the time zone decides how deadlines are read and when quiet hours are."""

    __tablename__ = "slack_user"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    real_name: str = Field(default="", max_length=200)
    tz: str = Field(default="UTC", max_length=64)
    is_bot: bool = False
    deleted: bool = False
    fetched_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ExtractionDraft(SQLModel, table=True):
    """Items read from a document, kept between the preview and its confirmation (a modal's
    private_metadata holds only the id). ``used_at`` is set once, by the confirmation that creates them."""

    __tablename__ = "extraction_draft"
    __table_args__ = (Index("ix_extraction_draft_created_at", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(max_length=32)
    channel_id: str = Field(default="", max_length=32)  # where the summary goes
    source: str = Field(max_length=500)
    title: str | None = Field(default=None, max_length=200)
    incident_id: str | None = Field(default=None, max_length=32)
    file_id: str | None = Field(default=None, max_length=32)
    found: int = 0  # items in the document; `items` holds the ones offered (at most the preview's limit)
    items: list[dict[str, Any]] = _json()
    done: list[str] = _json()  # titles of ticked items: reported, never created
    warnings: list[str] = _json()
    created_ids: list[str] = _json()
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = _ts()


class SharedFile(SQLModel, table=True):
    """The newest file a person shared in a channel, from the ``file_shared`` event."""

    __tablename__ = "shared_file"

    user_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    file_id: str = Field(max_length=32)
    shared_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# Each integration's tables live in a module of its own; importing them here puts them on the metadata.
from storage import models_dashboard, models_evidence, models_notifications, models_trackers  # noqa: E402, F401
