"""Out: every change to a linked item becomes a delivery to its tracker, queued in the change's own unit of
work (`bot.services.events`), with one pace key per item so that its changes go in order, each once.

- an item created with a priority of TRACKER_AUTO_CREATE gets an issue in the default tracker;
- afterwards its status (Completed -> closed as completed / the done category; Cancelled -> closed as not
  planned; sent back -> reopened), owner, deadline and priority follow, and its notes if TRACKER_SYNC_NOTES;
- a change that came from the tracker (the event's origin) is not sent back to it (no echo).

The payloads are built here from the item as it stands when the change commits; each tracker's sender turns
them into its REST calls (`bot.github.sender`, `bot.jira.sender`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.records import ItemRecord
from bot.core.trackers import issues
from bot.services import events, outbox
from bot.services.events import SubjectEvent, Subscriber
from storage import items as item_store
from storage import queries
from storage import trackers as store
from storage.models import RemediationItem
from storage.models_trackers import TrackerLink

log = logging.getLogger(__name__)

_CREATED_HERE = "remediate.trackers.created"  # items whose create was queued in this unit of work


def pace_key(tracker: str, item_id: str) -> str:
    return f"{tracker}:{item_id}"


def create_key(tracker: str, link: TrackerLink) -> str:
    return f"{tracker}:create:{link.item_id}:{link.id}"


def subscriber(tracker: str, settings: Settings) -> Subscriber:
    """The subscriber of one tracker (``github`` or ``jira``)."""

    def on_event(session: Session, event: SubjectEvent) -> None:
        if event.subject != events.ITEM:
            return
        if event.kind == "created":
            auto = settings.tracker_auto_priorities
            if settings.default_tracker == tracker and event.data.get("priority") in auto:
                item = item_store.get_item(session, item_id=event.subject_id)
                if item is not None and store.link_of(session, item_id=item.id) is None:
                    queue_create(session, tracker, item, event.at, settings)
            return
        if event.origin == tracker:
            return  # it came from there: nothing to send back
        link = store.link_of(session, item_id=event.subject_id)
        if link is None or link.tracker != tracker:
            return
        if event.subject_id in session.info.get(_CREATED_HERE, ()):
            return  # the issue being created already carries the item as it stands
        item = item_store.get_item(session, item_id=event.subject_id)
        if item is not None:
            queue_change(session, tracker, link, item, event, settings)

    return on_event


def queue_create(
    session: Session, tracker: str, item: RemediationItem, now: datetime, settings: Settings
) -> TrackerLink:
    """Link `item` to a new issue in `tracker` (its number comes once the tracker answered) and queue the
    creation."""
    project = settings.github_repository if tracker == issues.GITHUB else settings.jira_project_key
    link = store.add_link(session, item_id=item.id, tracker=tracker, project=project, now=now)
    record = ItemRecord.of(item)
    if tracker == issues.GITHUB:
        ctx = _context(session, tracker, item, now, settings)
        payload: dict[str, Any] = {
            "item_id": item.id,
            "repository": project,
            "title": issues.issue_title(record)[:256],
            "body": issues.github_body(record, ctx),
            "labels": issues.labels(record),
            "assignees": _assignees(session, tracker, item),
        }
    else:
        fields: dict[str, Any] = {
            "project": {"key": project},
            "summary": issues.issue_title(record)[:255],
            "issuetype": {"name": settings.jira_issue_type},
            "description": issues.jira_description(
                record, issues.IssueContext(back_link=_back_link(item, settings))
            ),
            "labels": [
                *(label.replace(":", "-") for label in issues.labels(record)),
                issues.item_label(item.id),
            ],
            "priority": {"name": issues.JIRA_PRIORITIES[item.priority]},
            "duedate": _due(item, settings),
        }
        account = _account(session, tracker, item)
        if account:
            fields["assignee"] = {"accountId": account}
        payload = {"item_id": item.id, "project": project, "fields": fields}
        unmapped = _unmapped(session, item, record, now, settings)
        if unmapped:
            payload["unmapped"] = unmapped
    outbox.deliver(
        session,
        destination=tracker,
        method="create",
        payload=payload,
        now=now,
        key=create_key(tracker, link),
        pace_key=pace_key(tracker, item.id),
    )
    session.info.setdefault(_CREATED_HERE, set()).add(item.id)
    return link


def queue_change(
    session: Session,
    tracker: str,
    link: TrackerLink,
    item: RemediationItem,
    event: SubjectEvent,
    settings: Settings,
) -> None:
    """The delivery one item event asks for, if any."""
    record = ItemRecord.of(item)
    method, payload = "", dict[str, Any]()
    field = event.data.get("field")
    if event.kind == "status" or (event.kind == "tracker" and event.data.get("reopen")):
        if tracker == issues.GITHUB:
            # Every move is sent as the state it asks for: the same state again is a no-op for GitHub, and
            # an issue closed or reopened meanwhile is put back to what the item says.
            state = issues.github_state(item.status)
            method, payload = ("update", {"fields": state}) if state else ("", {})
        else:
            category = issues.jira_category(item.status)
            method, payload = ("transition", {"category": category}) if category else ("", {})
        link.local_status_at = event.at
    elif event.kind == "assigned":
        if tracker == issues.GITHUB:
            fields: dict[str, Any] = {
                "assignees": _assignees(session, tracker, item),
                "body": issues.github_body(record, _context(session, tracker, item, event.at, settings)),
            }
        else:
            account = _account(session, tracker, item)
            fields = {"assignee": {"accountId": account} if account else None}
        method, payload = "update", {"fields": fields}
        if tracker == issues.JIRA:
            method, payload = "assign", {"account": account, "owner_id": item.owner_id}
        link.local_owner_at = event.at
    elif event.kind == "updated" and field in ("deadline", "priority"):
        if tracker == issues.GITHUB:
            fields = {
                "body": issues.github_body(record, _context(session, tracker, item, event.at, settings))
            }
            if field == "priority":
                fields["labels"] = issues.labels(record)
        elif field == "deadline":
            fields = {"duedate": _due(item, settings)}
        else:
            fields = {"priority": {"name": issues.JIRA_PRIORITIES[item.priority]}}
        method, payload = "update", {"fields": fields}
        if field == "deadline":
            link.local_deadline_at = event.at
    elif event.kind == "note" and settings.tracker_sync_notes:
        text = str(event.data.get("text") or "")
        who = _name(session, event.actor_id) if event.actor_id else "someone"
        body = f"Note from {who} (Slack): {text}"
        method = "comment"
        payload = {"body": body if tracker == issues.GITHUB else issues.adf_text(body)}
    if not method:
        return
    session.add(link)
    outbox.deliver(
        session,
        destination=tracker,
        method=method,
        payload={"item_id": item.id, **payload},
        now=event.at,
        key=f"{tracker}:{event.key}",
        pace_key=pace_key(tracker, item.id),
    )


def _account(session: Session, tracker: str, item: RemediationItem) -> str | None:
    if not item.owner_id:
        return None
    return store.account_of(session, tracker=tracker, user_id=item.owner_id)


def _assignees(session: Session, tracker: str, item: RemediationItem) -> list[str]:
    account = _account(session, tracker, item)
    return [account] if account else []


def _context(
    session: Session,
    tracker: str,
    item: RemediationItem,
    now: datetime,
    settings: Settings,
    *,
    tell: bool = True,
) -> issues.IssueContext:
    """The body's owner line when the owner has no account in the tracker; they are told once in Slack
    (`tell`; for Jira the sender tells them, once the owner's Slack e-mail found no account either)."""
    back = _back_link(item, settings)
    if not item.owner_id or _account(session, tracker, item):
        return issues.IssueContext(back_link=back)
    if tell:
        tell_unmapped(session, tracker=tracker, user_id=item.owner_id, item_id=item.id, now=now)
    return issues.IssueContext(owner_name=_name(session, item.owner_id), back_link=back)


def _back_link(item: RemediationItem, settings: Settings) -> str | None:
    """The item's page, when the dashboard is served."""
    base = settings.dashboard_base
    return f"{base}/items/{item.id}" if base else None


def tell_unmapped(session: Session, *, tracker: str, user_id: str, item_id: str, now: datetime) -> None:
    """Tell an owner (once per tracker) that their issue is unassigned because their account is unknown."""
    command = f"/remediate whoami {tracker} {'LOGIN' if tracker == issues.GITHUB else 'ACCOUNT_ID'}"
    how = "" if tracker == issues.GITHUB else " (no Jira account has your Slack e-mail)"
    outbox.send_dm(
        session,
        now=now,
        user_id=user_id,
        text=(
            f"You own {item_id}, which is tracked in {issues.NAMES[tracker]} too, but I do not know your "
            f"{issues.NAMES[tracker]} account{how}, so the issue is unassigned and names you as its owner. "
            f"`{command}` tells me."
        ),
        dedupe_key=f"tracker-unmapped:{tracker}:{user_id}",
        notice=True,
    )


def _unmapped(
    session: Session, item: RemediationItem, record: ItemRecord, now: datetime, settings: Settings
) -> dict[str, Any]:
    """For Jira, an owner with no known account: the sender looks for the account by the owner's Slack
    e-mail; if none has it, the description that names the owner replaces the one that does not."""
    if not item.owner_id or _account(session, issues.JIRA, item):
        return {}
    ctx = _context(session, issues.JIRA, item, now, settings, tell=False)
    return {"owner_id": item.owner_id, "description": issues.jira_description(record, ctx)}


def _name(session: Session, user_id: str) -> str:
    cached = queries.cached_user(session, user_id=user_id)
    if cached is not None and (cached.real_name or cached.name):
        return cached.real_name or cached.name
    return user_id


def _due(item: RemediationItem, settings: Settings) -> str:
    return item.deadline.astimezone(settings.tz).date().isoformat()
