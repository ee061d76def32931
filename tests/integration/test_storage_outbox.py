"""Outbox leases on both backends: workers draining at once never send a message twice, and a dead worker's
messages are sent by another once its lease runs out (never before)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select

from bot.services import outbox
from bot.slack.notifier import Notifier
from storage import queries
from storage.db import make_engine, unit_of_work
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tests.fakes.slack_api import FakeSlack
from tests.support import FakeClock

pytestmark = pytest.mark.both_backends

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=10)
    upgrade(engine)
    yield engine
    engine.dispose()


def _queue(engine: Engine, n: int, *, channels: int = 6) -> list[str]:
    texts = [f"message {i:03d}" for i in range(n)]
    with unit_of_work(engine) as session:
        for i, text in enumerate(texts):
            outbox.post_message(session, now=NOW, channel=f"C{i % channels:03d}", text=text)
    return texts


def _notifier(
    engine: Engine, fake: FakeSlack, worker: str, *, wall: Any = None, client: WebClient | None = None
) -> Notifier:
    kwargs: dict[str, Any] = {"wall_clock": wall} if wall is not None else {}
    return Notifier(
        engine=engine,
        client=client or WebClient(base_url=fake.url, token=fake.token),
        clock=lambda: NOW,
        worker_id=worker,
        channel_rate=1000.0,
        lease=LEASE,
        **kwargs,
    )


def _statuses(engine: Engine) -> Counter[str]:
    with unit_of_work(engine, readonly=True) as session:
        return Counter(session.scalars(select(OutboxMessage.status)).all())


def _pending(engine: Engine) -> int:
    return _statuses(engine)["pending"]


def test_two_notifiers_draining_at_once_deliver_each_message_exactly_once(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.burst = None  # pacing is the notifier's business here, not the subject of the test
    texts = _queue(engine, 60)
    workers = [_notifier(engine, fake_slack, f"worker-{i}") for i in range(2)]
    start = threading.Barrier(len(workers))
    sent_by: Counter[str] = Counter()

    def drain(notifier: Notifier) -> None:
        start.wait(timeout=10)
        while _pending(engine):
            stats = notifier.deliver_due(limit=4)  # small batches, so the two really interleave
            sent_by[notifier.worker_id] += stats.sent

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    posted = Counter(p["text"] for p in fake_slack.posts())
    assert posted == Counter(texts), "some message was lost or sent twice"
    assert _statuses(engine) == Counter({"sent": 60})
    assert sum(sent_by.values()) == 60


def test_a_dead_workers_messages_wait_for_its_lease_then_go_out_once(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    texts = _queue(engine, 5)
    wall = FakeClock(NOW)
    with unit_of_work(engine) as session:  # a worker leases the batch, then dies before sending any of it
        taken = queries.lease_outbox(session, now=NOW, lease_now=wall(), worker="dead", limit=50, lease=LEASE)
        assert len(taken) == 5
    survivor = _notifier(engine, fake_slack, "survivor", wall=wall)

    wall.advance(LEASE - timedelta(seconds=1))
    assert survivor.drain().sent == 0
    assert fake_slack.posts() == []

    wall.advance(seconds=2)
    assert survivor.drain().sent == 5
    assert sorted(p["text"] for p in fake_slack.posts()) == texts
    assert survivor.drain().sent == 0


def test_leases_are_measured_on_the_wall_clock_not_the_business_clock(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    """`remediate jobs run --at` evaluates a job as of a past instant: its leases must still hold against
    replicas whose clocks say now."""
    _queue(engine, 3)
    wall = FakeClock(NOW + timedelta(days=30))
    with unit_of_work(engine) as session:
        queries.lease_outbox(session, now=NOW, lease_now=wall(), worker="job-runner", limit=50, lease=LEASE)
    replica = _notifier(engine, fake_slack, "replica", wall=wall)
    replica.clock = lambda: NOW + timedelta(days=30)
    assert replica.drain().sent == 0


class _Hooked(WebClient):
    """Runs `hooks[n]` while the n-th Slack call is in flight (a slow Slack, deterministically)."""

    def __init__(self, *hooks: Any, fake: FakeSlack):
        super().__init__(base_url=fake.url, token=fake.token)
        self.hooks = list(hooks)

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        hook = self.hooks.pop(0) if self.hooks else None
        if hook is not None:
            hook()
        return super().api_call(api_method, *args, **kwargs)


def _row(engine: Engine, text: str) -> dict[str, Any]:
    with unit_of_work(engine, readonly=True) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        return next(r.model_dump() for r in rows if r.payload["text"] == text)


def test_a_batch_that_outlives_its_lease_does_not_send_what_another_worker_took(
    engine: Engine, fake_slack: FakeSlack
) -> None:
    _queue(engine, 2, channels=2)
    wall = FakeClock(NOW)

    def slack_is_slow_and_another_worker_takes_the_rest() -> None:
        wall.advance(LEASE + timedelta(seconds=1))
        with unit_of_work(engine) as session:
            row = session.get(OutboxMessage, _row(engine, "message 001")["id"])
            assert row is not None
            row.leased_by, row.lease_until = "other", wall() + LEASE

    client = _Hooked(slack_is_slow_and_another_worker_takes_the_rest, fake=fake_slack)
    first = _notifier(engine, fake_slack, "first", wall=wall, client=client)
    assert first.deliver_due().sent == 1
    assert [p["text"] for p in fake_slack.posts()] == ["message 000"]
    taken = _row(engine, "message 001")
    assert (taken["status"], taken["leased_by"]) == ("pending", "other")


def test_a_slow_batch_renews_each_lease_before_sending(engine: Engine, fake_slack: FakeSlack) -> None:
    _queue(engine, 2, channels=2)
    wall = FakeClock(NOW)

    def lease_was_renewed() -> None:
        assert _row(engine, "message 001")["lease_until"] == wall() + LEASE

    client = _Hooked(lambda: wall.advance(LEASE * 0.75), lease_was_renewed, fake=fake_slack)
    first = _notifier(engine, fake_slack, "first", wall=wall, client=client)
    assert first.deliver_due().sent == 2
    assert sorted(p["text"] for p in fake_slack.posts()) == ["message 000", "message 001"]
