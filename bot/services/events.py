"""What happened to an item or an incident, told to every integration inside the same unit of work.

Every change a person can see is one timeline entry (`record`); a few facts that have no entry of their
own, such as an item escalation level firing, are published without one (`publish`). Both become a
`SubjectEvent` held on the session until the unit of work commits. Just before the commit each subscriber
(GitHub and Jira sync, outbound web hooks, PagerDuty, e-mail: see `bot.integrations`) sees every event in
order and may queue deliveries (`bot.services.outbox.deliver`) in the same transaction: a change and what
it causes elsewhere are committed together or not at all.

Echo: a change that came *from* a system (an inbound GitHub hook closing an issue, a Jira transition, a
PagerDuty acknowledgement) runs with that system as the session's `origin`; its events carry it, and that
system's subscriber leaves them alone, so nothing is sent back to where it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import queries
from storage.models import TimelineEvent

ITEM = "item"
INCIDENT = "incident"

_EVENTS = "remediate.events"
_ORIGIN = "remediate.origin"
SUBSCRIBERS = "remediate.subscribers"
MAX_ROUNDS = 8  # subscribers may publish in turn; a loop between them stops here


@dataclass(frozen=True)
class SubjectEvent:
    """One fact about one subject (`subject`: ``item`` or ``incident``)."""

    subject: str
    subject_id: str
    kind: str
    at: datetime
    actor_id: str | None = None
    summary: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # the system the change came from ("" for Slack and the bot's own jobs)
    event_id: int | None = None  # the timeline entry's id, when there is one

    @property
    def key(self) -> str:
        """A stable id of this event, for idempotency keys of what it causes."""
        if self.event_id is not None:
            return f"ev{self.event_id}"
        return f"{self.subject_id}:{self.kind}:{self.at.isoformat()}:{self.data.get('level', '')}"


Subscriber = Callable[[Session, SubjectEvent], None]


def record(
    session: Session,
    *,
    subject: str,
    subject_id: str,
    at: datetime,
    actor_id: str | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> TimelineEvent:
    """Append a timeline entry and publish it as an event."""
    row = queries.add_event(
        session, subject_id=subject_id, at=at, actor_id=actor_id, kind=kind, summary=summary, data=data
    )
    publish(
        session,
        SubjectEvent(
            subject=subject,
            subject_id=subject_id,
            kind=kind,
            at=at,
            actor_id=actor_id,
            summary=summary,
            data=dict(data or {}),
            event_id=row.id,
        ),
    )
    return row


def publish(session: Session, event: SubjectEvent) -> None:
    """Hold `event` until the unit of work commits (stamped with the session's origin)."""
    origin = session.info.get(_ORIGIN, "")
    if origin and not event.origin:
        event = SubjectEvent(**{**event.__dict__, "origin": origin})
    session.info.setdefault(_EVENTS, []).append(event)


@contextmanager
def origin(session: Session, name: str) -> Iterator[None]:
    """Changes made inside come from `name` (e.g. ``github``): its own subscriber will not echo them."""
    before = session.info.get(_ORIGIN)
    session.info[_ORIGIN] = name
    try:
        yield
    finally:
        if before is None:
            session.info.pop(_ORIGIN, None)
        else:
            session.info[_ORIGIN] = before


def pending(session: Session) -> list[SubjectEvent]:
    """The events published in this unit of work and not yet dispatched."""
    return list(session.info.get(_EVENTS, ()))


def dispatch(session: Session, subscribers: Sequence[Subscriber]) -> int:
    """Hand every pending event to every subscriber, in order; returns how many events were dispatched.
    Called by the unit of work just before it commits (`bot.deps.Deps.uow`)."""
    done = 0
    for _ in range(MAX_ROUNDS):
        events = session.info.pop(_EVENTS, [])
        if not events:
            break
        for event in events:
            for subscriber in subscribers:
                subscriber(session, event)
        done += len(events)
    session.info.pop(_EVENTS, None)
    return done
