"""Atomic storage primitives under real concurrency, on SQLite and PostgreSQL: sequences and claims."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlalchemy import Engine

from storage import queries
from storage.db import make_engine, unit_of_work
from storage.migrate import upgrade

pytestmark = pytest.mark.both_backends

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=25)
    upgrade(engine)
    yield engine
    engine.dispose()


def _all_at_once(n: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` on n threads released together, so the calls really overlap."""
    gate = threading.Barrier(n)

    def run(i: int) -> T:
        gate.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_next_sequence_gives_fifty_concurrent_callers_distinct_numbers(engine: Engine) -> None:
    def take(_i: int) -> int:
        with unit_of_work(engine) as session:
            return queries.next_sequence(session, key="P0-20261123")

    numbers = _all_at_once(50, take)
    assert sorted(numbers) == list(range(1, 51))


def test_sequences_are_independent_per_key(engine: Engine) -> None:
    def take(i: int) -> tuple[str, int]:
        key = ("P0-20261123", "INC-20261123")[i % 2]
        with unit_of_work(engine) as session:
            return key, queries.next_sequence(session, key=key)

    taken = _all_at_once(20, take)
    for key in ("P0-20261123", "INC-20261123"):
        assert sorted(n for k, n in taken if k == key) == list(range(1, 11))


def test_a_sequence_number_taken_in_a_rolled_back_transaction_is_given_again(engine: Engine) -> None:
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        assert queries.next_sequence(session, key="k") == 1
        raise RuntimeError("the use case failed after taking its number")
    with unit_of_work(engine) as session:
        assert queries.next_sequence(session, key="k") == 1


def test_try_claim_is_won_exactly_once_by_concurrent_callers(engine: Engine) -> None:
    def claim(i: int) -> bool:
        with unit_of_work(engine) as session:
            return queries.try_claim(session, key="digest:2026-11-23", now=NOW, owner=f"worker-{i}")

    won = _all_at_once(20, claim)
    assert won.count(True) == 1
    with unit_of_work(engine, readonly=True) as session:
        assert queries.is_claimed(session, key="digest:2026-11-23")


def test_a_lost_claim_does_not_spoil_the_callers_transaction(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert queries.try_claim(session, key="event:Ev1", now=NOW)
    with unit_of_work(engine) as session:
        assert not queries.try_claim(session, key="event:Ev1", now=NOW)
        queries.add_event(session, subject_id="P0-1", at=NOW, actor_id=None, kind="note", summary="kept")
    with unit_of_work(engine, readonly=True) as session:
        assert [e.summary for e in queries.timeline(session, subject_id="P0-1")] == ["kept"]


def test_a_claim_in_a_rolled_back_transaction_can_be_claimed_again(engine: Engine) -> None:
    """A job that dies before committing leaves its period unclaimed, so the next run does the work."""
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        assert queries.try_claim(session, key="weekly:2026-W48", now=NOW)
        raise RuntimeError("crashed mid-job")
    with unit_of_work(engine) as session:
        assert queries.try_claim(session, key="weekly:2026-W48", now=NOW)
