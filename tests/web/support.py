"""The dashboard tests' bot: the real server on a port chosen first, so DASHBOARD_URL can name it, and the
steps every test takes (a link from a signed `/remediate dashboard`, plain HTTP without redirects)."""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.dashboard import pages
from bot.integrations import Plug
from bot.runtime import Bot
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import SIGNING_SECRET, BotHarness, FakeClock, make_settings

LINK = re.compile(r"<(https?://[^|>]+)\|")


def dashboard_plug(deps: Any) -> Plug:
    """The dashboard's entry of `bot.integrations._plugs`, alone (the other integrations need settings)."""
    return Plug(pages=pages(deps))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dashboard_bot(
    database_url: str, fake: FakeSlack, clock: FakeClock, **overrides: Any
) -> Iterator[tuple[BotHarness, SlackDriver]]:
    port = free_port()
    values: dict[str, Any] = {"dashboard_url": f"http://127.0.0.1:{port}", "monthly_revenue": 730_000.0}
    values.update(overrides)
    settings = make_settings(database_url, fake.url, **values)
    bot = Bot(settings, clock=clock, scheduler=False, port=port, sender_poll=0.05, plugs=[dashboard_plug])
    bot.start()
    try:
        harness = BotHarness(bot, clock)
        yield harness, SlackDriver(harness.url, SIGNING_SECRET, fake=fake)
    finally:
        bot.stop()


def ask_for_link(slack: SlackDriver, *, user: str = "UALICE") -> tuple[str, dict[str, Any]]:
    """`/remediate dashboard` as `user`: the sign-in URL in the private answer, and the answer."""
    reply = slack.command("/remediate", "dashboard", user=user)
    assert reply.status == 200, reply.text
    data = reply.json()
    assert data["response_type"] == "ephemeral", data
    found = LINK.search(data["text"])
    assert found, data
    return found.group(1), data


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


def request(
    url: str, *, method: str = "GET", cookie: str | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One HTTP request, redirects not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = cookie
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, headers=sent)
        r = conn.getresponse()
        return Answer(r.status, r.headers, r.read())
    finally:
        conn.close()


def sign_in(link: str) -> str:
    """Open the link; the session cookie as a Cookie header value."""
    answer = request(link)
    assert answer.status == 303, answer.text
    (set_cookie,) = answer.cookies()
    return set_cookie.split(";", 1)[0]
