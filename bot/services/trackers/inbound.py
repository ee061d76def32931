"""In: what a verified tracker web hook says happened to an issue, applied to its linked item through the
items service, inside the hook's unit of work (which runs with the tracker as its origin, so nothing of it
is sent back: no echo).

- closed as completed (GitHub) / moved to a done status (Jira) -> the item is Completed (never Validated:
  that stays four-eyes in Slack) and the people who may validate it are told it is ready;
- closed as not planned -> the owner is asked (a DM with Cancel / Keep open), nothing is cancelled silently;
- reopened (or moved back to a status to do or in progress) -> a Completed item goes back to In Progress;
  moved to an in-progress status (Jira) -> an item not yet started is In Progress;
- assignee changed -> the owner, when the account maps to a Slack user;
- due date changed (Jira) -> the deadline.

Each change goes on the timeline with where it came from ("(from GitHub #42)"). An issue that is not linked
(never was, unlinked, or its item deleted) is ignored. A change older than the last change made to the same
field in Slack (two changes crossing each other) is dropped, and logged: the latest one wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.items import lifecycle as lc
from bot.core.mrkdwn import date as date_token
from bot.core.mrkdwn import user
from bot.core.records import ItemRecord
from bot.core.trackers import issues
from bot.services import outbox
from bot.services.items import notices
from bot.services.items.steps import Actor, apply_move, event
from bot.services.rendering import ItemMessages, Rendered
from storage import items as item_store
from storage import trackers as store
from storage.models import RemediationItem
from storage.models_trackers import TrackerLink

log = logging.getLogger(__name__)

COMPLETED, NOT_PLANNED, REOPENED, STARTED, ASSIGNED, DUE = (
    "completed",
    "not_planned",
    "reopened",
    "started",
    "assigned",
    "due",
)
# Draws the DM that asks an owner whether an issue closed as not planned cancels the item.
AskOwner = Callable[[ItemRecord, str], Rendered]


@dataclass(frozen=True)
class IssueChange:
    """One change to one issue, as a tracker's hook reported it."""

    tracker: str
    project: str
    number: str
    action: str  # completed | not_planned | reopened | started | assigned | due
    updated_at: datetime | None = None
    account: str | None = None  # the new assignee (assigned)
    due: date | None = None  # the new due date (due)
    actor_account: str | None = None  # who made the change, in the tracker
    account_user: str | None = None  # the Slack user of `account` found by e-mail, when nobody mapped it
    state: str = ""

    @property
    def label(self) -> str:
        return f"GitHub #{self.number}" if self.tracker == issues.GITHUB else f"Jira {self.number}"


def apply(
    session: Session,
    change: IssueChange,
    now: datetime,
    *,
    settings: Settings,
    render: ItemMessages,
    ask_owner: AskOwner,
) -> dict[str, Any]:
    link = store.link_by_issue(session, tracker=change.tracker, project=change.project, number=change.number)
    if link is None:
        return {"ignored": "not linked to an item"}
    item = item_store.get_item(session, item_id=link.item_id)
    if item is None:
        return {"ignored": "its item is gone"}
    if change.updated_at is not None and (
        link.remote_updated_at is None or change.updated_at > link.remote_updated_at
    ):
        link.remote_updated_at = change.updated_at
    if change.state:
        link.state = change.state
    link.synced_at = now
    session.add(link)
    stale = _crossed(link, change, now)
    if stale is not None:
        log.info(
            "%s: %s of %s is older than the change made in Slack at %s; the latest (Slack's) stands",
            item.id,
            change.action,
            change.label,
            stale.isoformat(),
        )
        return {"item": item.id, "ignored": "older than the latest change in Slack"}
    actor_id = store.user_of(session, tracker=change.tracker, account=change.actor_account or "")
    actor = Actor(actor_id or "")
    suffix = f"(from {change.label})"
    before = (item.status, item.owner_id, item.deadline)
    if change.action == COMPLETED:
        _move_to(session, item, now, actor, lc.COMPLETED, suffix, render)
        if item.status == lc.COMPLETED and before[0] != lc.COMPLETED:
            _tell_validators(session, item, now, change, settings, render, actor_id)
    elif change.action in (REOPENED, STARTED):
        if item.status == lc.COMPLETED:
            step = lc.plan_verb(item.id, item.status, lc.SEND_BACK)
            apply_move(
                session, item, now, actor, step, f"reopened in {change.label}", render=render, suffix=suffix
            )
        elif change.action == STARTED and item.status in (lc.IDENTIFIED, lc.PLANNED):
            _move_to(session, item, now, actor, lc.IN_PROGRESS, suffix, render)
    elif change.action == NOT_PLANNED:
        if lc.is_open(item.status) and item.owner_id:
            text, blocks = ask_owner(ItemRecord.of(item), change.label)
            outbox.send_dm(
                session,
                now=now,
                user_id=item.owner_id,
                text=text,
                blocks=blocks,
                dedupe_key=f"tracker-not-planned:{item.id}:{change.updated_at or now}",
            )
            event(
                session,
                item,
                now,
                actor_id,
                "note",
                f"Closed as not planned in {change.label}; {user(item.owner_id)} was asked whether to cancel",
                {"text": f"closed as not planned in {change.label}", "tracker": change.tracker},
            )
    elif change.action == ASSIGNED and change.account:
        owner = store.user_of(session, tracker=change.tracker, account=change.account)
        if owner is None and change.account_user:
            owner = change.account_user
            if store.account_of(session, tracker=change.tracker, user_id=owner) is None:
                store.set_person(
                    session,
                    tracker=change.tracker,
                    user_id=owner,
                    account=change.account,
                    set_by="email",
                    now=now,
                )
        if owner is None:
            log.info(
                "%s: %s assigned to %s, who maps to nobody in Slack", item.id, change.label, change.account
            )
        elif owner != item.owner_id and item.status not in lc.CLOSED_STATUSES:
            _reassign(session, item, now, actor_id, owner, suffix, render)
    elif change.action == DUE and change.due is not None:
        deadline = datetime.combine(change.due, time(17, 0), tzinfo=settings.tz)
        same_day = item.deadline.astimezone(settings.tz).date() == change.due  # e.g. the echo of Slack's
        if not same_day and lc.is_open(item.status):
            old = item.deadline
            item.deadline = deadline
            event(
                session,
                item,
                now,
                actor_id,
                "updated",
                f"Deadline: {date_token(old)} → {date_token(deadline)} {suffix}",
                {"field": "deadline", "from": old.isoformat(), "to": deadline.isoformat(), "forced": True},
            )
    changed = (item.status, item.owner_id, item.deadline) != before
    if changed:
        item.updated_at = now
        session.add(item)
    return {"item": item.id, "changed": changed}


def _crossed(link: TrackerLink, change: IssueChange, now: datetime) -> datetime | None:
    """When Slack changed the same field after the tracker's change was made: that time, else None.

    Judged only when the tracker's time is within a day of ours: further off, it is another clock (a skewed
    server, a replayed old event), and its change is taken rather than every change from it looking stale."""
    local = {
        COMPLETED: link.local_status_at,
        NOT_PLANNED: link.local_status_at,
        REOPENED: link.local_status_at,
        STARTED: link.local_status_at,
        ASSIGNED: link.local_owner_at,
        DUE: link.local_deadline_at,
    }.get(change.action)
    if local is None or change.updated_at is None or abs(change.updated_at - now) > CLOCKS_AGREE:
        return None
    return local if change.updated_at < local else None


CLOCKS_AGREE = timedelta(days=1)


def _move_to(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor: Actor,
    target: str,
    suffix: str,
    render: ItemMessages,
) -> None:
    for step in issues.route_to(item.status, target, blocked_from=item.blocked_from):
        apply_move(session, item, now, actor, step, None, render=render, suffix=suffix)


def _reassign(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor_id: str | None,
    owner_id: str,
    suffix: str,
    render: ItemMessages,
) -> None:
    old = item.owner_id
    item.owner_id = owner_id
    summary = f"Owner: {user(old)} → {user(owner_id)}" if old else f"Assigned to {user(owner_id)}"
    event(session, item, now, actor_id, "assigned", f"{summary} {suffix}", {"from": old, "to": owner_id})
    notices.notify(
        session,
        now=now,
        item=item,
        actor_id=actor_id,
        headline=f":inbox_tray: {user(owner_id)} is now the owner of this item {suffix}.",
        to=[owner_id, item.reporter_id, old],
        render=render,
    )


def _tell_validators(
    session: Session,
    item: RemediationItem,
    now: datetime,
    change: IssueChange,
    settings: Settings,
    render: ItemMessages,
    actor_id: str | None,
) -> None:
    """The item is ready for validation: its reporter is told, or (when the reporter owns it) the admins,
    since someone other than the owner must validate it."""
    to = [item.reporter_id] if item.reporter_id != item.owner_id else sorted(settings.admins)
    notices.notify(
        session,
        now=now,
        item=item,
        actor_id=None,
        headline=(
            f":ballot_box_with_check: {change.label} was closed as completed, so this item is Completed "
            f"and ready for validation: `/remediate validate {item.id}`."
        ),
        to=[u for u in to if u != item.owner_id and u != actor_id] or to,
        render=render,
    )
