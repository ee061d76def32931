"""Where a ``response_url`` may be sent to: Slack's hooks host and nowhere else.

A payload's ``response_url`` is only as trustworthy as the payload: a forged one could name any address
the bot can reach (a blind request from the bot's network). So every answer on a response URL, whether
through Bolt's ``respond()``, an item card redrawn in place or a private answer (`bot.slack.replies`), goes
through `slack_response_url` first: ``https://hooks.slack.com/…``, or a URL on the scheme, host and port
of SLACK_API_URL (where the tests' fake Slack and self-hosted stand-ins serve theirs). Anything else is
dropped as if the payload had none.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.webhook import WebhookClient

from bot.deps import call_timeout

SLACK_HOOKS = ("https", "hooks.slack.com", 443)
TIMEOUT = 5.0  # seconds; while a request waits for its answer, less (see `bot.deps.call_timeout`)


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, an unbalanced IPv6 bracket
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    return scheme, host, port or (443 if scheme == "https" else 80)


@lru_cache(maxsize=8)
def _allowed(api_url: str) -> frozenset[tuple[str, str, int]]:
    api = _origin(api_url)
    return frozenset({SLACK_HOOKS, api} if api else {SLACK_HOOKS})


def slack_response_url(url: Any, *, api_url: str) -> str | None:
    """`url` when it is a Slack response URL (Slack's hooks host, or the host and port of `api_url`, the
    configured SLACK_API_URL); None for anything else, a missing value included."""
    if not isinstance(url, str) or not url or len(url) > 2048:
        return None
    origin = _origin(url)
    return url if origin is not None and origin in _allowed(api_url) else None


class Responder:
    """Bolt's ``respond()`` on a URL `slack_response_url` accepted, with a timeout that fits the request
    being answered. Called without a URL (there was none, or it was not Slack's) it raises ValueError, as
    Bolt's does."""

    def __init__(self, url: str | None):
        self.response_url = url

    def __call__(self, text: str = "", blocks: Any = None, **fields: Any) -> Any:
        if self.response_url is None:
            raise ValueError("no Slack response URL to answer on")
        # slack_sdk annotates the timeout as int; urllib takes any number of seconds.
        timeout: Any = call_timeout(TIMEOUT)
        hook = WebhookClient(self.response_url, timeout=timeout)
        message = {k: v for k, v in {"text": text, "blocks": blocks, **fields}.items() if v is not None}
        return hook.send_dict(message)
