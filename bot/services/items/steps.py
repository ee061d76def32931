"""The pieces every change to a remediation item is made of: who acts, the unit of work around a change,
permission checks, and each kind of edit with its timeline entry and DMs.

Timeline summaries are Slack mrkdwn with user text already escaped (mentions and date tokens are ours).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import Session

from bot.config import Settings
from bot.core.errors import Forbidden, NotFound, UserError
from bot.core.items import four_eyes, rules
from bot.core.items import lifecycle as lc
from bot.core.mrkdwn import date, escape, truncate, user
from bot.core.permissions import item_editors_text, may_change_item
from bot.core.records import ItemRecord, TimelineEntry
from bot.core.trackers import issues
from bot.deps import Deps
from bot.services import events
from bot.services.items import notices
from bot.services.people.admins import is_admin
from bot.services.rendering import ItemMessages
from storage import items as store
from storage import queries
from storage import trackers as tracker_store
from storage.models import RemediationItem, TimelineEvent

RECENT_EVENTS = 5


@dataclass(frozen=True)
class Actor:
    """Who is acting, and whether they are an admin (found out before the unit of work opens)."""

    id: str
    is_admin: bool = False


def actor_for(deps: Deps, user_id: str) -> Actor:
    """Call outside a unit of work: an admin user group may be looked up in Slack."""
    return Actor(user_id, is_admin(deps, user_id))


@dataclass
class ItemView:
    """An item as it stands after a use case, its newest timeline entries, and what just happened."""

    item: RemediationItem
    events: list[TimelineEvent]
    message: str = ""
    issue: tuple[str, str, str | None] | None = None  # its linked issue, read with the item

    def __post_init__(self) -> None:
        session = object_session(self.item) if self.issue is None else None
        if isinstance(session, Session):
            link = tracker_store.link_of(session, item_id=self.item.id)
            if link is not None:
                self.issue = (issues.NAMES.get(link.tracker, link.tracker), link.number or "", link.url)

    @property
    def record(self) -> ItemRecord:
        """The item as plain data (what builders take)."""
        return replace(ItemRecord.of(self.item), issue=self.issue)

    @property
    def entries(self) -> tuple[TimelineEntry, ...]:
        """The timeline entries as plain data (what builders take)."""
        return tuple(TimelineEntry.of(e) for e in self.events)


# A hook run inside the unit of work after a change (e.g. to queue an in-place update of a card).
AfterChange = Callable[[Session, ItemView], None]


def get_item(session: Session, item_id: str) -> RemediationItem:
    """The item named by `item_id` in any case; NotFound when there is none."""
    if not rules.looks_like_item_id(item_id):
        raise NotFound(
            f"`{rules.shown(item_id)}` is not an item id; ids look like {rules.ITEM_ID_FORM}.",
            usage="/remediate list",
        )
    item = store.get_item(session, item_id=item_id)
    if item is None:
        raise NotFound(
            f"There is no item {rules.normalise_item_id(item_id)}. `/remediate list all` shows every item.",
            usage="/remediate show P0-20250908-001",
        )
    return item


def check_can_validate(item: RemediationItem, actor: Actor, settings: Settings) -> None:
    """Raises unless `actor` may validate `item` now: it is Completed, and they neither owned it since it
    last entered In Progress nor marked it Completed (four eyes, `bot.core.items.four_eyes`; the refusal says
    which). `item` is either in a unit of work (its history is read there) or came from `show_item`."""
    if item.status != lc.COMPLETED:
        raise UserError(f"{item.id} is {lc.LABELS[item.status]}; only a Completed item can be validated.")
    refusal = four_eyes.refusal(
        item.id,
        actor.id,
        owner_id=item.owner_id,
        reporter_id=item.reporter_id,
        history=() if settings.allow_self_validation else _validation_history(item),
        allow_self_validation=settings.allow_self_validation,
    )
    if refusal is not None:
        raise Forbidden(refusal)


# Where `show_item` leaves a Completed item's history (the info dict of its ORM state, which stays with
# the item when the session closes), so that a command or a button can refuse before opening the form.
_HISTORY = "four_eyes_history"


def validation_history(session: Session, item: RemediationItem) -> list[four_eyes.Entry]:
    """The entries of `item`'s timeline that the four-eyes rule reads, oldest first."""
    rows = queries.timeline(session, subject_id=item.id, kinds=four_eyes.KINDS)
    return [four_eyes.Entry(row.kind, row.actor_id, row.data or {}) for row in rows]


def keep_validation_history(session: Session, item: RemediationItem) -> None:
    """Read a Completed item's history now, for `check_can_validate` once the session is closed."""
    if item.status == lc.COMPLETED:
        instance_state(item).info[_HISTORY] = validation_history(session, item)


def _validation_history(item: RemediationItem) -> list[four_eyes.Entry]:
    session = object_session(item)
    if isinstance(session, Session):
        return validation_history(session, item)
    kept: list[four_eyes.Entry] | None = instance_state(item).info.get(_HISTORY)
    if kept is None:  # a caller's mistake: refusing or allowing without the history would be a guess
        raise RuntimeError(f"{item.id} was read without its history; read it with show_item")
    return kept


def may_edit(item: RemediationItem, actor: Actor) -> bool:
    return may_change_item(
        actor.id, owner_id=item.owner_id, reporter_id=item.reporter_id, is_admin=actor.is_admin
    )


# --- the pieces every change is made of -----------------------------------------------------------


def change(
    deps: Deps,
    item_id: str,
    apply: Callable[[Session, RemediationItem, datetime], str],
    after: AfterChange | None,
) -> ItemView:
    now = deps.now()
    with deps.uow() as session:
        item = get_item(session, item_id)
        before = item.updated_at
        message = apply(session, item, now)
        if session.is_modified(item) or item.updated_at != before:
            item.updated_at = now
        session.flush()
        view = ItemView(item, recent(session, item), message)
        if after is not None:
            after(session, view)
    return view


def recent(session: Session, item: RemediationItem) -> list[TimelineEvent]:
    return queries.timeline(session, subject_id=item.id, limit=RECENT_EVENTS, newest_first=True)


def require_editor(item: RemediationItem, actor: Actor, what: str) -> None:
    if not may_edit(item, actor):
        raise Forbidden(
            f"You cannot {what} {item.id}: its status, deadline and owner are changed by "
            f"{item_editors_text(item.owner_id, item.reporter_id)}. Anyone can add a note, evidence "
            "or a success criterion."
        )


def event(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor_id: str | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> TimelineEvent:
    return events.record(
        session,
        subject=events.ITEM,
        subject_id=item.id,
        at=now,
        actor_id=actor_id,
        kind=kind,
        summary=summary,
        data=data,
    )


_FIELD_LABELS = {
    "priority": "Priority",
    "kind": "Kind",
    "description": "Description",
    "mrr_at_risk": "MRR at risk",
    "users_affected": "Users affected",
    "availability_impact": "Availability impact",
    "incident_id": "Incident",
    "source_ref": "Source",
}


def set_field(
    session: Session, item: RemediationItem, now: datetime, actor: Actor, name: str, value: object
) -> list[str]:
    old = getattr(item, name)
    if old == value:
        return []
    setattr(item, name, value)
    label = _FIELD_LABELS[name]
    if name == "description":
        summary = "Description edited"
    else:
        shown = lambda v: "—" if v is None else escape(truncate(str(v), 200))  # noqa: E731
        summary = f"{label}: {shown(old)} → {shown(value)}"
    event(session, item, now, actor.id, "updated", summary, {"field": name, "from": old, "to": value})
    return [label.lower()]


def set_deadline(
    session: Session, item: RemediationItem, now: datetime, actor: Actor, deadline: datetime, *, force: bool
) -> list[str]:
    if deadline == item.deadline:
        return []
    rules.check_deadline(deadline, now, force=force)
    old = item.deadline
    item.deadline = deadline
    event(
        session,
        item,
        now,
        actor.id,
        "updated",
        f"Deadline: {date(old)} → {date(deadline)}",
        {"field": "deadline", "from": old.isoformat(), "to": deadline.isoformat(), "forced": force},
    )
    return ["deadline"]


def reassign(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor: Actor,
    owner_id: str,
    *,
    render: ItemMessages,
) -> None:
    old = item.owner_id
    item.owner_id = owner_id
    summary = f"Owner: {user(old)} → {user(owner_id)}" if old else f"Assigned to {user(owner_id)}"
    event(session, item, now, actor.id, "assigned", summary, {"from": old, "to": owner_id})
    notices.notify(
        session,
        now=now,
        item=item,
        actor_id=actor.id,
        headline=f":inbox_tray: {user(actor.id)} made {user(owner_id)} the owner of this item.",
        to=[owner_id, item.reporter_id],
        render=render,
    )
    if old:
        notices.notify(
            session,
            now=now,
            item=item,
            actor_id=actor.id,
            headline=f":outbox_tray: {user(actor.id)} reassigned this item from you to {user(owner_id)}.",
            to=[old],
            render=render,
        )


def add_note_event(session: Session, item: RemediationItem, now: datetime, actor: Actor, text: str) -> None:
    item.last_progress_at = now
    event(session, item, now, actor.id, "note", escape(text), {"text": text})


def add_evidence_entry(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor: Actor,
    kind: str,
    ref: str,
    note: str | None,
) -> None:
    if len(item.evidence) >= rules.MAX_EVIDENCE:
        raise UserError(f"{item.id} already holds {rules.MAX_EVIDENCE} pieces of evidence.")
    entry = {"kind": kind, "ref": ref, "note": note or "", "by": actor.id, "at": now.isoformat()}
    item.evidence = [*item.evidence, entry]
    item.last_progress_at = now
    summary = f"Evidence ({kind}): `{escape(ref).replace('`', chr(39))}`" + (
        f" — {escape(note)}" if note else ""
    )
    event(session, item, now, actor.id, "evidence", summary, entry)


def add_prevention_measures(
    session: Session, item: RemediationItem, now: datetime, actor: Actor, texts: Sequence[str]
) -> list[str]:
    added = rules.clean_list(
        texts,
        what="prevention measure",
        limit=rules.MAX_TEXT,
        max_items=rules.MAX_PREVENTION,
        existing=item.prevention,
    )
    if added:
        item.prevention = [*item.prevention, *added]
        for t in added:
            event(session, item, now, actor.id, "prevention", f"Prevention measure: {escape(t)}", {"text": t})
    return added


def apply_move(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor: Actor,
    step: lc.Move,
    reason: str | None,
    *,
    render: ItemMessages,
    kind: str = "status",
    headline_prefix: str | None = None,
    suffix: str = "",
) -> None:
    if step.needs_reason and not reason:
        verb = {lc.BLOCK: "Blocking", lc.CANCEL: "Cancelling"}.get(step.verb, "This")
        raise UserError(f"{verb} {item.id} needs a reason (what is in the way, or why it is dropped).")
    old = item.status
    item.status = step.target
    item.last_progress_at = now
    if step.verb == lc.START and item.started_at is None:
        item.started_at = now
    elif step.verb == lc.COMPLETE:
        item.completed_at = now
    elif step.verb == lc.BLOCK:
        item.blocked_from, item.status_reason = old, reason
    elif step.verb == lc.UNBLOCK:
        item.blocked_from, item.status_reason = None, None
        if step.target == lc.IN_PROGRESS and item.started_at is None:
            item.started_at = now
    elif step.verb == lc.CANCEL:
        item.cancelled_at, item.status_reason, item.blocked_from = now, reason, None
    elif step.verb == lc.SEND_BACK:
        item.completed_at, item.status_reason = None, reason
    summary = f"{lc.LABELS[old]} → {lc.LABELS[step.target]}"
    if headline_prefix:
        summary = f"{headline_prefix}: {summary}"
    if reason:
        summary += f": {escape(reason)}"
    if suffix:  # where the change came from, e.g. "(from GitHub #42)"
        summary += f" {suffix}"
    event(
        session,
        item,
        now,
        actor.id or None,
        kind,
        summary,
        {"from": old, "to": step.target, "verb": step.verb, "reason": reason},
    )
    if step.verb in (lc.BLOCK, lc.SEND_BACK):
        what = "blocked this item" if step.verb == lc.BLOCK else "sent this item back to In Progress"
        if headline_prefix:
            what = "did not validate this item; it went back to In Progress"
        because = f": {escape(truncate(reason, 500))}" if reason else "."
        notices.notify(
            session,
            now=now,
            item=item,
            actor_id=actor.id,
            headline=f":warning: {user(actor.id)} {what}{because}",
            to=[item.owner_id, item.reporter_id],
            render=render,
        )
