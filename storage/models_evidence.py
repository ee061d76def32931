"""Tables of CI evidence: test reports received and what they did to items.

- ci_report: one row per report taken (by the hook or `remediate ci report`), keyed by a hash of its
  repository, run URL and commit, so the same run reported twice is one report.
- ci_outcome: what a report did to one item (a criterion ticked, a failure recorded, the item Completed or
  Validated by CI, a regression), for the weekly report's "validated by CI" figures.
- recurrence: a validated (or completed) fix whose watched test failed again: the item recurred.

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class CiReport(SQLModel, table=True):
    __tablename__ = "ci_report"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # sha256 of (repository, run URL, commit)
    repository: str = Field(default="", max_length=200)
    commit: str = Field(max_length=64)
    ref: str = Field(default="", max_length=200)
    run_url: str = Field(sa_column=Column(Text, nullable=False))
    via: str = Field(max_length=16)  # hook | cli
    cases: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class CiOutcome(SQLModel, table=True):
    __tablename__ = "ci_outcome"
    __table_args__ = (Index("ix_ci_outcome_kind_at", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="ci_report.id", index=True)
    item_id: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=16)  # ticked | failed | completed | validated | regressed
    test_ref: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Recurrence(SQLModel, table=True):
    __tablename__ = "recurrence"

    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(max_length=32, index=True)
    priority: str = Field(max_length=2)
    report_id: int = Field(foreign_key="ci_report.id")
    test_ref: str = Field(sa_column=Column(Text, nullable=False))
    commit: str = Field(max_length=64)
    run_url: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
