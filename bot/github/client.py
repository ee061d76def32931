"""The GitHub REST API calls the bot makes, on GITHUB_API_URL (github.com or GitHub Enterprise Server), with
the token; and what an answer means for a delivery (`outcome`: Retry at the time GitHub names, or Permanent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from bot.delivery.worker import Permanent, Retry
from bot.github.rest import Answer, call, fetch

API_VERSION = "2022-11-28"
SECONDARY_WAIT = 60.0  # GitHub: wait at least a minute after a secondary rate limit without Retry-After


class GitHub:
    def __init__(self, api_url: str, token: str, *, timeout: float = 10.0):
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None
    ) -> Answer:
        url = self.api_url + path + (f"?{urlencode(params)}" if params else "")
        return call(
            method,
            url,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "remediate",
            },
            body=body,
            timeout=self.timeout,
        )

    @staticmethod
    def issue_path(repository: str, number: str | int | None = None) -> str:
        owner, _, repo = repository.partition("/")
        base = f"/repos/{quote(owner, safe='')}/{quote(repo, safe='')}/issues"
        return base if number is None else f"{base}/{quote(str(number), safe='')}"

    def file_text(self, repository: str, ref: str, path: str, *, limit: int) -> str:
        """A file of a repository at `ref`, as text (the contents API, raw media type). Raises LookupError
        with a message people can read."""
        owner, _, repo = repository.partition("/")
        url = (
            f"{self.api_url}/repos/{quote(owner, safe='')}/{quote(repo, safe='')}/contents/"
            f"{quote(path)}?{urlencode({'ref': ref})}"
        )
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github.raw+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "remediate",
        }
        try:
            status, _headers, raw = fetch("GET", url, headers=headers, timeout=self.timeout, limit=limit)
        except OSError:
            raise LookupError("GitHub could not be reached; try again later") from None
        if status in (401, 403):
            raise LookupError("GitHub refused the token for that file")
        if status == 404:
            raise LookupError("GitHub has no such file (or the token cannot see it)")
        if status != 200:
            raise LookupError(f"GitHub answered {status}; try again later")
        if len(raw) > limit:
            raise LookupError(f"the file is over {limit // 1024} KB")
        return raw.decode("utf-8", errors="replace")


def outcome(answer: Answer, now: datetime, what: str) -> None:
    """Nothing for a success; otherwise Retry (rate limits at the time GitHub names, 5xx with backoff) or
    Permanent with GitHub's reason."""
    if answer.ok:
        return
    status = answer.status
    message = answer.message()
    if status in (403, 429):
        after = answer.header("retry-after")
        if after and after.strip().isdigit():
            raise Retry(float(after), f"GitHub rate limit on {what}: retry after {after} s")
        if (
            answer.header("x-ratelimit-remaining") == "0"
            and (answer.header("x-ratelimit-reset") or "").isdigit()
        ):
            wait = max(int(answer.header("x-ratelimit-reset") or 0) - now.timestamp(), 1.0)
            raise Retry(wait, f"GitHub rate limit on {what}: reset in {wait:.0f} s")
        if status == 429 or "rate limit" in message.lower():
            raise Retry(SECONDARY_WAIT, f"GitHub secondary rate limit on {what}")
        raise Permanent(f"GitHub refused {what} (403): {message}")
    if status >= 500:
        raise Retry(None, f"GitHub answered {status} to {what}")
    if status == 401:
        raise Permanent(f"GitHub refused the token (401): {message}")
    raise Permanent(f"GitHub refused {what} ({status}): {message}")
