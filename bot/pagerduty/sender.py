"""The PagerDuty Events API v2 sender: trigger, acknowledge and resolve, keyed by dedup key.

The routing key (an integration key, a secret) is added here at sending, never stored in the queue. What
PagerDuty answers: 202 accepted; 429 (too many events) and 5xx, or no answer: retried with the worker's
backoff, for as long as it takes (a page is never dropped); 400 (an invalid event, a bad routing key) and any
other status: failed for good, logged once at ERROR and shown in /healthz?detail=1 and /metrics.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.delivery.worker import Delivery, Permanent, Retry
from bot.webhooks.transport import post

TIMEOUT = 10.0


class PagerDutySender:
    destination = "pagerduty"
    min_interval = 0.0
    max_attempts: int | None = None

    def __init__(self, settings: Settings, *, timeout: float = TIMEOUT):
        assert settings.pagerduty_routing_key is not None
        self._routing_key = settings.pagerduty_routing_key.get_secret_value()
        self.url = settings.pagerduty_events_url
        self.timeout = timeout

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        body = json.dumps({"routing_key": self._routing_key, **delivery.payload}).encode("utf-8")
        try:
            answer = post(
                self.url,
                body,
                {"Content-Type": "application/json", "User-Agent": "remediate-pagerduty/1"},
                timeout=self.timeout,
            )
        except OSError as exc:
            raise Retry(None, f"no answer from PagerDuty: {exc}") from exc
        detail = _detail(answer.body)
        if answer.status == 202 or 200 <= answer.status < 300:
            return {"status": answer.status, "dedup_key": detail.get("dedup_key")}
        if answer.status == 429 or answer.status >= 500:
            raise Retry(answer.retry_after(), f"PagerDuty answered {answer.status}")
        errors = "; ".join(str(e) for e in detail.get("errors") or []) or detail.get("message") or ""
        raise Permanent(f"PagerDuty answered {answer.status}: {errors or answer.body[:200]!r}")

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        return None

    def describe(self, delivery: Delivery) -> str:
        return f"{delivery.payload.get('event_action')} {delivery.payload.get('dedup_key')}"

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        return {}


def _detail(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
