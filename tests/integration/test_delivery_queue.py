"""The delivery queue across destinations, end to end: the real bot with its Slack worker and the worker of a
second destination (a fake web API on loopback that can be down, refuse or rate limit on demand).

What must hold: a destination that is down holds up no other and loses nothing; what it was sent arrives
once and in order when it is back; a refusal for good is kept, counted per destination and shown in
/healthz's detail; an idempotency key queues once; depth is reported per destination."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.runtime import Bot
from bot.services import outbox
from storage.models import OutboxMessage
from tests.fakes.destination import FakeReceiver, ReceiverSender
from tests.support import BotHarness, make_settings

pytestmark = pytest.mark.both_backends


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def sender(receiver: FakeReceiver) -> ReceiverSender:
    return ReceiverSender(url=receiver.url, max_attempts=6)


@pytest.fixture
def bot(backend, fake_slack, clock, database_url, sender) -> Iterator[BotHarness]:
    settings = make_settings(database_url, fake_slack.url)
    running = Bot(settings, clock=clock, scheduler=False, port=0, sender_poll=0.05, senders=[sender])
    running.start()
    try:
        yield BotHarness(running, clock)
    finally:
        running.stop()


def _queue(bot: BotHarness, *, dm: str | None = None, events: list[str] = (), lane: str = "lane") -> None:
    now = bot.clock()
    with bot.uow() as session:
        if dm:
            outbox.send_dm(session, now=now, user_id="UBOB", text=dm)
        for name in events:
            outbox.deliver(
                session,
                destination="receiver",
                method="event.post",
                payload={"event": name},
                now=now,
                key=f"event:{name}",
                pace_key=lane,
            )


def _rows(bot: BotHarness, destination: str) -> list[OutboxMessage]:
    with bot.uow() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.destination == destination)))
        session.expunge_all()
    return rows


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read()


def _metric(body: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if want else "") + r"\s+([0-9.e+]+)"
    found = re.search(pattern, body)
    return float(found.group(1)) if found else 0.0


def test_a_destination_that_is_down_holds_up_nothing_else_and_loses_nothing(bot, receiver, fake_slack):
    receiver.down()
    _queue(bot, dm="Slack goes on", events=["one", "two", "three"])
    fake_slack.wait_for(lambda: fake_slack.messages("UBOB"), message="the DM, while the receiver is down")
    fake_slack.wait_for(
        lambda: any(r.attempts > 0 for r in _rows(bot, "receiver")), message="the receiver's first attempt"
    )
    assert receiver.received == []
    # Later Slack messages still go out at once while the receiver's deliveries wait for their retry.
    _queue(bot, dm="and on")
    fake_slack.wait_for(lambda: len(fake_slack.messages("UBOB")) == 2, message="the second DM")

    receiver.up()
    bot.clock.advance(minutes=10)  # past every backoff
    bot.deps.wake_workers[0].set()
    fake_slack.wait_for(lambda: len(receiver.received) == 3, timeout=10, message="all three, once back")
    assert [e["event"] for e in receiver.received] == ["one", "two", "three"]  # in order
    bot.clock.advance(minutes=10)
    bot.deps.wake_workers[0].set()
    fake_slack.wait_for(lambda: all(r.status == "sent" for r in _rows(bot, "receiver")), message="all sent")
    assert len(receiver.received) == 3  # nothing twice
    assert [m["text"] for m in fake_slack.messages("UBOB")] == ["Slack goes on", "and on"]


def test_a_refusal_for_good_is_kept_counted_and_shown_in_the_health_detail(bot, receiver):
    receiver.fail_with(400)
    _queue(bot, events=["bad"])
    bot.deps.wake_workers[0].set()
    bot_wait(lambda: _rows(bot, "receiver")[0].status == "failed")
    [row] = _rows(bot, "receiver")
    assert row.last_error == "HTTP 400" and row.attempts == 1
    _status, body = _get(bot.url + "/metrics")
    text = body.decode()
    assert _metric(text, "remediate_delivery_permanent_failures_total", destination="receiver") == 1
    assert _metric(text, "remediate_deliveries_total", destination="receiver", outcome="failed") == 1
    status, body = _get(bot.url + "/healthz?detail=1")
    detail = json.loads(body)
    assert status == 200 and detail["database"] == "ok"
    assert detail["destinations"]["receiver"]["last_permanent_failure"]["reason"] == "HTTP 400"
    assert _get(bot.url + "/healthz") == (200, b"ok\n")  # a refused delivery does not make the bot unhealthy


def test_a_destination_with_a_limit_of_attempts_gives_up_and_keeps_the_delivery(bot, receiver, sender):
    receiver.down()
    _queue(bot, events=["never"])
    for _ in range(sender.max_attempts or 0):
        bot.deps.wake_workers[0].set()
        before = _rows(bot, "receiver")[0].attempts
        bot_wait(lambda b=before: _rows(bot, "receiver")[0].attempts > b)
        bot.clock.advance(minutes=7)  # past the longest backoff (5 min, plus jitter)
    [row] = _rows(bot, "receiver")
    assert row.status == "failed" and row.attempts == sender.max_attempts
    assert row.last_error.startswith(f"gave up after {sender.max_attempts} attempts")


def test_a_retry_after_from_the_destination_is_honoured(bot, receiver):
    receiver.fail_with(429, retry_after=120)
    _queue(bot, events=["later"])
    bot_wait(lambda: _rows(bot, "receiver")[0].attempts == 1)
    [row] = _rows(bot, "receiver")
    assert row.status == "pending" and row.not_before == bot.clock() + timedelta(seconds=120)
    bot.clock.advance(seconds=119)
    bot.deps.wake_workers[0].set()
    assert receiver.received == []
    bot.clock.advance(seconds=2)
    bot.deps.wake_workers[0].set()
    bot_wait(lambda: len(receiver.received) == 1)


def test_one_idempotency_key_queues_once_and_depth_is_reported_per_destination(bot, receiver):
    receiver.down()
    _queue(bot, events=["same"])
    _queue(bot, events=["same"])
    assert len(_rows(bot, "receiver")) == 1
    _status, body = _get(bot.url + "/metrics")
    text = body.decode()
    assert _metric(text, "remediate_delivery_depth", destination="receiver") == 1
    assert _metric(text, "remediate_outbox_depth") >= 1


def bot_wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
