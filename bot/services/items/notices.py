"""Tell owners and reporters about changes to their items: DMs queued in the caller's unit of work, drawn
by the renderer the caller passes (`deps.render.items`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.core.records import ItemRecord
from bot.core.timing.quiet_hours import is_page
from bot.services import outbox
from bot.services.rendering import ItemMessages
from storage.models import RemediationItem


def notify(
    session: Session,
    *,
    now: datetime,
    item: RemediationItem,
    actor_id: str | None,
    headline: str,
    to: Iterable[str | None],
    render: ItemMessages,
) -> int:
    """DM `headline` about `item` to each of `to` once, except the person who made the change.
    Returns how many DMs were queued."""
    sent = 0
    for user_id in dict.fromkeys(u for u in to if u and u != actor_id and not u.startswith("S")):
        text, blocks = render.notice(ItemRecord.of(item), headline, now)
        outbox.send_dm(
            session, now=now, user_id=user_id, text=text, blocks=blocks, notice=not is_page([item.priority])
        )
        sent += 1
    return sent
