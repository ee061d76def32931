"""What the trackers' senders read and write around a call: the issue a delivery is about (`target`), and,
once a new issue exists, its number and URL on the item's link (`created`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.trackers import issues
from bot.services.events import ITEM, record
from storage import trackers as store
from storage.models import OutboxMessage


@dataclass(frozen=True)
class Target:
    """Where a change of an item goes: its issue (number None while the creation has not landed)."""

    project: str
    number: str | None
    create_failed: bool = False
    linked: bool = True


def target(session: Session, *, tracker: str, item_id: str) -> Target:
    link = store.link_of(session, item_id=item_id)
    if link is None or link.tracker != tracker:
        return Target("", None, linked=False)
    if link.number is None:
        status = session.exec(
            select(OutboxMessage.status).where(
                col(OutboxMessage.dedupe_key) == f"{tracker}:create:{item_id}:{link.id}"
            )
        ).first()
        return Target(link.project, None, create_failed=status == "failed")
    return Target(link.project, link.number)


def created(
    session: Session,
    *,
    tracker: str,
    item_id: str,
    number: str,
    url: str,
    remote_id: str,
    state: str,
    updated_at: datetime | None,
    now: datetime,
) -> None:
    """Record the new issue on the item's link and its timeline (once; a link made since is left alone)."""
    link = store.link_of(session, item_id=item_id)
    if link is None or link.tracker != tracker or link.number is not None:
        return
    link.number, link.url, link.remote_id, link.state = number, url, remote_id, state
    link.remote_updated_at, link.synced_at = updated_at, now
    session.add(link)
    shown = f"GitHub #{number}" if tracker == issues.GITHUB else f"Jira {number}"
    record(
        session,
        subject=ITEM,
        subject_id=item_id,
        at=now,
        actor_id=None,
        kind="tracker",
        summary=f"{shown} created: {url}",
        data={"tracker": tracker, "number": number, "url": url},
    )
