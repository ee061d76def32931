"""Queries of the PagerDuty, e-mail and web hook notifications: what was queued for a subject before.

PagerDuty dedup keys are incident ids (and item id + level), so no table of their own is needed: whether an
incident was paged is whether its trigger was queued.
"""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import OutboxMessage


def was_queued(session: Session, *, key: str) -> bool:
    """True when a delivery with this idempotency key was queued (whatever became of it since)."""
    stmt = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key).limit(1)
    return session.execute(stmt).first() is not None


def queued_keys(session: Session, *, prefix: str) -> list[str]:
    """The idempotency keys queued that start with `prefix`."""
    stmt = select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.startswith(prefix))  # type: ignore[union-attr]
    return [k for (k,) in session.execute(stmt).all() if k]
