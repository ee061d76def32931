"""A small JSON-over-HTTPS client of the standard library, for the trackers' REST APIs (GitHub, Jira).

One call, no retries of its own: the delivery queue retries (`bot.delivery.worker`), so a call answers
what the server said (`Answer`) or raises OSError when there was no answer (refused, reset, timed out).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

TIMEOUT = 10.0  # seconds; well inside the delivery lease
MAX_ANSWER = 4 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    data: Any  # the parsed JSON body, or None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def message(self) -> str:
        """The error message the API gave, if any (GitHub ``message``, Jira ``errorMessages``/``errors``)."""
        data = self.data if isinstance(self.data, dict) else {}
        parts = [str(data["message"])] if data.get("message") else []
        parts += [str(m) for m in data.get("errorMessages") or [] if m]
        errors = data.get("errors")
        if isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        elif isinstance(errors, list):
            parts += [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        return "; ".join(parts)[:300] or f"HTTP {self.status}"


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: Any = None,
    timeout: float = TIMEOUT,
) -> Answer:
    data = None if body is None else json.dumps(body).encode("utf-8")
    all_headers = {"Accept": "application/json", **headers}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    status, answer_headers, raw = fetch(method, url, headers=all_headers, data=data, timeout=timeout)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return Answer(status, answer_headers, parsed)


def fetch(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    data: bytes | None = None,
    timeout: float = TIMEOUT,
    limit: int = MAX_ANSWER,
) -> tuple[int, dict[str, str], bytes]:
    """One request: (status, lower-case headers, at most `limit` + 1 bytes of the body)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("only http(s) URLs are fetched")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (checked above)
            return resp.status, _lower(resp.headers), resp.read(limit + 1)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, _lower(exc.headers), exc.read(limit + 1)


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}
