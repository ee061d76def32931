"""Due-soon reminders: a DM to the owner when an item comes within 24 h of its deadline (24 h exactly
included: `deadlines.due_soon_window`); an owner with more than GROUP_AFTER at once gets one DM
listing them.

Each (item, deadline) is claimed in the same transaction that queues the DM (``due-soon:<id>:<deadline>``),
so a second run, a second replica or a manual run never reminds twice; moving the deadline makes the item
eligible again. The DMs are notices (they wait for the end of the owner's quiet hours), except for P0 items.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.core.escalation.ladder import OPEN_STATUSES
from bot.core.items.boards import DueSoon
from bot.core.timing.deadlines import due_soon_window
from bot.core.timing.quiet_hours import is_page
from bot.deps import Deps
from bot.services import outbox
from storage import reports

GROUP_AFTER = 3  # an owner with more items due soon at once gets one DM listing them


def claim_key(item_id: str, deadline: datetime) -> str:
    return f"due-soon:{item_id}:{deadline.isoformat()}"


def send_due_soon(deps: Deps, now: datetime) -> list[int]:
    """Remind owners of their items due within 24 h that were not reminded yet; the queued outbox ids."""
    with deps.uow(readonly=True) as session:
        soon = due_soon_window(now)
        rows = reports.due_between(session, start=soon.start, end=soon.end_exclusive, statuses=OPEN_STATUSES)
        rows = [r for r in rows if r.owner_id]
        claimed = reports.existing_claims(session, keys=[claim_key(r.id, r.deadline) for r in rows])
    todo = [r for r in rows if claim_key(r.id, r.deadline) not in claimed]
    if not todo:
        return []
    ids: list[int] = []
    with deps.uow() as session:
        mine = reports.claim_all(
            session, keys=[claim_key(r.id, r.deadline) for r in todo], now=now, owner=deps.worker_id
        )
        by_owner: dict[str, list[DueSoon]] = defaultdict(list)
        for r in todo:
            if claim_key(r.id, r.deadline) in mine:
                item = DueSoon(r.id, r.title, r.priority, r.status, r.owner_id, r.deadline)
                by_owner[r.owner_id].append(item)
        for owner, items in by_owner.items():
            groups = [[i] for i in items] if len(items) <= GROUP_AFTER else [items]
            for group in groups:
                page = is_page(i.priority for i in group)
                text, blocks = deps.render.alerts.due_soon_message(group, now=now)
                msg_id = outbox.send_dm(
                    session, now=now, user_id=owner, text=text, blocks=blocks, notice=not page
                )
                if msg_id is not None:
                    ids.append(msg_id)
    return ids
