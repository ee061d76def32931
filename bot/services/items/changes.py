"""Remediation items: create, read and change them. One unit of work per use case.

Other features create items inside their own unit of work with `create_item_in` and read them with
`get_item`. The Slack side uses the `deps`-taking functions below: each reads the item again, checks the
acting user's permission, applies every change or none, writes the timeline and queues the DMs in the same
transaction. The pieces they are made of live in `item_steps`, validation in `item_validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.errors import UserError, about
from bot.core.evidence.criteria import new_criteria
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.mrkdwn import date, escape, user
from bot.deps import Deps
from bot.services.items import notices
from bot.services.items.steps import (
    Actor,
    AfterChange,
    ItemView,
    actor_for,
    add_evidence_entry,
    add_note_event,
    add_prevention_measures,
    apply_move,
    change,
    check_can_validate,
    event,
    get_item,
    keep_validation_history,
    may_edit,
    reassign,
    recent,
    require_editor,
    set_deadline,
    set_field,
)
from bot.services.items.validation import validate_item
from bot.services.rendering import ItemMessages
from storage import items as item_store
from storage import queries
from storage.models import RemediationItem, TimelineEvent

__all__ = [
    "Actor",
    "AfterChange",
    "ItemChanges",
    "ItemView",
    "actor_for",
    "add_criteria",
    "add_evidence",
    "add_note",
    "add_prevention",
    "assign",
    "check_can_validate",
    "create_item",
    "create_item_in",
    "get_item",
    "may_edit",
    "move",
    "require_editor",
    "show_item",
    "update_item",
    "validate_item",
]


def create_item_in(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    render: ItemMessages,
    actor_id: str,
    title: str,
    priority: str,
    owner_id: str | None = None,
    deadline: datetime | None = None,
    description: str = "",
    kind: str = "corrective",
    systems: Sequence[str] = (),
    criteria: Sequence[str] = (),
    prevention: Sequence[str] = (),
    incident_id: str | None = None,
    source_ref: str | None = None,
    note: str | None = None,
    mrr_at_risk: float | None = None,
    users_affected: int | None = None,
    availability_impact: float | None = None,
    force: bool = False,
    notify_owner: bool = True,
) -> tuple[RemediationItem, list[TimelineEvent]]:
    """Validate, allocate the id, add the item and its timeline entries, and queue the owner's DM. Returns
    the item and the entries written (newest first).

    Runs inside the caller's unit of work and never commits. Raises UserError (nothing added) on bad input.
    `notify_owner=False` leaves the DM to the caller (one message for many items created at once).
    """
    # Each problem names its argument (`UserError.field`), so that a form shows it next to that input.
    with about("title"):
        title = rules.clean_title(title)
    with about("priority"):
        priority = rules.parse_priority(priority)
    with about("kind"):
        kind = rules.parse_kind(kind)
    with about("incident_id"):
        incident_id = rules.normalise_incident_id(incident_id)
    if mrr_at_risk is not None and mrr_at_risk < 0:
        raise UserError("MRR at risk cannot be negative.", field="mrr_at_risk")
    with about("systems"):
        systems_list = rules.clean_list(
            rules.split_systems(systems),
            what="system",
            limit=rules.MAX_SYSTEM_NAME,
            max_items=rules.MAX_SYSTEMS,
        )
    with about("criteria"):
        criteria_list = new_criteria(criteria)  # a line may name its test: "… --test tests/x.py::test_y"
    with about("prevention"):
        prevention_list = rules.clean_list(
            prevention, what="prevention measure", limit=rules.MAX_TEXT, max_items=rules.MAX_PREVENTION
        )
    with about("description"):
        description = rules.clean_text(
            description, what="description", limit=rules.MAX_DESCRIPTION, required=False
        )
    with about("source_ref"):
        source_ref = (
            rules.clean_text(source_ref, what="source", limit=rules.MAX_SOURCE, required=False) or None
        )
    with about("note"):
        note = rules.clean_text(note, what="note", required=False) or None
    if deadline is None:
        deadline = rules.default_deadline(priority, now, settings.deadline_policy)
    else:
        with about("deadline"):
            rules.check_deadline(deadline, now, force=force)
    if mrr_at_risk is None:
        mrr_at_risk = rules.default_mrr(priority, settings.monthly_revenue)

    sequence = queries.next_sequence(session, key=rules.sequence_key(now))
    item = item_store.insert_item(
        session,
        values={
            "id": rules.format_item_id(priority, now, sequence),
            "title": title,
            "title_key": rules.title_key(title),
            "description": description,
            "priority": priority,
            "kind": kind,
            "status": lc.IDENTIFIED,
            "owner_id": owner_id,
            "reporter_id": actor_id,
            "incident_id": incident_id,
            "source_ref": source_ref,
            "mrr_at_risk": mrr_at_risk,
            "users_affected": users_affected,
            "availability_impact": availability_impact,
            "systems": systems_list,
            "criteria": criteria_list,
            "prevention": prevention_list,
            "deadline": deadline,
            "created_at": now,
            "updated_at": now,
            "last_progress_at": now if note else None,
        },
    )
    owner_text = f"owner {user(owner_id)}" if owner_id else "no owner yet"
    created = event(
        session,
        item,
        now,
        actor_id,
        "created",
        f"Created ({priority}): {escape(title)}; {owner_text}; due {date(deadline)}",
        {
            "priority": priority,
            "owner_id": owner_id,
            "deadline": deadline.isoformat(),
            "incident_id": incident_id,
            "source_ref": source_ref,
        },
    )
    events = [created]
    if note:
        events.insert(0, event(session, item, now, actor_id, "note", escape(note), {"text": note}))
    if owner_id and notify_owner:
        notices.notify(
            session,
            now=now,
            item=item,
            actor_id=actor_id,
            headline=f":inbox_tray: {user(actor_id)} made you the owner of a {priority} remediation item.",
            to=[owner_id],
            render=render,
        )
    return item, events


# --- use cases for the Slack side -----------------------------------------------------------------


def create_item(
    deps: Deps,
    *,
    actor_id: str,
    status: str | None = None,
    after: AfterChange | None = None,
    **fields: Any,
) -> ItemView:
    """`create_item_in` in its own unit of work (`fields` are its keyword arguments), plus what only the
    command takes: a starting status other than Identified."""
    now = deps.now()
    with deps.uow() as session:
        item, events = create_item_in(
            session, now=now, settings=deps.settings, render=deps.render.items, actor_id=actor_id, **fields
        )
        if status is not None and status != item.status:
            step = lc.plan_move(item.id, item.status, status)
            if step.verb == lc.VALIDATE:
                raise UserError("A new item cannot start Validated.")
            reason = fields.get("note") if step.needs_reason else None
            apply_move(session, item, now, Actor(actor_id), step, reason, render=deps.render.items)
            session.flush()
            events = recent(session, item)
        view = ItemView(item, events, f"Created *{item.id}*.")
        if after is not None:
            after(session, view)
    return view


def show_item(deps: Deps, *, item_id: str) -> ItemView:
    """The item and its newest timeline entries; a Completed one also carries what `check_can_validate`
    needs, so a command or a button can refuse a validation before opening the form."""
    with deps.uow(readonly=True) as session:
        item = get_item(session, item_id)
        keep_validation_history(session, item)
        view = ItemView(item, recent(session, item))
        session.expunge_all()  # a read-only unit of work ends in a rollback, which would expire them
    return view


@dataclass(frozen=True)
class ItemChanges:
    """The flags of `/remediate track ID …`: anything left None (or empty) stays as it is."""

    priority: str | None = None
    owner_id: str | None = None
    deadline: datetime | None = None
    status: str | None = None
    note: str | None = None
    systems: tuple[str, ...] = ()
    description: str | None = None
    kind: str | None = None
    mrr_at_risk: float | None = None
    users_affected: int | None = None
    availability_impact: float | None = None
    incident_id: str | None = None
    source_ref: str | None = None
    force: bool = False

    def guarded(self) -> bool:
        """Anything beyond a note: only the owner, the reporter or an admin may change it."""
        return any(v not in (None, ()) for k, v in self.__dict__.items() if k not in ("note", "force"))


def update_item(
    deps: Deps, *, actor: Actor, item_id: str, changes: ItemChanges, after: AfterChange | None = None
) -> ItemView:
    """Apply every change of `changes` or none (a refusal leaves the item as it was)."""

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        done: list[str] = []
        if changes.guarded():
            require_editor(item, actor, "change")
        note = rules.clean_text(changes.note, what="note", required=False) or None
        if changes.priority is not None:
            done += set_field(session, item, now, actor, "priority", rules.parse_priority(changes.priority))
        if changes.kind is not None:
            done += set_field(session, item, now, actor, "kind", rules.parse_kind(changes.kind))
        if changes.description is not None:
            text = rules.clean_text(
                changes.description, what="description", limit=rules.MAX_DESCRIPTION, required=False
            )
            done += set_field(session, item, now, actor, "description", text)
        if changes.systems:
            added = rules.clean_list(
                rules.split_systems(changes.systems),
                what="system",
                limit=rules.MAX_SYSTEM_NAME,
                max_items=rules.MAX_SYSTEMS,
                existing=item.systems,
            )
            if added:
                item.systems = [*item.systems, *added]
                event(
                    session,
                    item,
                    now,
                    actor.id,
                    "updated",
                    f"Systems added: {escape(', '.join(added))}",
                    {"field": "systems", "added": added},
                )
                done.append("systems")
        for name, value in (
            ("mrr_at_risk", changes.mrr_at_risk),
            ("users_affected", changes.users_affected),
            ("availability_impact", changes.availability_impact),
        ):
            if value is not None:
                done += set_field(session, item, now, actor, name, value)
        if changes.incident_id is not None:
            done += set_field(
                session, item, now, actor, "incident_id", rules.normalise_incident_id(changes.incident_id)
            )
        if changes.source_ref is not None:
            text = rules.clean_text(changes.source_ref, what="source", limit=rules.MAX_SOURCE)
            done += set_field(session, item, now, actor, "source_ref", text)
        if changes.deadline is not None:
            done += set_deadline(session, item, now, actor, changes.deadline, force=changes.force)
        if changes.owner_id is not None and changes.owner_id != item.owner_id:
            reassign(session, item, now, actor, changes.owner_id, render=deps.render.items)
            done.append("owner")
        used_note = False
        if changes.status is not None:
            target = lc.parse_status(changes.status)
            if target != item.status:
                move = lc.plan_move(item.id, item.status, target, blocked_from=item.blocked_from)
                if move.verb == lc.VALIDATE:
                    raise UserError(
                        f"An item becomes Validated only through `/remediate validate {item.id}` "
                        "(checklist, prevention measures and a second pair of eyes)."
                    )
                used_note = move.needs_reason or move.verb == lc.SEND_BACK
                apply_move(session, item, now, actor, move, note, render=deps.render.items)
                done.append("status")
        if note and not used_note:
            add_note_event(session, item, now, actor, note)
            done.append("note")
        if not done:
            return f"Nothing changed: *{item.id}* already has those values."
        return f"Updated *{item.id}* ({', '.join(done)})."

    return change(deps, item_id, apply, after)


def add_note(
    deps: Deps, *, actor: Actor, item_id: str, text: str, after: AfterChange | None = None
) -> ItemView:
    """Anyone may add a note; it counts as progress."""
    note = rules.clean_text(text, what="note")

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        add_note_event(session, item, now, actor, note)
        return f"Noted on *{item.id}*."

    return change(deps, item_id, apply, after)


def assign(
    deps: Deps, *, actor: Actor, item_id: str, owner_id: str, after: AfterChange | None = None
) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "reassign")
        if owner_id == item.owner_id:
            return f"{user(owner_id)} already owns *{item.id}*."
        if item.status in lc.CLOSED_STATUSES:
            raise UserError(f"{item.id} is {lc.LABELS[item.status]}; a finished item keeps its owner.")
        reassign(session, item, now, actor, owner_id, render=deps.render.items)
        return f"*{item.id}* now belongs to {user(owner_id)}."

    return change(deps, item_id, apply, after)


def move(
    deps: Deps,
    *,
    actor: Actor,
    item_id: str,
    verb: str,
    reason: str | None = None,
    after: AfterChange | None = None,
) -> ItemView:
    """start, complete, block (reason), unblock, cancel (reason), send_back (reason), plan."""

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "change the status of")
        step = lc.plan_verb(item.id, item.status, verb, blocked_from=item.blocked_from)
        if step.verb == lc.VALIDATE:
            raise UserError(f"Use `/remediate validate {item.id}` to validate an item.")
        text = rules.clean_text(reason, what="reason", required=step.needs_reason) or None
        apply_move(session, item, now, actor, step, text, render=deps.render.items)
        return f"*{item.id}* is now {lc.LABELS[item.status]}."

    return change(deps, item_id, apply, after)


def add_evidence(
    deps: Deps,
    *,
    actor: Actor,
    item_id: str,
    kind: str,
    ref: str,
    note: str | None = None,
    after: AfterChange | None = None,
) -> ItemView:
    """Evidence: code (``app/config.py:L23-L67``), commit (hash), test (``tests/x.py::test_y``), link."""
    kind = rules.parse_evidence_kind(kind)
    ref = rules.clean_text(ref, what="evidence reference", limit=rules.MAX_EVIDENCE_REF)
    note = rules.clean_text(note, what="evidence note", required=False) or None

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        add_evidence_entry(session, item, now, actor, kind, ref, note)
        return f"Evidence added to *{item.id}*."

    return change(deps, item_id, apply, after)


def add_criteria(
    deps: Deps, *, actor: Actor, item_id: str, texts: Sequence[str], after: AfterChange | None = None
) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        if item.status in lc.CLOSED_STATUSES:
            raise UserError(f"{item.id} is {lc.LABELS[item.status]}; its checklist is closed.")
        added = new_criteria(texts, existing=[c["text"] for c in item.criteria])
        if not added:
            raise UserError(f"{item.id} already has that success criterion.")
        item.criteria = [*item.criteria, *added]
        for c in added:
            proof = f" (proven by `{escape(c['test']).replace('`', chr(39))}` in CI)" if c.get("test") else ""
            event(
                session,
                item,
                now,
                actor.id,
                "criterion",
                f"Success criterion added: {escape(c['text'])}{proof}",
                {k: v for k, v in c.items() if k != "done"},
            )
        return f"Success criterion added to *{item.id}* ({len(item.criteria)} in all)."

    return change(deps, item_id, apply, after)


def add_prevention(
    deps: Deps, *, actor: Actor, item_id: str, texts: Sequence[str], after: AfterChange | None = None
) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        added = add_prevention_measures(session, item, now, actor, texts)
        if not added:
            raise UserError(f"{item.id} already records that prevention measure.")
        return f"Prevention measure recorded on *{item.id}*."

    return change(deps, item_id, apply, after)
