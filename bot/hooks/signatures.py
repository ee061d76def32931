"""The signature schemes of the web hooks the bot receives and sends, each verified in constant time.

- ``v0`` (Slack's scheme, used with our own secrets for the CI hook and the web hooks we send):
  ``X-Remediate-Timestamp: <unix seconds>`` and ``X-Remediate-Signature: v0=<hex HMAC-SHA256 of
  "v0:{timestamp}:{raw body}">``; the timestamp is a plain decimal integer within 5 minutes of now.
- GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``.
- PagerDuty (webhooks v3): ``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`` (several while a secret rotates).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

WINDOW_SECONDS = 300
_DECIMAL = re.compile(r"[0-9]{1,12}")


class BadSignature(Exception):
    """The request is not what it claims to be: a short reason, safe to log."""


def hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def parse_timestamp(value: str | None, now: datetime, *, window: int = WINDOW_SECONDS) -> int:
    """The timestamp header as an int, when it is a plain decimal integer within `window` s of `now`."""
    if value is None or not _DECIMAL.fullmatch(value):
        raise BadSignature("timestamp missing or not a decimal integer")
    ts = int(value)
    if abs(now.timestamp() - ts) > window:
        raise BadSignature("timestamp outside the 5-minute window")
    return ts


def sign_v0(secret: str, timestamp: int, body: bytes) -> str:
    return "v0=" + hex_hmac(secret, b"v0:" + str(timestamp).encode("ascii") + b":" + body)


def verify_v0(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> int:
    """Check a v0 signature and its timestamp's freshness; the timestamp on success."""
    ts = parse_timestamp(timestamp, now)
    if not signature or not hmac.compare_digest(sign_v0(secret, ts, body), signature):
        raise BadSignature("signature does not match")
    return ts


def verify_github(secret: str, *, signature: str | None, body: bytes) -> None:
    if not signature or not hmac.compare_digest("sha256=" + hex_hmac(secret, body), signature):
        raise BadSignature("X-Hub-Signature-256 does not match")


def verify_pagerduty(secret: str, *, signatures: str | None, body: bytes) -> None:
    expected = "v1=" + hex_hmac(secret, body)
    listed = [s.strip() for s in (signatures or "").split(",") if s.strip()]
    # Compare against every listed signature (no early exit), so timing says nothing of which matched.
    matched = [hmac.compare_digest(expected, s) for s in listed]
    if not any(matched):
        raise BadSignature("X-PagerDuty-Signature does not match")
