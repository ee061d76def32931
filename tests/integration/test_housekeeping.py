"""Housekeeping trims what only grows, and keeps what still prevents duplicates."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.services import outbox
from storage import queries
from storage.models import Claim, OutboxMessage

pytestmark = pytest.mark.both_backends


def test_housekeeping_trims_old_event_claims_and_sent_messages(bot):
    start = bot.clock()
    with bot.uow() as session:
        queries.try_claim(session, key="event:Ev1", now=start)
        queries.try_claim(session, key="digest:2026-11-23", now=start)
        ids = (
            outbox.post_message(session, now=start, channel="C1", text="old"),
            outbox.post_message(session, now=start, channel="C1", text="keyed", dedupe_key="k1"),
            outbox.post_message(session, now=start, channel="C404", text="failed"),
        )
        for msg_id, status in zip(ids, ("sent", "sent", "failed"), strict=True):
            row = session.get(OutboxMessage, msg_id)
            row.status, row.sent_at = status, start
    bot.clock.advance(days=31)
    with bot.uow() as session:
        queries.try_claim(session, key="event:Ev2", now=bot.clock())
        recent = outbox.post_message(session, now=bot.clock(), channel="C1", text="recent")
        row = session.get(OutboxMessage, recent)
        row.status, row.sent_at = "sent", bot.clock()

    result = bot.run_job("housekeeping")
    assert "deleted 1 event claims and 1 old sent messages; compacted 1" == result.summary

    with bot.uow() as session:
        keys = set(session.scalars(select(Claim.key)))
        rows = {r.id: r for r in session.scalars(select(OutboxMessage))}
    assert keys == {"event:Ev2", "digest:2026-11-23"}
    assert ids[0] not in rows
    assert rows[ids[1]].payload == {} and rows[ids[1]].dedupe_key == "k1"
    assert rows[ids[2]].status == "failed" and rows[ids[2]].payload["text"] == "failed"
    assert rows[recent].payload["text"] == "recent"
    # The kept key still stops the same message being queued again.
    with bot.uow() as session:
        assert (
            outbox.post_message(session, now=bot.clock(), channel="C1", text="keyed", dedupe_key="k1") is None
        )
    # Running it again finds nothing more.
    assert bot.run_job("housekeeping").summary.startswith("deleted 0 event claims and 0")
