"""Timestamps on both backends: stored as UTC, always read back aware, compared and ordered as instants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import StatementError

from storage import queries
from storage.db import make_engine, unit_of_work
from storage.migrate import upgrade
from storage.models import Claim, TimelineEvent

pytestmark = pytest.mark.both_backends

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN),  # just after Berlin's spring-forward
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK),  # the second 01:30 of New York's fall-back
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Pacific/Kiritimati")),
    ],
)
def test_aware_timestamps_round_trip_as_the_same_instant_in_utc(engine: Engine, written: datetime) -> None:
    with unit_of_work(engine) as session:
        session.add(Claim(key="k", claimed_at=written, owner=""))
    with unit_of_work(engine, readonly=True) as session:
        read = session.get(Claim, "k")
        assert read is not None
        assert read.claimed_at.tzinfo is not None
        assert read.claimed_at.utcoffset() == timedelta(0)
        # Compare instants: Python's == between zones is always False for a time inside a fold (PEP 495).
        assert read.claimed_at.timestamp() == written.timestamp()
        assert read.claimed_at.microsecond == written.astimezone(UTC).microsecond


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), unit_of_work(engine) as session:
        session.add(Claim(key="k", claimed_at=datetime(2026, 11, 23, 9, 0), owner=""))
        session.flush()


def test_order_and_comparison_follow_instants_not_wall_times(engine: Engine) -> None:
    # 10:00 in Berlin is 09:00 UTC, earlier than 05:00 in New York (10:00 UTC): wall-clock order would lie.
    berlin_ten = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    new_york_five = datetime(2026, 11, 23, 5, 0, tzinfo=NEW_YORK)
    utc_nine_thirty = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    with unit_of_work(engine) as session:
        for label, at in (("ny", new_york_five), ("berlin", berlin_ten), ("utc", utc_nine_thirty)):
            queries.add_event(session, subject_id="P0-1", at=at, actor_id=None, kind="note", summary=label)
    with unit_of_work(engine, readonly=True) as session:
        assert [e.summary for e in queries.timeline(session, subject_id="P0-1")] == ["berlin", "utc", "ny"]
        before = session.scalars(
            select(TimelineEvent.summary).where(
                TimelineEvent.at < datetime(2026, 11, 23, 4, 45, tzinfo=NEW_YORK)  # type: ignore[operator]
            )
        ).all()
        assert sorted(before) == ["berlin", "utc"]
