"""The facts of an item or an incident as a notification states them: plain values, names instead of
Slack mentions, and links people can open from a phone or a mail client."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from bot.config import Settings
from storage import queries
from storage.models import Incident, RemediationItem

SEVERITY_NAMES = {
    "P0": "P0 (critical)",
    "P1": "P1 (high)",
    "P2": "P2 (medium)",
    "P3": "P3 (low)",
}


def slack_link(settings: Settings, channel: str | None = None) -> str:
    """A link that opens the channel in Slack (the app, or the browser)."""
    query = {"channel": channel or settings.incident_channel}
    if settings.slack_team_id:
        query["team"] = settings.slack_team_id
    return "https://slack.com/app_redirect?" + urlencode(query)


def name_of(session: Session, user_id: str | None) -> str:
    """A person's name as Slack shows it (their id when the bot has not seen them)."""
    if not user_id:
        return "nobody"
    cached = queries.cached_user(session, user_id=user_id)
    if cached is not None and (cached.real_name or cached.name):
        return cached.real_name or cached.name
    return user_id


def iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def incident_facts(session: Session, settings: Settings, inc: Incident) -> dict[str, Any]:
    return {
        "id": inc.id,
        "title": inc.title,
        "severity": inc.severity,
        "status": inc.status,
        "impact": inc.impact,
        "users_affected": inc.users_affected,
        "commander": name_of(session, inc.commander_id),
        "commander_id": inc.commander_id,
        "declared_at": iso(inc.declared_at),
        "acknowledged_at": iso(inc.acknowledged_at),
        "resolved_at": iso(inc.resolved_at),
        "closed_at": iso(inc.closed_at),
        "resolution_summary": inc.resolution_summary,
        "slack": slack_link(settings, inc.channel_id),
    }


def item_facts(session: Session, settings: Settings, item: RemediationItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "priority": item.priority,
        "kind": item.kind,
        "status": item.status,
        "owner": name_of(session, item.owner_id),
        "owner_id": item.owner_id,
        "deadline": iso(item.deadline),
        "mrr_at_risk": item.mrr_at_risk,
        "users_affected": item.users_affected,
        "incident_id": item.incident_id,
        "slack": slack_link(settings),
    }


def subject_facts(
    session: Session, settings: Settings, subject: str, subject_id: str
) -> dict[str, Any] | None:
    """The facts of an item or an incident as it stands now (None when it does not exist)."""
    if subject == "incident":
        inc = session.get(Incident, subject_id)
        return incident_facts(session, settings, inc) if inc is not None else None
    if subject == "item":
        item = session.get(RemediationItem, subject_id)
        return item_facts(session, settings, item) if item is not None else None
    return None


def fit_key(key: str, limit: int = 200) -> str:
    """An idempotency key of at most `limit` characters: a long one keeps its start and a digest of all."""
    if len(key) <= limit:
        return key
    return key[: limit - 33] + ":" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
