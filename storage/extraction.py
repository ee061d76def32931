"""Queries for extracting items from documents: drafts, remembered files, and the duplicate look-ups.

Session first, keyword-only, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.items import OPEN
from storage.models import ExtractionDraft, RemediationItem, SharedFile


@dataclass(frozen=True)
class ItemTitle:
    """Just enough of an existing item to say that a new one duplicates it."""

    id: str
    title: str
    title_key: str
    status: str
    source_ref: str | None


_TITLE_COLUMNS = (
    col(RemediationItem.id),
    col(RemediationItem.title),
    col(RemediationItem.title_key),
    col(RemediationItem.status),
    col(RemediationItem.source_ref),
)


def items_with_title_keys(session: Session, *, keys: Sequence[str]) -> list[ItemTitle]:
    """Items of any status whose title_key is one of `keys` (the title_key index answers it)."""
    wanted = sorted(set(keys))
    out: list[ItemTitle] = []
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        rows = session.execute(select(*_TITLE_COLUMNS).where(col(RemediationItem.title_key).in_(chunk)))
        out.extend(ItemTitle(*row) for row in rows)
    return out


def open_item_titles(session: Session, *, limit: int) -> list[ItemTitle]:
    """The titles of open items, newest first, at most `limit` of them (columns only, no JSON)."""
    rows = session.execute(
        select(*_TITLE_COLUMNS)
        .where(col(RemediationItem.status).in_(list(OPEN)))
        .order_by(col(RemediationItem.created_at).desc())
        .limit(limit)
    )
    return [ItemTitle(*row) for row in rows]


# --- drafts ---------------------------------------------------------------------------------------


def get_draft(session: Session, *, draft_id: str) -> ExtractionDraft | None:
    return session.get(ExtractionDraft, draft_id)


def take_draft(session: Session, *, draft_id: str, now: datetime) -> bool:
    """Mark the draft used, once: True for the first caller; False when it was used already (a second
    submission of the same preview, in this replica or another). One UPDATE … WHERE used_at IS NULL: on
    PostgreSQL a concurrent caller waits for the row lock and then finds it used."""
    result = session.execute(
        update(ExtractionDraft)
        .where(col(ExtractionDraft.id) == draft_id, col(ExtractionDraft.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def purge_drafts(session: Session, *, before: datetime) -> int:
    """Delete drafts made before `before` (used or not)."""
    result = session.execute(
        delete(ExtractionDraft)
        .where(col(ExtractionDraft.created_at) < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- files people shared ---------------------------------------------------------------------------


def remember_file(session: Session, *, user_id: str, channel_id: str, file_id: str, now: datetime) -> None:
    """Record `file_id` as the newest file `user_id` shared in `channel_id` (one statement, upsert)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(SharedFile).values(user_id=user_id, channel_id=channel_id, file_id=file_id, shared_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "channel_id"],
        set_={"file_id": stmt.excluded.file_id, "shared_at": stmt.excluded.shared_at},
    )
    session.execute(stmt)


def shared_file(session: Session, *, user_id: str, channel_id: str, since: datetime) -> SharedFile | None:
    """The newest file `user_id` shared in `channel_id` at or after `since`, if any."""
    return session.scalars(
        select(SharedFile).where(
            col(SharedFile.user_id) == user_id,
            col(SharedFile.channel_id) == channel_id,
            col(SharedFile.shared_at) >= since,
        )
    ).first()


def forget_file(session: Session, *, user_id: str, file_id: str) -> None:
    """Forget `file_id` wherever `user_id` shared it (its items have been created)."""
    session.execute(
        delete(SharedFile)
        .where(col(SharedFile.user_id) == user_id, col(SharedFile.file_id) == file_id)
        .execution_options(synchronize_session=False)
    )
