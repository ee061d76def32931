"""Creating the items a person ticked in an extraction preview: all in one unit of work, once.

The draft is taken with one conditional UPDATE, so a preview submitted twice (a double click, a retry, two
replicas) creates its items once; the second submission gets the ids the first one created. The summary
message and one DM per named owner are queued in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.core.errors import UserError
from bot.core.items import rules
from bot.core.mrkdwn import truncate
from bot.core.records import ItemRecord
from bot.core.timing.quiet_hours import is_page
from bot.deps import Deps
from bot.services import outbox
from bot.services.extraction.preview import GONE, Row
from bot.services.items.changes import create_item_in
from bot.services.rendering import ExtractionMessages
from storage import extraction as store
from storage.models import ExtractionDraft, RemediationItem


@dataclass(frozen=True)
class Created:
    source: str
    ids: tuple[str, ...]
    again: bool = False  # this preview had been submitted before; `ids` are what that created


def create_from_draft(
    deps: Deps, *, draft_id: str, user_id: str, ticks: Mapping[int, bool] | None = None
) -> Created:
    """Create the draft's ticked rows, as the person edited them, each linked to the draft's source and
    incident, and queue the summary and the owners' DMs. `ticks`: the boxes of the page submitted (the
    other pages' are kept in the draft). UserError when nothing is ticked or the draft is gone; nothing is
    written then."""
    now = deps.now()
    with deps.uow() as session:
        draft = store.get_draft(session, draft_id=draft_id)
        if draft is None or draft.user_id != user_id:
            raise UserError(GONE)
        if not store.take_draft(session, draft_id=draft.id, now=now):
            session.refresh(draft)
            return Created(draft.source, tuple(draft.created_ids), again=True)
        ticked = ticks or {}
        rows = [
            r
            for r in (Row.from_json(d) for d in draft.items)
            if (ticked[r.index] if r.index in ticked else r.checked)
        ]
        if not rows:
            raise UserError("Tick at least one item to create, or close the form to create nothing.")
        items = [_create(session, deps, draft, row, now=now, actor_id=user_id) for row in rows]
        draft.used_at = now
        draft.created_ids = [i.id for i in items]
        if draft.file_id:
            store.forget_file(session, user_id=user_id, file_id=draft.file_id)
        created = [ItemRecord.of(i) for i in items]
        render = deps.render.extraction
        _queue_summary(session, draft, created, now=now, actor_id=user_id, render=render)
        _queue_owner_dms(session, draft, created, now=now, actor_id=user_id, render=render)
        return Created(draft.source, tuple(draft.created_ids))


def _create(
    session: Session, deps: Deps, draft: ExtractionDraft, row: Row, *, now: datetime, actor_id: str
) -> RemediationItem:
    deadline = row.due_at if row.due_at is not None and row.due_at > now else None
    item, _events = create_item_in(
        session,
        now=now,
        settings=deps.settings,
        render=deps.render.items,
        actor_id=actor_id,
        title=row.title,
        priority=row.priority,
        owner_id=row.owner_id,
        deadline=deadline,
        description=_description(draft, row),
        kind=row.kind,
        systems=row.systems,
        criteria=row.criteria,
        prevention=row.prevention,
        incident_id=draft.incident_id,
        source_ref=draft.source,
        notify_owner=False,
    )
    return item


def _description(draft: ExtractionDraft, row: Row) -> str:
    where = f"line {row.line}" + (f" ({row.section})" if row.section else "")
    lines = [row.description, ""] if row.description else []
    lines.append(f"Extracted from {draft.source}, {where}.")
    if row.owner_written and not row.owner_id:
        lines.append(f"Owner as written: {row.owner_written} (not matched to a Slack user).")
    if row.due is not None and row.uses_default_deadline:
        lines.append(
            f"Due date as written: {row.due.isoformat()} (already past; the priority default applies)."
        )
    lines.append(f"Suggested priority: {row.priority} ({row.priority_reason}).")
    if row.evidence:
        lines.append("Evidence named in the document:")
        lines.extend(f"- {e}" for e in row.evidence)
    return truncate("\n".join(lines), rules.MAX_DESCRIPTION)


def _queue_summary(
    session: Session,
    draft: ExtractionDraft,
    items: list[ItemRecord],
    *,
    now: datetime,
    actor_id: str,
    render: ExtractionMessages,
) -> None:
    text, blocks = render.summary_message(
        actor_id=actor_id, source=draft.source, incident_id=draft.incident_id, items=items, now=now
    )
    # A DM channel may be with someone else (the bot cannot post there): the summary goes to the person.
    channel = draft.channel_id if draft.channel_id and not draft.channel_id.startswith("D") else actor_id
    outbox.post_message(
        session,
        now=now,
        channel=channel,
        text=text,
        blocks=blocks,
        dedupe_key=f"extract-summary:{draft.id}",
    )


def _queue_owner_dms(
    session: Session,
    draft: ExtractionDraft,
    items: list[ItemRecord],
    *,
    now: datetime,
    actor_id: str,
    render: ExtractionMessages,
) -> None:
    by_owner: dict[str, list[ItemRecord]] = defaultdict(list)
    for item in items:
        if item.owner_id and item.owner_id != actor_id:
            by_owner[item.owner_id].append(item)
    for owner_id, owned in by_owner.items():
        text, blocks = render.owner_message(actor_id=actor_id, source=draft.source, items=owned, now=now)
        outbox.send_dm(
            session,
            now=now,
            user_id=owner_id,
            text=text,
            blocks=blocks,
            dedupe_key=f"extract-owner:{draft.id}:{owner_id}",
            notice=not is_page(i.priority for i in owned),
        )
