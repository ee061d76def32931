"""PagerDuty's V3 web hooks (``POST /hooks/pagerduty``): incident acknowledged or resolved in PagerDuty.

Verified before anything else: ``X-PagerDuty-Signature`` lists ``v1=<hex HMAC-SHA256 of the raw body>``
signatures, several while a secret is being rotated; one made with PAGERDUTY_WEBHOOK_SECRET must be among
them. PagerDuty signs no timestamp, so freshness is the event's ``occurred_at`` (within a day) and replays are
stopped by the event id, claimed once. The incident's ``incident_key`` is the dedup key we triggered with: our
incident id. Anything else (other event types, other services' incidents, our item pages) is taken (202) and
changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.clock import Clock
from bot.config import Settings
from bot.hooks.inbound import HookRequest, Refused
from bot.hooks.signatures import verify_pagerduty
from bot.services.notifications import paging
from bot.services.rendering import IncidentMessages

MAX_BODY = 256 * 1024
MAX_AGE = timedelta(hours=24)
HANDLED = ("incident.acknowledged", "incident.resolved")


@dataclass(frozen=True)
class PagerDutyEvent:
    id: str
    event_type: str
    occurred_at: datetime
    incident_key: str | None
    agent: str


class PagerDutyHook:
    name = "pagerduty"
    max_body = MAX_BODY

    def __init__(self, settings: Settings, render: IncidentMessages, clock: Clock):
        """`clock`: the rules' clock (the change is made at its now); freshness is judged on the request's
        arrival by the wall clock, which PagerDuty's ``occurred_at`` is on, or by the rules' clock."""
        assert settings.pagerduty_webhook_secret is not None
        self._secret = settings.pagerduty_webhook_secret.get_secret_value()
        self.settings = settings
        self.render = render
        self.clock = clock

    def verify(self, request: HookRequest) -> None:
        verify_pagerduty(self._secret, signatures=request.header("X-PagerDuty-Signature"), body=request.body)

    def delivery_id(self, request: HookRequest) -> str:
        return self.parse(request).id

    def parse(self, request: HookRequest) -> PagerDutyEvent:
        try:
            data = json.loads(request.body)
        except ValueError:
            raise Refused(400, "body is not JSON") from None
        event = data.get("event") if isinstance(data, dict) else None
        if not isinstance(event, dict):
            raise Refused(400, "no event object: not a V3 web hook")
        event_id, event_type = event.get("id"), event.get("event_type")
        if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
            raise Refused(400, "event.id and event.event_type are required")
        try:
            occurred = datetime.fromisoformat(str(event.get("occurred_at")).replace("Z", "+00:00"))
        except ValueError:
            raise Refused(400, "event.occurred_at is not an ISO 8601 time") from None
        if occurred.tzinfo is None:
            raise Refused(400, "event.occurred_at has no time zone")
        # Within a day of the arrival (the wall clock PagerDuty stamps by) or of the rules' now (the same
        # clock in production; a moved one in a rehearsal or a test, whose events are stamped by it).
        if min(abs(request.received_at - occurred), abs(self.clock() - occurred)) > MAX_AGE:
            raise Refused(400, "event.occurred_at is more than a day away from now")
        body: dict[str, Any] = event["data"] if isinstance(event.get("data"), dict) else {}
        about_incident = body.get("type") == "incident" or event.get("resource_type") == "incident"
        key = body.get("incident_key") if about_incident else None
        agent: dict[str, Any] = event["agent"] if isinstance(event.get("agent"), dict) else {}
        return PagerDutyEvent(
            id=event_id[:120],
            event_type=event_type,
            occurred_at=occurred,
            incident_key=key if isinstance(key, str) and key else None,
            agent=str(agent.get("summary") or agent.get("name") or "someone")[:100],
        )

    def handle(self, session: Session, event: PagerDutyEvent, now: datetime) -> dict[str, Any]:
        if event.event_type not in HANDLED or event.incident_key is None:
            return {"ignored": event.event_type}
        handler = (
            paging.acknowledged_in_pagerduty
            if event.event_type == "incident.acknowledged"
            else paging.resolved_in_pagerduty
        )
        outcome = handler(
            session,
            settings=self.settings,
            render=self.render,
            incident_id=event.incident_key,
            who=event.agent,
            now=self.clock(),
        )
        return {"incident": event.incident_key, "outcome": outcome}
