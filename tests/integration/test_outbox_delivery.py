"""The outbox sender against a misbehaving Slack: nothing lost, nothing twice, a channel's order kept; and
its background priority."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.activity import Activity
from bot.services import outbox
from bot.slack.notifier import MAX_YIELD, QUIET, Notifier
from storage.db import make_engine, unit_of_work
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tests.support import FakeClock

CHANNEL = "CINCIDENTS"


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def notifier(engine, fake_slack, clock):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.url, retry_handlers=[])
    return Notifier(engine=engine, client=client, clock=clock, worker_id="w1", channel_rate=1000.0)


def _queue(engine, clock: FakeClock, *texts: str, channel: str = CHANNEL) -> list[int]:
    ids = []
    with unit_of_work(engine) as session:
        for text in texts:
            ids.append(outbox.post_message(session, now=clock(), channel=channel, text=text))
    return ids


def _deliver_until_done(notifier: Notifier, clock: FakeClock, engine, rounds: int = 40) -> None:
    for _ in range(rounds):
        notifier.drain()
        with unit_of_work(engine, readonly=True) as session:
            pending = session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all()
        if not pending:
            return
        clock.advance(seconds=10)
    raise AssertionError("messages still pending")


@pytest.mark.both_backends
def test_429_then_500_twice_then_ok_delivers_each_message_once_in_order(
    backend, engine, notifier, fake_slack, clock
):
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)
    fake_slack.fail("chat.postMessage", status=500, times=2)
    _queue(engine, clock, "level 1", "level 2", "level 3")

    _deliver_until_done(notifier, clock, engine)

    texts = [m["text"] for m in fake_slack.messages(CHANNEL)]
    assert texts == ["level 1", "level 2", "level 3"]
    statuses = [c.http_status for c in fake_slack.calls_to("chat.postMessage")]
    assert statuses[:3] == [429, 500, 500]
    assert statuses.count(200) == 3


def test_a_retried_message_holds_back_later_ones_to_the_same_channel_only(
    engine, notifier, fake_slack, clock
):
    fake_slack.fail("chat.postMessage", status=429, retry_after=30)
    _queue(engine, clock, "first", "second")
    _queue(engine, clock, "elsewhere", channel="COTHER")

    notifier.drain()
    assert [m["text"] for m in fake_slack.messages("COTHER")] == ["elsewhere"]
    assert fake_slack.messages(CHANNEL) == []  # "second" waits behind "first"'s Retry-After

    clock.advance(seconds=29)
    notifier.drain()
    assert fake_slack.messages(CHANNEL) == []
    clock.advance(seconds=2)
    notifier.drain()
    assert [m["text"] for m in fake_slack.messages(CHANNEL)] == ["first", "second"]


def test_a_permanent_error_is_kept_as_failed_and_logged_loudly(engine, notifier, fake_slack, clock, caplog):
    fake_slack.missing_channels.add("CGONE")
    [msg_id] = _queue(engine, clock, "into the void", channel="CGONE")
    with caplog.at_level(logging.ERROR):
        notifier.drain()
        clock.advance(hours=1)
        notifier.drain()
    with unit_of_work(engine, readonly=True) as session:
        row = session.get(OutboxMessage, msg_id)
        assert row.status == "failed"
        assert "channel_not_found" in row.last_error
    assert len(fake_slack.calls_to("chat.postMessage")) == 1, "never retried"
    assert any("channel_not_found" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_an_update_queued_with_its_message_goes_out_after_it_without_the_clock_moving(
    engine, notifier, fake_slack, clock
):
    with unit_of_work(engine) as session:
        outbox.update_message(session, now=clock(), ref="card:1", text="updated")  # queued first, on purpose
        outbox.post_message(session, now=clock(), channel=CHANNEL, text="original", ref="card:1")
    for _ in range(5):
        notifier.drain()
    [message] = fake_slack.messages(CHANNEL)
    assert message["text"] == "updated"


def test_settle_counts_held_messages_without_waiting_for_them(engine, notifier, fake_slack, clock):
    with unit_of_work(engine) as session:
        now = clock()
        held = outbox.send_dm(
            session, now=now, user_id="UCAROL", text="tomorrow", not_before=now + timedelta(hours=10)
        )
        due = outbox.post_message(session, now=now, channel=CHANNEL, text="now")
        ids = [held, due]
    settled = notifier.settle(ids, timeout=5)
    assert (settled.sent, settled.held, settled.pending, settled.failed) == (1, 1, 0, 0)
    assert settled.held_until == now + timedelta(hours=10)


class _Monotonic:
    """A monotonic clock that moves only when the code under test pauses."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.paused: list[float] = []

    def __call__(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)
        self.now += seconds


def test_the_background_sender_gives_way_to_requests_being_answered(engine, fake_slack, clock):
    mono = _Monotonic()
    activity = Activity(clock=mono)
    client = WebClient(token=fake_slack.token, base_url=fake_slack.url)
    notifier = Notifier(engine=engine, client=client, clock=clock, worker_id="w1", activity=activity)
    stop = threading.Event()

    assert notifier.wait_for_quiet(stop, pause=mono.pause) is True  # nothing answered yet: at once
    assert mono.paused == []

    activity.begin()  # a request is being answered: wait for it, but at most MAX_YIELD
    assert notifier.wait_for_quiet(stop, pause=mono.pause) is False
    assert sum(mono.paused) == pytest.approx(MAX_YIELD)

    activity.end()  # answered just now: wait until QUIET has passed since, no longer
    mono.paused.clear()
    assert notifier.wait_for_quiet(stop, pause=mono.pause) is True
    assert QUIET <= sum(mono.paused) <= QUIET + 0.002

    stop.set()  # shutting down: no waiting at all
    activity.begin()
    assert notifier.wait_for_quiet(stop, pause=mono.pause) is False
