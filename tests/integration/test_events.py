"""Item and incident events reach every subscriber in the unit of work that caused them, on SQLite and
PostgreSQL: after the change is final, before the commit, in order; never for a unit that rolled back; with
the origin of a change that came from another system, so that system's own subscriber can leave it alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import Clock
from bot.deps import Deps
from bot.services import events, outbox
from bot.services.events import SubjectEvent
from bot.services.items.changes import create_item, move
from bot.services.items.steps import Actor
from bot.slack.renderer import slack_renderer
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import OutboxMessage, RemediationItem
from tests.support import make_settings

pytestmark = pytest.mark.both_backends

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class Recorder:
    """A subscriber that writes down what it heard, the item's status at that moment, and queues one
    delivery per event it does not ignore (as a tracker's subscriber would)."""

    def __init__(self, name: str = "tracker"):
        self.name = name
        self.heard: list[tuple[str, str, str, str]] = []

    def __call__(self, session: Session, event: SubjectEvent) -> None:
        item = session.get(RemediationItem, event.subject_id)
        self.heard.append((event.kind, event.subject_id, item.status if item else "-", event.origin))
        if event.origin == self.name:
            return  # no echo: it came from us
        outbox.deliver(
            session,
            destination=self.name,
            method="sync",
            payload={"kind": event.kind, "item": event.subject_id},
            now=event.at,
            key=f"{self.name}:{event.key}",
            pace_key=event.subject_id,
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _deps(engine: Engine, database_url: str, *subscribers: events.Subscriber) -> Deps:
    clock: Clock = lambda: NOW  # noqa: E731
    settings = make_settings(database_url, "http://127.0.0.1:9/api/")
    return Deps(
        settings=settings,
        engine=engine,
        clock=clock,
        client=WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/"),
        render=slack_renderer(),
        subscribers=subscribers,
    )


def _deliveries(engine: Engine, destination: str) -> list[dict]:
    with Session(engine) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.destination == destination).order_by(OutboxMessage.id)
        )
        return [r.payload for r in rows]


def test_a_subscriber_hears_each_change_once_with_its_final_state_and_queues_in_the_same_commit(
    engine: Engine, database_url: str
) -> None:
    heard = Recorder()
    deps = _deps(engine, database_url, heard)
    view = create_item(deps, actor_id="UALICE", title="Add a canary stage", priority="P0")
    item_id = view.item.id
    move(deps, actor=Actor("UALICE"), item_id=item_id, verb="start")

    assert [(k, s) for k, _, s, _ in heard.heard] == [("created", "identified"), ("status", "in_progress")]
    sent = _deliveries(engine, "tracker")
    assert [p["kind"] for p in sent] == ["created", "status"]
    assert {p["item"] for p in sent} == {item_id}


def test_nothing_is_heard_or_queued_for_a_unit_of_work_that_rolled_back(
    engine: Engine, database_url: str
) -> None:
    heard = Recorder()
    deps = _deps(engine, database_url, heard)
    with pytest.raises(RuntimeError), deps.uow() as session:
        events.record(
            session,
            subject=events.ITEM,
            subject_id="P0-20261202-999",
            at=NOW,
            actor_id="UALICE",
            kind="note",
            summary="never committed",
        )
        raise RuntimeError("the use case failed after writing")
    assert heard.heard == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_change_from_another_system_carries_its_origin_and_is_not_echoed_back(
    engine: Engine, database_url: str
) -> None:
    tracker, other = Recorder("tracker"), Recorder("webhook")
    deps = _deps(engine, database_url, tracker, other)
    with deps.uow() as session, events.origin(session, "tracker"):
        events.record(
            session,
            subject=events.ITEM,
            subject_id="P1-20261202-001",
            at=NOW,
            actor_id=None,
            kind="moved",
            summary="closed in the tracker",
        )
    assert tracker.heard == [("moved", "P1-20261202-001", "-", "tracker")]
    assert other.heard == tracker.heard
    assert _deliveries(engine, "tracker") == []  # not sent back where it came from
    assert len(_deliveries(engine, "webhook")) == 1  # everyone else still hears it


def test_published_facts_without_a_timeline_entry_reach_subscribers_in_order(
    engine: Engine, database_url: str
) -> None:
    heard = Recorder()
    deps = _deps(engine, database_url, heard)
    with deps.uow() as session:
        for level in (1, 2, 3):
            events.publish(
                session,
                SubjectEvent(
                    subject=events.ITEM,
                    subject_id="P0-20261202-001",
                    kind="escalated",
                    at=NOW,
                    data={"level": level},
                ),
            )
    assert [k for k, *_ in heard.heard] == ["escalated"] * 3
    keys = [p["kind"] for p in _deliveries(engine, "tracker")]
    assert keys == ["escalated"] * 3  # three distinct keys: one per level


def test_subscribers_that_publish_in_turn_stop_after_a_bounded_number_of_rounds(
    engine: Engine, database_url: str
) -> None:
    rounds: list[int] = []

    def echoing(session: Session, event: SubjectEvent) -> None:
        rounds.append(1)
        events.publish(session, event)  # a careless subscriber: every event makes another

    deps = _deps(engine, database_url, echoing)
    with deps.uow() as session:
        events.publish(session, SubjectEvent(subject=events.ITEM, subject_id="X", kind="note", at=NOW))
    assert len(rounds) == events.MAX_ROUNDS
