"""PagerDuty, both ways.

Out: an incident of PAGERDUTY_SEVERITIES not acknowledged within its initial-response time is paged in Slack
(the ``paged`` event of `bot.services.incidents.clocks`); the same event triggers PagerDuty with the incident
id as dedup key. Acknowledging it in Slack sends ``acknowledge``, resolving it sends ``resolve``. With
PAGERDUTY_PAGE_ITEM_ESCALATIONS, Level 2+ escalations of overdue P0 items trigger too (dedup key: item id and
level), are acknowledged when their Slack alert is, and are resolved when the item is done.

In: PagerDuty's ``incident.acknowledged`` / ``incident.resolved`` for one of ours acknowledges the incident or
notes it in Slack (`acknowledged_in_pagerduty`, `resolved_in_pagerduty`); those changes carry the origin
``pagerduty``, and the subscriber never sends them back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.incidents import rules
from bot.core.mrkdwn import escape
from bot.services import events, outbox
from bot.services.events import SubjectEvent, Subscriber
from bot.services.incidents.cards import post_in_thread, refresh_cards
from bot.services.notifications.facts import incident_facts, item_facts
from bot.services.rendering import IncidentMessages
from storage import incidents as incident_store
from storage import notifications as store
from storage.models import Incident, RemediationItem

log = logging.getLogger(__name__)

DESTINATION = "pagerduty"
ORIGIN = "pagerduty"
SEVERITY = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}
DONE_ITEM_STATUSES = frozenset({"completed", "validated", "cancelled"})


def trigger_key(dedup_key: str) -> str:
    return f"pagerduty:trigger:{dedup_key}"


def item_dedup_key(item_id: str, level: int) -> str:
    return f"{item_id}:L{level}"


def subscriber(settings: Settings) -> Subscriber:
    """The PagerDuty subscriber for these settings."""
    severities = settings.pagerduty_paged_severities
    source = _source(settings)

    def on_event(session: Session, event: SubjectEvent) -> None:
        if event.origin == ORIGIN:
            return  # it came from PagerDuty: never echo it back
        if event.subject == events.INCIDENT:
            _incident_event(session, settings, event, severities, source)
        elif event.subject == events.ITEM:
            _item_event(session, settings, event, source)

    return on_event


def _source(settings: Settings) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(settings.public_url).hostname if settings.public_url else None) or "remediate"


def _incident_event(
    session: Session, settings: Settings, event: SubjectEvent, severities: frozenset[str], source: str
) -> None:
    if event.kind not in ("paged", "acknowledged", "resolved"):
        return
    inc = session.get(Incident, event.subject_id)
    if inc is None:
        return
    if event.kind == "paged":
        if inc.severity not in severities:
            return
        facts = incident_facts(session, settings, inc)
        _queue(
            session,
            event,
            dedup_key=inc.id,
            action="trigger",
            key=trigger_key(inc.id),
            payload={
                "summary": f"{inc.id} ({inc.severity}): {inc.title} — not acknowledged in time"[:1024],
                "source": source,
                "severity": SEVERITY.get(inc.severity, "error"),
                "timestamp": facts["declared_at"],
                "component": "incident",
                "class": inc.severity,
                "custom_details": {
                    "incident": inc.id,
                    "status": inc.status,
                    "impact": inc.impact or "",
                    "users_affected": inc.users_affected,
                    "commander": facts["commander"],
                    "declared_at": facts["declared_at"],
                    "slack": facts["slack"],
                },
            },
            links=[{"href": facts["slack"], "text": f"{inc.id} in Slack"}],
        )
        return
    if not store.was_queued(session, key=trigger_key(inc.id)):
        return  # never paged in PagerDuty: nothing to acknowledge or resolve there
    _queue(
        session, event, dedup_key=inc.id, action="acknowledge" if event.kind == "acknowledged" else "resolve"
    )


def _item_event(session: Session, settings: Settings, event: SubjectEvent, source: str) -> None:
    if not settings.pagerduty_page_item_escalations:
        return
    if event.kind == "escalated":
        level = int(event.data.get("level") or 0)
        item = session.get(RemediationItem, event.subject_id)
        if item is None or item.priority != "P0" or level < 2:
            return
        facts = item_facts(session, settings, item)
        dedup = item_dedup_key(item.id, level)
        _queue(
            session,
            event,
            dedup_key=dedup,
            action="trigger",
            key=trigger_key(dedup),
            payload={
                "summary": f"Level {level} escalation: {item.id} ({item.priority}) {item.title} is overdue"[
                    :1024
                ],
                "source": source,
                "severity": "critical" if level >= 3 else "error",
                "timestamp": facts["deadline"],
                "component": "remediation item",
                "class": f"escalation L{level}",
                "custom_details": {
                    "item": item.id,
                    "title": item.title,
                    "status": item.status,
                    "owner": facts["owner"],
                    "deadline": facts["deadline"],
                    "mrr_at_risk": facts["mrr_at_risk"],
                    "level": level,
                    "slack": facts["slack"],
                },
            },
            links=[{"href": facts["slack"], "text": f"{item.id} in Slack"}],
        )
    elif event.kind == "escalation_acknowledged":
        # The Slack alert of a paged level acknowledged: that page is acknowledged in PagerDuty too.
        dedup = item_dedup_key(event.subject_id, int(event.data.get("level") or 0))
        if store.was_queued(session, key=trigger_key(dedup)):
            _queue(session, event, dedup_key=dedup, action="acknowledge")
    elif event.data.get("to") in DONE_ITEM_STATUSES:
        for key in store.queued_keys(session, prefix=trigger_key(f"{event.subject_id}:L")):
            _queue(session, event, dedup_key=key.removeprefix("pagerduty:trigger:"), action="resolve")


def _queue(
    session: Session,
    event: SubjectEvent,
    *,
    dedup_key: str,
    action: str,
    key: str | None = None,
    payload: dict[str, Any] | None = None,
    links: list[dict[str, str]] | None = None,
) -> None:
    body: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key}
    if payload is not None:
        body["payload"] = payload
        body["client"] = "remediate"
    if links:
        body["links"] = links
    outbox.deliver(
        session,
        destination=DESTINATION,
        method=action,
        payload=body,
        now=event.at,
        key=key or f"pagerduty:{action}:{dedup_key}:{event.key}",
        pace_key=f"pagerduty:{dedup_key}",  # trigger, acknowledge and resolve of one key go in order
    )


# --- what PagerDuty tells us ----------------------------------------------------------------------------


def acknowledged_in_pagerduty(
    session: Session,
    *,
    settings: Settings,
    render: IncidentMessages,
    incident_id: str,
    who: str,
    now: datetime,
) -> str:
    """Acknowledge our incident because PagerDuty says someone did; returns what happened."""
    inc = incident_store.get_incident(session, incident_id=incident_id, for_update=True)
    if inc is None:
        return "not ours"
    if inc.acknowledged_at is not None or inc.status in (rules.RESOLVED, rules.CLOSED):
        return "already acknowledged"
    inc.acknowledged_at, inc.updated_at = now, now
    inc.acknowledged_elsewhere = f"PagerDuty by {who}"
    incident_store.acknowledge_alerts(session, incident_id=inc.id, kind=rules.PAGE, user_id=ORIGIN, now=now)
    events.record(
        session,
        subject=events.INCIDENT,
        subject_id=inc.id,
        at=now,
        actor_id=None,
        kind="acknowledged",
        summary=f"Acknowledged in PagerDuty by {escape(who)} (from PagerDuty)",
        data={"by": who, "origin": ORIGIN},
    )
    post_in_thread(
        session,
        now=now,
        settings=settings,
        inc=inc,
        message=render.note(f":pager: {inc.id} acknowledged in PagerDuty by {escape(who)} (from PagerDuty)"),
        dedupe_key=f"pagerduty-ack:{inc.id}",
    )
    refresh_cards(session, now=now, settings=settings, inc=inc, render=render)
    return "acknowledged"


def resolved_in_pagerduty(
    session: Session,
    *,
    settings: Settings,
    render: IncidentMessages,
    incident_id: str,
    who: str,
    now: datetime,
) -> str:
    """PagerDuty says the page was resolved: note it on the timeline and in the thread (the incident itself
    is resolved in Slack, with what fixed it)."""
    inc = incident_store.get_incident(session, incident_id=incident_id, for_update=True)
    if inc is None:
        return "not ours"
    events.record(
        session,
        subject=events.INCIDENT,
        subject_id=inc.id,
        at=now,
        actor_id=None,
        kind="pagerduty-resolved",
        summary=f"Page resolved in PagerDuty by {escape(who)} (from PagerDuty)",
        data={"by": who, "origin": ORIGIN},
    )
    still = (
        ""
        if inc.status in (rules.RESOLVED, rules.CLOSED)
        else " Resolve the incident here with what fixed it."
    )
    post_in_thread(
        session,
        now=now,
        settings=settings,
        inc=inc,
        message=render.note(f":pager: The PagerDuty page of {inc.id} was resolved by {escape(who)}.{still}"),
        dedupe_key=f"pagerduty-resolved:{inc.id}:{now.isoformat()}",
    )
    refresh_cards(session, now=now, settings=settings, inc=inc, render=render)
    return "noted"
