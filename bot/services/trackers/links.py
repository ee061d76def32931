"""The use cases of `/remediate link`, `unlink`, `whoami` and `people`: one unit of work each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.core.errors import UserError
from bot.core.items import lifecycle as lc
from bot.core.mrkdwn import escape, user
from bot.core.trackers import issues
from bot.deps import Deps
from bot.services.items.steps import (
    Actor,
    AfterChange,
    ItemView,
    apply_move,
    change,
    event,
    get_item,
    require_editor,
)
from bot.services.trackers import outbound
from storage import trackers as store
from storage.models import RemediationItem


@dataclass(frozen=True)
class FoundIssue:
    """An existing issue, as its tracker answered when asked for it."""

    ref: issues.IssueRef
    url: str
    remote_id: str
    state: str
    updated_at: datetime | None
    title: str = ""


def _not_linked(session: Session, item: RemediationItem) -> None:
    link = store.link_of(session, item_id=item.id)
    if link is not None:
        shown = f"{issues.NAMES[link.tracker]} {link.number or '(being created)'}"
        raise UserError(f"{item.id} is already linked to {shown}; `/remediate unlink {item.id}` first.")


def create_issue(deps: Deps, *, actor: Actor, item_id: str, tracker: str) -> ItemView:
    """Queue a new issue for the item in `tracker` now."""

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "link")
        _not_linked(session, item)
        outbound.queue_create(session, tracker, item, now, deps.settings)
        event(session, item, now, actor.id, "tracker", f"{issues.NAMES[tracker]} issue requested", {})
        return (
            f"Creating a {issues.NAMES[tracker]} issue for *{item.id}*; it is linked once {tracker} answers."
        )

    return change(deps, item_id, apply, None)


def link_existing(deps: Deps, *, actor: Actor, item_id: str, found: FoundIssue) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "link")
        _not_linked(session, item)
        ref = found.ref
        other = store.link_by_issue(session, tracker=ref.tracker, project=ref.project, number=ref.number)
        if other is not None:
            raise UserError(f"{_shown(ref)} is already linked to {other.item_id}.")
        store.add_link(
            session,
            item_id=item.id,
            tracker=ref.tracker,
            project=ref.project,
            now=now,
            number=ref.number,
            url=found.url,
            remote_id=found.remote_id,
            state=found.state,
            remote_updated_at=found.updated_at,
        )
        event(
            session,
            item,
            now,
            actor.id,
            "tracker",
            f"Linked to {_shown(ref)}: {escape(found.url)}",
            {"tracker": ref.tracker, "number": ref.number, "url": found.url},
        )
        return f"*{item.id}* is linked to <{found.url}|{escape(_shown(ref))}>."

    return change(deps, item_id, apply, None)


def unlink(deps: Deps, *, actor: Actor, item_id: str) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "unlink")
        link = store.remove_link(session, item_id=item.id)
        if link is None:
            raise UserError(f"{item.id} is not linked to an issue.")
        shown = f"{issues.NAMES[link.tracker]} {link.number or '(never created)'}"
        event(session, item, now, actor.id, "tracker", f"Unlinked from {shown}", {"tracker": link.tracker})
        return f"*{item.id}* is no longer linked to {shown}; nothing more is synced."

    return change(deps, item_id, apply, None)


def set_person(deps: Deps, *, actor_id: str, user_id: str, tracker: str, account: str) -> str:
    now = deps.now()
    with deps.uow() as session:
        taken = store.set_person(
            session, tracker=tracker, user_id=user_id, account=account, set_by=actor_id, now=now
        )
    who = "You are" if user_id == actor_id else f"{user(user_id)} is"
    extra = f" (it was {user(taken)}'s until now)" if taken else ""
    return f"{who} `{escape(account)}` in {issues.NAMES[tracker]}{extra}."


def answer_not_planned(
    deps: Deps, *, actor: Actor, item_id: str, cancel: bool, after: AfterChange | None = None
) -> ItemView:
    """The owner's answer to an issue closed as not planned: cancel the item, or keep it open (the issue is
    reopened, as a change made in Slack)."""

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "change the status of")
        link = store.link_of(session, item_id=item.id)
        label = f"{issues.NAMES[link.tracker]} {link.number}" if link else "the tracker"
        if not lc.is_open(item.status):
            return f"*{item.id}* is {lc.LABELS[item.status]} already; nothing changed."
        if cancel:
            step = lc.plan_verb(item.id, item.status, lc.CANCEL, blocked_from=item.blocked_from)
            apply_move(
                session, item, now, actor, step, f"closed as not planned in {label}", render=deps.render.items
            )
            return f"*{item.id}* is Cancelled."
        event(session, item, now, actor.id, "tracker", f"Kept open; {label} is reopened", {"reopen": True})
        return f"*{item.id}* stays {lc.LABELS[item.status]}; {label} is reopened."

    return change(deps, item_id, apply, after)


def link_view(deps: Deps, item_id: str) -> tuple[str, str, str | None] | None:
    """(tracker name, number, URL) of the item's issue, or None."""
    with deps.uow(readonly=True) as session:
        item = get_item(session, item_id)
        link = store.link_of(session, item_id=item.id)
        if link is None:
            return None
        return issues.NAMES[link.tracker], link.number or "", link.url


def _shown(ref: issues.IssueRef) -> str:
    return f"GitHub {ref.project}#{ref.number}" if ref.tracker == issues.GITHUB else f"Jira {ref.number}"
