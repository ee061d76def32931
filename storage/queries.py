"""Query functions shared by every feature: session first, keyword-only, never commit.

Feature-specific queries live next to this module (storage/items.py, storage/incidents.py, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, bindparam, exists, func, insert, not_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.db import as_loaded, defaults_of
from storage.models import Claim, MessageRef, OutboxMessage, SlackUser, TimelineEvent

# Plain SQL that SQLite (3.35+) and PostgreSQL both speak; a module-level statement is compiled once.
_NEXT_SEQUENCE = text(
    "INSERT INTO id_counter (key, value) VALUES (:key, 1) "
    "ON CONFLICT (key) DO UPDATE SET value = id_counter.value + 1 RETURNING value"
)


def next_sequence(session: Session, *, key: str) -> int:
    """Atomically take the next number of counter `key` (1, 2, ...).

    One statement, ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: on PostgreSQL the row lock serialises
    concurrent callers; on SQLite the write transaction does. Concurrent callers never get the same number.
    """
    return int(session.execute(_NEXT_SEQUENCE, {"key": key}).scalar_one())


_PEEK_SEQUENCE = text("SELECT value FROM id_counter WHERE key = :key")


def peek_sequence(session: Session, *, key: str) -> int:
    """The last number counter `key` gave (0 before its first); takes nothing."""
    return int(session.execute(_PEEK_SEQUENCE, {"key": key}).scalar() or 0)


def insert_once_sql(table: Table, *, conflict: str, returning: str, omit: tuple[str, ...] = ()) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING returning`` for every column of `table` but
    `omit`, as one textual statement with typed parameters. SQLite and PostgreSQL read it alike, and unlike
    the dialects' `on_conflict_do_nothing` constructs (which SQLAlchemy never caches, so they were compiled
    again on every call of the hottest inserts) it is compiled once."""
    columns = [c for c in table.columns if c.name not in omit]
    names = ", ".join(f'"{c.name}"' for c in columns)
    params = ", ".join(f":{c.name}" for c in columns)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) VALUES ({params}) '
        f'ON CONFLICT ("{conflict}") DO NOTHING RETURNING "{returning}"'
    )
    binds = [bindparam(c.name, type_=c.type) for c in columns]
    return text(sql).bindparams(*binds).columns(table.c[returning])


_CLAIMS: Table = Claim.__table__  # type: ignore[attr-defined]
_INSERT_CLAIM_ONCE = insert_once_sql(_CLAIMS, conflict="key", returning="key")


def try_claim(session: Session, *, key: str, now: datetime, owner: str = "") -> bool:
    """Claim `key` for good; False when someone (another replica, an earlier run) already has it.

    One INSERT … ON CONFLICT DO NOTHING: a lost race leaves the caller's transaction intact (on PostgreSQL
    it waits for the other transaction holding the key, then answers by its outcome).
    """
    values = {"key": key, "claimed_at": now, "owner": owner}
    return session.execute(_INSERT_CLAIM_ONCE, values).scalar_one_or_none() is not None


def is_claimed(session: Session, *, key: str) -> bool:
    return session.get(Claim, key) is not None


_CLAIM_BY_KEY = select(_CLAIMS).where(_CLAIMS.c.key == bindparam("key"))


def find_claim(engine: Engine, *, key: str) -> Claim | None:
    """The claim of `key`, read on a read-only connection of its own without an ORM session: this is asked
    before every slash command, button press and form is acted on, so it must cost one indexed read and
    little else (an ORM unit of work around it cost more than the whole `help` command)."""
    with engine.execution_options(readonly=True).connect() as conn:
        row = conn.execute(_CLAIM_BY_KEY, {"key": key}).first()
    return None if row is None else Claim(key=row.key, claimed_at=row.claimed_at, owner=row.owner)


FIRST_START = "bot:first-start"  # a claim that is never trimmed: its claimed_at is the instant


def first_start(session: Session) -> datetime | None:
    """When the bot first started (as `record_first_start` wrote it), or None before it ever has."""
    row = session.get(Claim, FIRST_START)
    return None if row is None else row.claimed_at


def record_first_start(session: Session, *, now: datetime, owner: str = "") -> datetime:
    """Record once, for good, that the bot first started at `now`, and return the instant recorded (an
    earlier start's, when there was one). A database that already holds work from before this record
    existed (claims, queued messages) dates it from the earliest of those instead."""
    found = first_start(session)
    if found is not None:
        return found
    earliest = [
        session.execute(select(func.min(col(Claim.claimed_at)))).scalar_one_or_none(),
        session.execute(select(func.min(col(OutboxMessage.created_at)))).scalar_one_or_none(),
    ]
    at = min([now, *(t for t in earliest if t is not None)])
    if try_claim(session, key=FIRST_START, now=at, owner=owner):
        return at
    found = first_start(session)  # another replica recorded it first
    return found if found is not None else at


def add_event(
    session: Session,
    *,
    subject_id: str,
    at: datetime,
    actor_id: str | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> TimelineEvent:
    """Append one entry to a subject's timeline, INSERTed at once (entries never change later, so they skip
    the ORM's unit of work). Returns the entry as written, not attached to the session."""
    values: dict[str, Any] = {
        "subject_id": subject_id,
        "at": at,
        "actor_id": actor_id,
        "kind": kind,
        "summary": summary,
        "data": data or {},
    }
    values["id"] = session.execute(_INSERT_EVENT, values).scalar_one()
    return as_loaded(TimelineEvent, values)


_TIMELINE: Table = TimelineEvent.__table__  # type: ignore[attr-defined]
_INSERT_EVENT = insert(_TIMELINE).returning(_TIMELINE.c.id)


def timeline(
    session: Session,
    *,
    subject_id: str,
    limit: int | None = None,
    newest_first: bool = False,
    kinds: Sequence[str] | None = None,
) -> list[TimelineEvent]:
    """A subject's timeline in the order it happened (or newest first); `kinds` keeps only those kinds."""
    at, pk = col(TimelineEvent.at), col(TimelineEvent.id)
    order = (at.desc(), pk.desc()) if newest_first else (at.asc(), pk.asc())
    stmt = select(TimelineEvent).where(col(TimelineEvent.subject_id) == subject_id).order_by(*order)
    if kinds is not None:
        stmt = stmt.where(col(TimelineEvent.kind).in_(kinds))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


# --- outbox -------------------------------------------------------------------------------------------


_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_INSERT_OUTBOX = insert(_OUTBOX).returning(_OUTBOX.c.id)
_INSERT_OUTBOX_ONCE = insert_once_sql(_OUTBOX, conflict="dedupe_key", returning="id", omit=("id",))


_outbox_row = defaults_of(OutboxMessage)


def insert_outbox(session: Session, *, values: dict) -> int | None:
    """Queue one message (an ``outbox`` row) with one INSERT and return its id; columns left out of
    `values` take the model's defaults (pending, never attempted). With a ``dedupe_key`` the INSERT does
    nothing when that key was queued before, and this returns None."""
    values = _outbox_row(values)
    if values.get("dedupe_key") is None:
        return int(session.execute(_INSERT_OUTBOX, values).scalar_one())
    found = session.execute(_INSERT_OUTBOX_ONCE, values).scalar_one_or_none()
    return None if found is None else int(found)


def lease_outbox(
    session: Session,
    *,
    now: datetime,
    worker: str,
    limit: int,
    lease: timedelta,
    lease_now: datetime | None = None,
    destination: str = "slack",
) -> list[OutboxMessage]:
    """Lease up to `limit` due deliveries of `destination` to `worker` (oldest first). Other workers skip
    leased rows; each destination has its own worker, so one that is down never holds up another.

    `now` decides what is due (``not_before``); `lease_now` (default `now`) is the clock leases are measured
    on. Give the wall clock there: every process shares it, even one evaluating a job "as of" another time.

    A message waits while an older one to the same channel is waiting for its retry (after a 429 or a 5xx),
    so a channel's messages arrive in the order they were queued (escalation levels, a report and its
    chart). Messages held for quiet hours (never attempted) hold nothing up.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` so replicas never lease the same row; SQLite: the write
    transaction is exclusive already.
    """
    lease_now = lease_now or now
    earlier = aliased(OutboxMessage)
    behind_a_retry = exists().where(
        col(earlier.destination) == col(OutboxMessage.destination),
        col(earlier.channel_key) == col(OutboxMessage.channel_key),
        col(earlier.channel_key) != "",
        col(earlier.status) == "pending",
        col(earlier.attempts) > 0,
        col(earlier.not_before) > now,
        col(earlier.id) < col(OutboxMessage.id),
    )
    stmt = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.destination) == destination,
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.not_before) <= now,
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < lease_now),
            not_(behind_a_retry),
        )
        .order_by(OutboxMessage.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for row in rows:
        row.lease_until = lease_now + lease
        row.leased_by = worker
    return rows


def outbox_depths(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Pending deliveries and the creation time of the oldest one, by destination."""
    rows = session.execute(
        select(col(OutboxMessage.destination), func.count(), func.min(OutboxMessage.created_at))
        .where(col(OutboxMessage.status) == "pending")
        .group_by(OutboxMessage.destination)
    ).all()
    return {str(dest): (int(n), oldest) for dest, n, oldest in rows}


def outbox_depth(session: Session) -> tuple[int, datetime | None]:
    """(pending messages, creation time of the oldest pending one)."""
    row = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(col(OutboxMessage.status) == "pending")
    ).one()
    return int(row[0]), row[1]


def release_lease(session: Session, *, message_id: int, worker: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.leased_by == worker)  # type: ignore[arg-type]
        .values(lease_until=None, leased_by=None)
    )


def hold_outbox(session: Session, *, message_ids: list[int], worker: str, until: datetime) -> None:
    """Put `worker`'s leased messages back to wait until `until` (a DM held for quiet hours), releasing the
    lease: no attempt is counted, and until then they stay pending, to be revised or sent."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.leased_by == worker)  # type: ignore[union-attr,arg-type]
        .values(not_before=until, lease_until=None, leased_by=None)
    )


def renew_lease(session: Session, *, message_id: int, worker: str, until: datetime) -> bool:
    """Extend `worker`'s lease on a pending message; False when the lease was lost (another worker took the
    message after it ran out, or it was released)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,  # type: ignore[arg-type]
            OutboxMessage.leased_by == worker,  # type: ignore[arg-type]
            OutboxMessage.status == "pending",  # type: ignore[arg-type]
        )
        .values(lease_until=until)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def mark_sent(
    session: Session, *, message_id: int, at: datetime, attempts: int, result: dict[str, Any]
) -> None:
    """Record that a message went out (one UPDATE): what Slack answered, and no lease any more."""
    session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id == message_id)
        .values(status="sent", sent_at=at, attempts=attempts, lease_until=None, result=result)
    )


def get_message_ref(session: Session, *, ref: str) -> MessageRef | None:
    return session.get(MessageRef, ref)


def put_message_ref(session: Session, *, ref: str, channel: str, ts: str, now: datetime) -> None:
    existing = session.get(MessageRef, ref)
    if existing is None:
        session.add(MessageRef(ref=ref, channel=channel, ts=ts, updated_at=now))
    else:
        existing.channel, existing.ts, existing.updated_at = channel, ts, now


# --- users --------------------------------------------------------------------------------------------


def cached_user(session: Session, *, user_id: str) -> SlackUser | None:
    return session.get(SlackUser, user_id)


def put_cached_user(session: Session, *, values: dict[str, Any]) -> None:
    """Insert or refresh one cached person (users.info) in one statement: two requests caching the same
    new person at once both succeed, the later answer winning."""
    table: Table = SlackUser.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values)
    changed = {k: getattr(stmt.excluded, k) for k in values if k != "id"}
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=changed))


def cached_users(session: Session, *, user_ids: list[str]) -> dict[str, SlackUser]:
    if not user_ids:
        return {}
    rows = session.scalars(select(SlackUser).where(SlackUser.id.in_(user_ids)))  # type: ignore[attr-defined]
    return {u.id: u for u in rows}


def database_now_ok(session: Session) -> bool:
    return session.execute(text("SELECT 1")).scalar_one() == 1
