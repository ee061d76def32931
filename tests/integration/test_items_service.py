"""The composable item API other features build on: create_item_in and get_item, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.config import Settings
from bot.core.errors import NotFound, UserError
from bot.services.items.changes import create_item_in, get_item
from bot.slack.renderer import slack_renderer
from storage import queries
from storage.db import make_engine, unit_of_work
from storage.migrate import upgrade
from storage.models import OutboxMessage, RemediationItem, TimelineEvent
from tests.support import make_settings

RENDER = slack_renderer().items

pytestmark = pytest.mark.both_backends

NOW = datetime(2025, 9, 8, 11, 45, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, "http://127.0.0.1:9/api/", monthly_revenue=200000)


def create(
    session: Session, settings: Settings, *, now: datetime = NOW, actor_id: str = "UALICE", **fields: Any
) -> tuple[RemediationItem, list[TimelineEvent]]:
    """create_item_in with this module's clock, renderer and creator unless a test says otherwise."""
    return create_item_in(session, now=now, settings=settings, render=RENDER, actor_id=actor_id, **fields)


def test_ids_share_one_daily_sequence_across_priorities(engine: Engine, settings: Settings) -> None:
    with unit_of_work(engine) as session:
        a, _ = create(session, settings, title="Fix async chain", priority="P0")
        b, _ = create(session, settings, title="Verify manager", priority="p1")
    with unit_of_work(engine) as session:
        c, _ = create(
            session, settings, now=NOW + timedelta(days=1), actor_id="UBOB", title="Next day", priority="P2"
        )
    assert (a.id, b.id, c.id) == ("P0-20250908-001", "P1-20250908-002", "P2-20250909-001")


def test_defaults_deadline_and_mrr_by_priority(engine: Engine, settings: Settings) -> None:
    with unit_of_work(engine) as session:
        p0, p1, p2, p3 = (
            create(session, settings, title=title, priority=priority)[0]
            for title, priority in [("a", "P0"), ("b", "P1"), ("c", "P2"), ("d", "P3")]
        )
    assert p0.deadline - NOW == timedelta(hours=24)
    assert p1.deadline - NOW == timedelta(hours=72)
    assert p2.deadline - NOW == timedelta(days=7)
    assert p3.deadline - NOW == timedelta(days=30)
    assert (p0.mrr_at_risk, p1.mrr_at_risk, p2.mrr_at_risk, p3.mrr_at_risk) == (20000, 10000, None, None)


def test_create_writes_the_timeline_and_queues_the_owner_dm(engine: Engine, settings: Settings) -> None:
    with unit_of_work(engine) as session:
        item, _ = create(
            session,
            settings,
            title="<!channel> Fix async/await chain",
            priority="P0",
            owner_id="UBOB",
            systems=["websocket, smd"],
            criteria=["Startup completes", "Startup completes", "Health checks pass"],
            prevention=["Startup integration test"],
            incident_id="inc-20250908-001",
            source_ref="reports/FIVE_WHYS.md",
            note="Found in smd.py:465",
        )
    with unit_of_work(engine, readonly=True) as session:
        stored = get_item(session, item.id.lower())
        events = queries.timeline(session, subject_id=item.id)
        dms = list(session.scalars(select(OutboxMessage)))
        session.expunge_all()
    assert stored.systems == ["websocket", "smd"]
    assert [c["text"] for c in stored.criteria] == ["Startup completes", "Health checks pass"]
    assert stored.incident_id == "INC-20250908-001"
    assert stored.title_key == "channel fix async await chain"
    assert [e.kind for e in events] == ["created", "note"]
    assert "<!channel>" not in events[0].summary and "&lt;!channel&gt;" in events[0].summary
    assert [m.payload["channel"] for m in dms] == ["UBOB"]
    assert "<!channel>" not in str(dms[0].payload)


def test_no_dm_when_the_creator_owns_the_item(engine: Engine, settings: Settings) -> None:
    with unit_of_work(engine) as session:
        create(session, settings, title="Mine", priority="P1", owner_id="UALICE")
    with unit_of_work(engine, readonly=True) as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "x" * 201}, "201 characters"),
        ({"title": "   "}, "needs a title"),
        ({"priority": "P9"}, "not a priority"),
        ({"kind": "magic"}, "not a kind"),
        ({"deadline": NOW - timedelta(hours=1)}, "in the past"),
        ({"incident_id": "INC-1"}, "not an incident id"),
        ({"criteria": ["x" * 3001]}, "too long"),
    ],
)
def test_bad_input_raises_and_the_caller_rolls_back(
    engine: Engine, settings: Settings, fields, message
) -> None:
    args = {"title": "Fine", "priority": "P1", **fields}
    with pytest.raises(UserError) as err, unit_of_work(engine) as session:
        create(session, settings, **args)
    assert message in err.value.message
    with unit_of_work(engine, readonly=True) as session:
        assert session.execute(select(func.count()).select_from(RemediationItem)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(TimelineEvent)).scalar_one() == 0


def test_a_past_deadline_is_accepted_with_force(engine: Engine, settings: Settings) -> None:
    with unit_of_work(engine) as session:
        item, _ = create(
            session, settings, title="Old", priority="P2", deadline=NOW - timedelta(days=3), force=True
        )
    assert item.deadline == NOW - timedelta(days=3)


def test_get_item_refuses_unknown_and_malformed_ids(engine: Engine) -> None:
    with unit_of_work(engine, readonly=True) as session:
        with pytest.raises(NotFound, match="There is no item P0-20250908-001"):
            get_item(session, "p0-20250908-001")
        with pytest.raises(NotFound, match="not an item id"):
            get_item(session, "P7-2025-1")


def test_a_new_item_changed_in_the_same_unit_of_work_keeps_the_change(
    engine: Engine, settings: Settings
) -> None:
    # create_item_in writes the item with one INSERT and hands it back attached to the session: what the
    # caller changes afterwards (a starting status, say) must be saved too, as an UPDATE.
    with unit_of_work(engine) as session:
        item, events = create(
            session, settings, title="Rotate keys", priority="P1", owner_id="UBOB", note="found in the audit"
        )
        item.status, item.description = "planned", "changed after the insert"
        item_id = item.id
    assert [e.kind for e in events] == ["note", "created"]  # newest first, as written
    assert all(e.id is not None and e.subject_id == item_id for e in events)
    with unit_of_work(engine, readonly=True) as session:
        stored = get_item(session, item_id)
        assert (stored.status, stored.description) == ("planned", "changed after the insert")
        assert stored.last_progress_at == NOW and stored.evidence == [] and stored.systems == []
        kinds = [e.kind for e in queries.timeline(session, subject_id=item_id)]
    assert kinds == ["created", "note"]
