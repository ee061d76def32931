"""Keep the tables that only grow from growing without bound.

- ``event:<id>`` claims (Events API de-duplication) only matter while Slack may still retry, which is
  minutes; they are deleted after EVENT_CLAIMS_FOR.
- Sent outbox rows are history. After SENT_KEPT_FOR, rows without a de-duplication key are deleted and rows
  with one keep only the key (the key is what stops the same message being queued twice, so it stays).
  Failed rows are kept until someone looks at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, update
from sqlmodel import col

from bot.deps import Deps
from storage.models import Claim, OutboxMessage

EVENT_CLAIMS_FOR = timedelta(days=2)
SENT_KEPT_FOR = timedelta(days=30)


@dataclass(frozen=True)
class Swept:
    event_claims: int
    outbox_deleted: int
    outbox_compacted: int


def sweep(deps: Deps, now: datetime) -> Swept:
    """Delete what is no longer needed as of `now`, in one unit of work."""
    with deps.uow() as session:
        old_event = (col(Claim.key).startswith("event:"), col(Claim.claimed_at) < now - EVENT_CLAIMS_FOR)
        claims = session.execute(delete(Claim).where(*old_event))
        old_sent = (col(OutboxMessage.status) == "sent", col(OutboxMessage.sent_at) < now - SENT_KEPT_FOR)
        keyless = col(OutboxMessage.dedupe_key).is_(None)
        deleted = session.execute(delete(OutboxMessage).where(*old_sent, keyless))
        # JSON has no equality operator on PostgreSQL; compare its text form (the same on both databases).
        not_compacted = cast(col(OutboxMessage.payload), String) != "{}"
        compacted = session.execute(
            update(OutboxMessage).where(*old_sent, ~keyless, not_compacted).values(payload={}, result={})
        )
    return Swept(claims.rowcount or 0, deleted.rowcount or 0, compacted.rowcount or 0)  # type: ignore[attr-defined]
