"""A fake PagerDuty on loopback: the Events API v2 (``POST /v2/enqueue``) and the V3 web hooks it sends.

The Events API checks each event the way PagerDuty does (routing key of 32 characters and known to the
account, event_action, dedup_key, and for a trigger payload.summary / source / severity, an ISO 8601
timestamp, links with href) and answers 202 with the dedup key, 400 with PagerDuty's error body, or what a
test injected (``fail_with(429)``, ``down()`` for 503 until ``up()``). It keeps the incidents it holds by
dedup key, as PagerDuty does: a trigger on an open incident is merged into it, acknowledge and resolve move
it, acknowledge or resolve of an unknown key does nothing.

`webhook(...)` builds a V3 web hook as PagerDuty sends it (``{"event": {...}}``), signed with
``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`` for each secret given (rotation lists several).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class PagerDutyIncident:
    dedup_key: str
    status: str  # triggered, acknowledged, resolved
    summary: str
    severity: str
    triggers: int = 1
    log: list[str] = field(default_factory=list)


class FakePagerDuty:
    def __init__(self, routing_key: str) -> None:
        self.routing_key = routing_key
        self.accepted: list[dict[str, Any]] = []  # every event answered 202, in order
        self.rejected: list[tuple[int, dict[str, Any] | None]] = []
        self.incidents: dict[str, PagerDutyIncident] = {}
        self.attempts = 0
        self._faults: list[int] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._answer(self.path, self.headers.get("Content-Type", ""), body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/enqueue"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # --- failing on demand ---------------------------------------------------------------------------
    def fail_with(self, status: int, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([status] * times)

    def down(self) -> None:
        self.fail_with(503, times=1_000_000)

    def up(self) -> None:
        with self._lock:
            self._faults.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what was sent -------------------------------------------------------------------------------
    def actions(self, dedup_key: str) -> list[str]:
        with self._lock:
            return [e["event_action"] for e in self.accepted if e.get("dedup_key") == dedup_key]

    # --- the Events API ------------------------------------------------------------------------------
    def _answer(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.attempts += 1
            if self._faults:
                status = self._faults.pop(0)
                if status == 429:
                    return 429, {
                        "status": "throttle event",
                        "message": "Requests for this service are arriving too quickly.",
                    }
                if status == 400:
                    return 400, {
                        "status": "invalid event",
                        "message": "Event object is invalid",
                        "errors": ["Invalid routing key"],
                    }
                return status, {"status": "error", "message": "Internal error"}
            if path != "/v2/enqueue":
                return 404, {"status": "not found"}
            try:
                event = json.loads(body)
            except ValueError:
                return self._invalid(None, "Body is not JSON")
            if not content_type.startswith("application/json"):
                return self._invalid(event, "Content-Type must be application/json")
            problems = _problems(event)
            if problems:
                return self._invalid(event, *problems)
            if event["routing_key"] != self.routing_key:
                return self._invalid(event, "Invalid routing key")
            self._apply(event)
            self.accepted.append(event)
            return 202, {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}

    def _invalid(self, event: Any, *errors: str) -> tuple[int, dict[str, Any]]:
        self.rejected.append((400, event if isinstance(event, dict) else None))
        return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}

    def _apply(self, event: dict[str, Any]) -> None:
        key, action = event["dedup_key"], event["event_action"]
        inc = self.incidents.get(key)
        if action == "trigger":
            if inc is not None and inc.status != "resolved":
                inc.triggers += 1
                inc.log.append("trigger merged")
            else:
                p = event["payload"]
                self.incidents[key] = PagerDutyIncident(key, "triggered", p["summary"], p["severity"])
        elif inc is not None and inc.status != "resolved":
            inc.status = "acknowledged" if action == "acknowledge" else "resolved"
            inc.log.append(action)


def _problems(event: Any) -> list[str]:
    if not isinstance(event, dict):
        return ["Event must be a JSON object"]
    out = []
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        out.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if action not in ACTIONS:
        out.append("'event_action' is invalid (must be one of trigger, acknowledge or resolve)")
    dedup = event.get("dedup_key")
    if action in ("acknowledge", "resolve") and not dedup:
        out.append("'dedup_key' is required for acknowledge and resolve")
    if dedup is not None and (not isinstance(dedup, str) or not 0 < len(dedup) <= 255):
        out.append("'dedup_key' must be a string of at most 255 characters")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*out, "'payload' is missing"]
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary or len(summary) > 1024:
            out.append("'payload.summary' is missing or longer than 1024 characters")
        if not isinstance(payload.get("source"), str) or not payload["source"]:
            out.append("'payload.source' is missing")
        if payload.get("severity") not in SEVERITIES:
            out.append("'payload.severity' is invalid (must be one of critical, error, warning or info)")
        if "timestamp" in payload:
            try:
                datetime.fromisoformat(str(payload["timestamp"]).replace("Z", "+00:00"))
            except ValueError:
                out.append("'payload.timestamp' is not ISO 8601")
        details = payload.get("custom_details")
        if details is not None and not isinstance(details, dict):
            out.append("'payload.custom_details' must be an object")
    for link in event.get("links") or []:
        if not isinstance(link, dict) or not str(link.get("href", "")).startswith(("http://", "https://")):
            out.append("'links' entries need an href")
    return out


# --- V3 web hooks, signed as PagerDuty signs them ------------------------------------------------------


def webhook(
    secrets: list[str],
    *,
    event_type: str,
    incident_key: str | None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    agent: str = "Dana Oncall",
) -> tuple[bytes, dict[str, str]]:
    """A V3 web hook body and its headers (``X-PagerDuty-Signature`` with one v1 per secret)."""
    at = (occurred_at or datetime.now(UTC)).astimezone(UTC)
    incident_id = "Q" + uuid.uuid4().hex[:12].upper()
    data: dict[str, Any] = {
        "id": incident_id,
        "type": "incident",
        "self": f"https://api.pagerduty.com/incidents/{incident_id}",
        "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
        "number": 42,
        "status": event_type.removeprefix("incident."),
        "title": "A page from Remediate",
        "service": {"id": "PF9KMXH", "summary": "Remediate", "type": "service_reference"},
        "urgency": "high",
    }
    if incident_key is not None:
        data["incident_key"] = incident_key
    body = json.dumps(
        {
            "event": {
                "id": event_id or uuid.uuid4().hex,
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "agent": {"id": "PLH1HKV", "summary": agent, "type": "user_reference"},
                "client": {"name": "PagerDuty"},
                "data": data,
            }
        }
    ).encode()
    signature = ",".join("v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "PagerDuty-Webhook/V3.0",
        "X-Webhook-Id": uuid.uuid4().hex,
        "X-Webhook-Subscription": "PSUB123",
        "X-PagerDuty-Signature": signature,
    }
