"""The Jira REST API calls the bot makes: Cloud (REST v3, e-mail and API token, descriptions in Atlassian
Document Format) or Data Center (REST v2, a personal access token, plain-text descriptions); and what an
answer means for a delivery (`outcome`)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from bot.delivery.worker import Permanent, Retry
from bot.github.rest import Answer, call


class Jira:
    def __init__(self, base_url: str, token: str, *, email: str = "", timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.cloud = bool(email)
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        if email:
            basic = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
            self._auth = f"Basic {basic}"
        else:
            self._auth = f"Bearer {token}"
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None
    ) -> Answer:
        url = self.base_url + self.api + path + (f"?{urlencode(params)}" if params else "")
        return call(
            method,
            url,
            headers={"Authorization": self._auth, "User-Agent": "remediate"},
            body=body,
            timeout=self.timeout,
        )

    @staticmethod
    def issue_path(key: str) -> str:
        return f"/issue/{quote(key, safe='')}"

    def browse(self, key: str) -> str:
        return f"{self.base_url}/browse/{quote(key, safe='')}"


def outcome(answer: Answer, now: datetime, what: str) -> None:
    """Nothing for a success; 429 and 503 wait their Retry-After, other 5xx back off; the rest are refusals
    for good, with Jira's reason."""
    if answer.ok:
        return
    status = answer.status
    after = answer.header("retry-after")
    wait = float(after) if after and after.strip().isdigit() else None
    if status == 429:
        raise Retry(wait if wait is not None else 60.0, f"Jira rate limit on {what}")
    if status >= 500:
        raise Retry(wait, f"Jira answered {status} to {what}")
    if status == 401:
        raise Permanent(f"Jira refused the credentials (401): {answer.message()}")
    raise Permanent(f"Jira refused {what} ({status}): {answer.message()}")
