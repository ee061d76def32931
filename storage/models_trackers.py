"""Tables of GitHub Issues and Jira: which issue each item is linked to, and what was last synced.

- tracker_link: the one issue an item is linked to (GitHub ``owner/repo#42`` or Jira ``OPS-7``): created
  when the issue is queued for creation (``number`` empty until the tracker answered) or when an existing
  issue is linked; the issue's last known state and ``updated_at``, and when the bot last changed each
  field from Slack (so that two changes crossing each other settle on the latest).
- tracker_person: a Slack user's account in a tracker (a GitHub login, a Jira accountId).

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class TrackerLink(SQLModel, table=True):
    __tablename__ = "tracker_link"
    __table_args__ = (UniqueConstraint("tracker", "project", "number", name="uq_tracker_link_issue"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(max_length=32, unique=True)
    tracker: str = Field(max_length=16)  # github | jira
    project: str = Field(max_length=200)  # owner/repo, or the Jira project key
    number: str | None = Field(default=None, max_length=64)  # "42", "OPS-7"; None until created
    remote_id: str | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    state: str = Field(default="", max_length=64)  # open / closed, or the Jira status category
    remote_updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    local_status_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    local_owner_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    local_deadline_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    synced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class TrackerPerson(SQLModel, table=True):
    __tablename__ = "tracker_person"
    __table_args__ = (
        UniqueConstraint("tracker", "user_id", name="uq_tracker_person_user"),
        Index("ix_tracker_person_account", "tracker", "account", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracker: str = Field(max_length=16)
    user_id: str = Field(max_length=32)  # the Slack user
    account: str = Field(max_length=128)  # GitHub login (lower case) or Jira accountId
    set_by: str = Field(max_length=32)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
