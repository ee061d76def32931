"""Tables of The web dashboard: one-time sign-in links and sessions.

- dashboard_link: a sign-in link sent by `/remediate dashboard`; only the SHA-256 of its token is kept, so
  a copy of the database signs nobody in. ``used_at`` is set once, by the first opening.
- dashboard_session: a signed-in browser; again only the hash of the cookie's value is kept.

Imported by `storage.models`, so they are on SQLModel.metadata with the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class DashboardLink(SQLModel, table=True):
    __tablename__ = "dashboard_link"
    __table_args__ = (Index("ix_dashboard_link_expires_at", "expires_at"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class DashboardSession(SQLModel, table=True):
    __tablename__ = "dashboard_session"
    __table_args__ = (Index("ix_dashboard_session_expires_at", "expires_at"),)

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
