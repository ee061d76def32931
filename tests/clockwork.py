"""Helpers for the scheduled-job tests: items inserted as they would stand at any point in their life, the
users' time zones cached as a running bot would have them, and what Slack received."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.core.items import rules
from bot.services.people.users import get_person
from storage import queries
from storage.models import Alert, OutboxMessage, RemediationItem
from tests.support import INCIDENT_CHANNEL, USERS


def add_item(
    deps: Any,
    *,
    deadline: datetime,
    priority: str = "P0",
    owner: str | None = "UALICE",
    reporter: str = "UCAROL",
    status: str = "in_progress",
    title: str | None = None,
    created_at: datetime | None = None,
    completed_at: datetime | None = None,
    validated_at: datetime | None = None,
    cancelled_at: datetime | None = None,
    last_progress_at: datetime | None = None,
    prevention: Iterable[str] = (),
    mrr: float | None = None,
    kind: str = "corrective",
    incident_id: str | None = None,
    status_reason: str | None = None,
) -> str:
    """Insert an item directly (any dates, any status) and return its id."""
    created = created_at or min(deadline, deps.now()) - timedelta(hours=24)
    with deps.uow() as session:
        seq = queries.next_sequence(session, key=rules.sequence_key(created))
        item_id = rules.format_item_id(priority, created, seq)
        session.add(
            RemediationItem(
                id=item_id,
                title=title or f"Fix {item_id}",
                title_key=(title or item_id).lower(),
                priority=priority,
                kind=kind,
                status=status,
                owner_id=owner,
                reporter_id=reporter,
                incident_id=incident_id,
                mrr_at_risk=mrr,
                prevention=list(prevention),
                deadline=deadline,
                created_at=created,
                updated_at=created,
                started_at=created if status != "identified" else None,
                completed_at=completed_at,
                validated_at=validated_at,
                cancelled_at=cancelled_at,
                last_progress_at=last_progress_at,
                status_reason=status_reason,
            )
        )
    return item_id


def cache_users(deps: Any, user_ids: Iterable[str] = tuple(USERS)) -> None:
    """Look the users up once (users.info), as the bot does when people use it, so jobs know their zones."""
    for uid in user_ids:
        get_person(deps, uid)


def alerts(deps: Any, item_id: str | None = None) -> list[Alert]:
    with deps.uow(readonly=True) as session:
        stmt = select(Alert).order_by(Alert.id)
        if item_id is not None:
            stmt = stmt.where(Alert.subject_id == item_id)
        found = list(session.scalars(stmt))
        session.expunge_all()
        return found


def outbox_rows(deps: Any) -> list[OutboxMessage]:
    with deps.uow(readonly=True) as session:
        found = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
        return found


def channel_posts(fake: Any, channel: str = INCIDENT_CHANNEL) -> list[dict[str, Any]]:
    """Messages in the channel now (edits applied), oldest first."""
    return fake.messages(channel)


def action_ids(message: dict[str, Any]) -> list[str]:
    out = []
    for block in message.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory")]:
            if isinstance(element, dict) and element.get("action_id"):
                out.append(element["action_id"])
    return out


def text_of(message: dict[str, Any]) -> str:
    """The fallback text and every text in the blocks, for asserting what a reader sees."""
    parts = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return "\n".join(parts)
