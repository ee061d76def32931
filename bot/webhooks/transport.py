"""One HTTPS POST with the standard library: no redirects followed (a 3xx is an answer like any other),
a timeout on the whole call, the answer's status, headers and (bounded) body."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def retry_after(self) -> float | None:
        """Retry-After in seconds, when it is a number (capped at an hour)."""
        value = self.headers.get("retry-after", "").strip()
        try:
            return min(max(float(value), 0.0), 3600.0) if value else None
        except ValueError:
            return None


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to `url`; raises OSError (including timeouts) when no answer came."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
        resp = conn.getresponse()
        data = resp.read(MAX_ANSWER)
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from exc
    finally:
        conn.close()
