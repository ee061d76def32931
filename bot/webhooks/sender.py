"""The sender of outbound web hooks: each delivery as a CloudEvents 1.0 event in structured JSON mode, signed.

Signature (documented in the README for receivers): ``X-Remediate-Timestamp: <unix seconds>`` and
``X-Remediate-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}" with WEBHOOK_SECRET>``, the scheme
of `bot.hooks.signatures.sign_v0`. The timestamp is the wall clock at sending, so a receiver can refuse
stale or replayed requests; the CloudEvent's ``id`` (the delivery's idempotency key) is the same on every
attempt, so a receiver that saw it already can answer 2xx and do nothing.

2xx: sent. 408, 429 (honouring Retry-After) and 5xx, or no answer: retried with exponential backoff, at most
WEBHOOK_MAX_ATTEMPTS times, then kept as failed. Any other status (400, 401, 404, 410, a redirect): failed at
once, with the status kept.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.delivery.worker import Delivery, Permanent, Retry
from bot.hooks.signatures import sign_v0
from bot.webhooks.transport import post

log = logging.getLogger(__name__)

TIMEOUT = 10.0
SPEC_VERSION = "1.0"
TYPE_PREFIX = "com.remediate."


def cloud_event(delivery: Delivery, *, source: str) -> dict[str, Any]:
    payload = delivery.payload
    return {
        "specversion": SPEC_VERSION,
        "id": delivery.key or f"delivery-{delivery.id}",
        "source": source,
        "type": TYPE_PREFIX + str(payload["type"]),
        "subject": str(payload.get("subject") or ""),
        "time": payload.get("time") or delivery.created_at.isoformat(),
        "datacontenttype": "application/json",
        "data": payload.get("data") or {},
    }


class WebhookSender:
    destination = "webhook"
    min_interval = 0.0

    def __init__(self, settings: Settings, *, wall_clock: Clock = system_clock, timeout: float = TIMEOUT):
        assert settings.webhook_secret is not None
        self._secret = settings.webhook_secret.get_secret_value()
        self.max_attempts: int | None = settings.webhook_max_attempts
        self.source = settings.public_url.rstrip("/") or "urn:remediate"
        self.wall_clock = wall_clock
        self.timeout = timeout

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        url = str(delivery.payload["url"])
        body = json.dumps(cloud_event(delivery, source=self.source), separators=(",", ":")).encode("utf-8")
        stamp = int(self.wall_clock().timestamp())
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            "User-Agent": "remediate-webhooks/1",
            "X-Remediate-Timestamp": str(stamp),
            "X-Remediate-Signature": sign_v0(self._secret, stamp, body),
        }
        try:
            answer = post(url, body, headers, timeout=self.timeout)
        except OSError as exc:
            raise Retry(None, f"no answer from {url}: {exc}") from exc
        if 200 <= answer.status < 300:
            return {"status": answer.status}
        if answer.status in (408, 429) or answer.status >= 500:
            raise Retry(answer.retry_after(), f"{url} answered {answer.status}")
        raise Permanent(f"{url} answered {answer.status}: {answer.body[:200].decode('utf-8', 'replace')}")

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        return None

    def describe(self, delivery: Delivery) -> str:
        p = delivery.payload
        return f"{p.get('type')} of {p.get('subject')} to {p.get('url')}"

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        return {}
