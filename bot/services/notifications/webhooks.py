"""Outbound web hooks: every item and incident event of the types WEBHOOK_EVENTS names (all by default),
plus the digest and the weekly report, to every WEBHOOK_URLS endpoint.

One delivery per event and endpoint (``webhook`` destination); its idempotency key is the CloudEvent's id, so
a receiver that sees an id twice (a retry after a lost answer) knows it is the same event. The payload is
what the sender wraps as a CloudEvents 1.0 event: the endpoint, the type, the subject, when, and the data.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.services import events, outbox
from bot.services.events import SubjectEvent, Subscriber
from bot.services.notifications import REPORT
from bot.services.notifications.facts import fit_key, iso, name_of, subject_facts
from bot.services.notifications.mrkdwn_mail import mentioned_users, mrkdwn_text
from storage import queries

DESTINATION = "webhook"

ITEM_TYPES = {
    "created": "item.created",
    "status": "item.status_changed",
    "validation_failed": "item.status_changed",
    "escalated": "item.escalated",
    "escalation_acknowledged": "item.acknowledged",
    "validated": "item.validated",
    "regressed": "item.regressed",
}
INCIDENT_TYPES = {
    "declared": "incident.declared",
    "acknowledged": "incident.acknowledged",
    "status-update": "incident.updated",
    "reopened": "incident.updated",
    "resolved": "incident.resolved",
    "closed": "incident.closed",
}
REPORT_TYPES = {"digest": "digest", "weekly_report": "weekly_report"}


def event_type(event: SubjectEvent) -> str | None:
    """The web hook event type of an event (None: not one web hooks carry)."""
    table = {events.ITEM: ITEM_TYPES, events.INCIDENT: INCIDENT_TYPES, REPORT: REPORT_TYPES}.get(
        event.subject
    )
    return table.get(event.kind) if table else None


def subscriber(settings: Settings) -> Subscriber:
    wanted = settings.webhook_event_set
    urls = settings.webhook_url_list

    def on_event(session: Session, event: SubjectEvent) -> None:
        kind = event_type(event)
        if kind is None or kind not in wanted:
            return
        data = _data(session, settings, event)
        for url in urls:
            outbox.deliver(
                session,
                destination=DESTINATION,
                method=kind,
                payload={
                    "url": url,
                    "type": kind,
                    "subject": event.subject_id,
                    "time": iso(event.at),
                    "data": data,
                },
                now=event.at,
                key=fit_key(f"webhook:{_endpoint(url)}:{kind}:{event.subject_id}:{event.key}"),
                pace_key=f"webhook:{_endpoint(url)}",
            )

    return on_event


def _endpoint(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _data(session: Session, settings: Settings, event: SubjectEvent) -> dict[str, Any]:
    users = queries.cached_users(session, user_ids=mentioned_users([event.summary]))

    def names(user_id: str) -> str:
        cached = users.get(user_id)
        return (cached.real_name or cached.name) if cached is not None else user_id

    if event.subject == REPORT:
        return {
            "report": event.subject_id,
            "title": event.data.get("title") or event.summary,
            "text": mrkdwn_text(event.summary, names),
            "figures": _json_safe(event.data.get("figures") or {}),
        }
    details = {k: v for k, v in event.data.items() if k not in ("mentions", "channel_ref", "dm_ref")}
    return {
        event.subject: subject_facts(session, settings, event.subject, event.subject_id),
        "event": {
            "kind": event.kind,
            "summary": mrkdwn_text(event.summary, names),
            "actor": name_of(session, event.actor_id) if event.actor_id else None,
            "actor_id": event.actor_id,
            "origin": event.origin or "slack",
            "details": _json_safe(details),
        },
    }
