"""Steps the PagerDuty, e-mail and outbound web hook end-to-end tests share: the delivery worker of one
destination, waiting for what a background worker does, resolving through the modal, posting a hook."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import select

from bot.config import Settings
from bot.delivery.worker import DeliveryWorker
from bot.runtime import Bot
from bot.slack.ids import Action, View
from bot.slack.ids import IncidentInput as F
from storage.models import OutboxMessage
from tests.fakes.signing import SlackDriver, plain_value
from tests.fakes.slack_api import FakeSlack
from tests.slack.incident_steps import field, press
from tests.support import BotHarness, FakeClock


def worker(bot: BotHarness, destination: str) -> DeliveryWorker:
    return next(w for w, _ in bot.bot.workers if w.destination == destination)


def wait_until(predicate: Callable[[], Any], *, timeout: float = 10.0, message: str = "") -> Any:
    """Poll until `predicate()` is truthy (background workers take a moment); fail the test if not."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message or predicate}")
        time.sleep(0.02)


def deliveries(bot: BotHarness, destination: str) -> list[OutboxMessage]:
    with bot.uow() as session:
        rows = list(session.exec(select(OutboxMessage).where(OutboxMessage.destination == destination)))
        session.expunge_all()
    return rows


def pending(bot: BotHarness, destination: str) -> int:
    return sum(1 for r in deliveries(bot, destination) if r.status == "pending")


def resolve_in_slack(
    slack: SlackDriver, fake: FakeSlack, card: dict[str, Any], *, summary: str, user: str = "UALICE"
) -> None:
    press(slack, Action.INCIDENT_RESOLVE, card, user=user)
    view_id = next(vid for vid, v in fake.views.items() if v["callback_id"] == View.INCIDENT_RESOLVE.value)
    reply = slack.view_submission(
        View.INCIDENT_RESOLVE.value, field(F.SUMMARY, plain_value(summary)), view_id=view_id, user=user
    )
    assert reply.status == 200 and not (reply.json() or {}).get("errors"), reply.text


def post_hook(bot: BotHarness, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", bot.bot.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw.startswith(b"{") else {"raw": raw.decode()})
    finally:
        conn.close()


def get(bot: BotHarness, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", bot.bot.port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def attempts(bot: BotHarness, destination: str) -> int:
    """Attempts recorded on the destination's deliveries (a retry is recorded with its next due time)."""
    return sum(r.attempts for r in deliveries(bot, destination))


def outage(bot: BotHarness, destination: str, *, minutes: int) -> None:
    """Move the clock on a minute at a time for `minutes`, each time waiting until the destination's worker
    tried again and recorded the failure (its retry came due), as minutes of a real outage would go."""
    for _ in range(minutes):
        before = attempts(bot, destination)
        bot.clock.advance(minutes=1)
        wait_until(lambda b=before: attempts(bot, destination) > b, message="a retry once the backoff passed")


@contextmanager
def bot_with(settings: Settings, clock: FakeClock) -> Iterator[BotHarness]:
    """A running bot with the PagerDuty, e-mail and web hook integrations (each empty when its settings are
    absent), as `bot.integrations` wires them."""
    import bot.email
    import bot.pagerduty
    import bot.webhooks

    running = Bot(
        settings,
        clock=clock,
        scheduler=False,
        port=0,
        sender_poll=0.05,
        plugs=[bot.pagerduty.plug, bot.email.plug, bot.webhooks.plug],
    )
    running.start()
    try:
        yield BotHarness(running, clock)
    finally:
        running.stop()
