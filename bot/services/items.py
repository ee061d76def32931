"""Remediation items: create, read and change them. One unit of work per use case.

Other features create items inside their own unit of work with `create_item_in` and read them with
`get_item`. The Slack side uses the `deps`-taking functions below: each reads the item again, checks the
acting user's permission, applies every change or none, writes the timeline and queues the DMs in the same
transaction.

Timeline summaries are Slack mrkdwn with user text already escaped (mentions and date tokens are ours).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core import items as rules
from bot.core import lifecycle as lc
from bot.core.errors import Forbidden, NotFound, UserError
from bot.core.mrkdwn import date, escape, truncate, user
from bot.core.permissions import item_editors_text, may_change_item, may_validate
from bot.deps import Deps
from bot.services import item_messages as notices
from bot.services.permissions import is_admin
from storage import items as store
from storage import queries
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


# A hook run inside the unit of work after a change (e.g. to queue an in-place update of a card).
AfterChange = Callable[[Session, ItemView], None]


# --- the composable API ---------------------------------------------------------------------------


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


def create_item_in(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
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
    force: bool = False,
) -> RemediationItem:
    """Validate, allocate the id, add the item and its timeline entry, and queue the owner's DM.

    Runs inside the caller's unit of work and never commits. Raises UserError (nothing added) on bad input.
    """
    title = rules.clean_title(title)
    priority = rules.parse_priority(priority)
    kind = rules.parse_kind(kind)
    description = rules.clean_text(
        description, what="description", limit=rules.MAX_DESCRIPTION, required=False
    )
    systems_list = rules.clean_list(
        rules.split_systems(systems),
        what="system",
        limit=rules.MAX_SYSTEM_NAME,
        max_items=rules.MAX_SYSTEMS,
    )
    criteria_list = rules.clean_list(
        criteria, what="success criterion", limit=rules.MAX_TEXT, max_items=rules.MAX_CRITERIA
    )
    prevention_list = rules.clean_list(
        prevention, what="prevention measure", limit=rules.MAX_TEXT, max_items=rules.MAX_PREVENTION
    )
    incident_id = rules.normalise_incident_id(incident_id)
    source_ref = rules.clean_text(source_ref, what="source", limit=rules.MAX_SOURCE, required=False) or None
    note = rules.clean_text(note, what="note", required=False) or None
    if mrr_at_risk is not None and mrr_at_risk < 0:
        raise UserError("MRR at risk cannot be negative.")
    if deadline is None:
        deadline = rules.default_deadline(priority, now, settings.deadline_policy)
    else:
        rules.check_deadline(deadline, now, force=force)
    if mrr_at_risk is None:
        mrr_at_risk = rules.default_mrr(priority, settings.monthly_revenue)

    sequence = queries.next_sequence(session, key=rules.sequence_key(now))
    item = RemediationItem(
        id=rules.format_item_id(priority, now, sequence),
        title=title,
        title_key=rules.title_key(title),
        description=description,
        priority=priority,
        kind=kind,
        status=lc.IDENTIFIED,
        owner_id=owner_id,
        reporter_id=actor_id,
        incident_id=incident_id,
        source_ref=source_ref,
        mrr_at_risk=mrr_at_risk,
        systems=systems_list,
        criteria=[{"text": c, "done": False} for c in criteria_list],
        prevention=prevention_list,
        evidence=[],
        deadline=deadline,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    owner_text = f"owner {user(owner_id)}" if owner_id else "no owner yet"
    _event(
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
    if note:
        item.last_progress_at = now
        _event(session, item, now, actor_id, "note", escape(note), {"text": note})
    if owner_id:
        notices.notify(
            session,
            now=now,
            item=item,
            actor_id=actor_id,
            headline=f":inbox_tray: {user(actor_id)} made you the owner of a {priority} remediation item.",
            to=[owner_id],
        )
    return item


# --- use cases for the Slack side -----------------------------------------------------------------


def create_item(
    deps: Deps,
    *,
    actor_id: str,
    status: str | None = None,
    users_affected: int | None = None,
    availability_impact: float | None = None,
    after: AfterChange | None = None,
    **fields: Any,
) -> ItemView:
    """`create_item_in` in its own unit of work (`fields` are its keyword arguments), plus what only the
    command takes: a starting status other than Identified, users affected and availability impact."""
    now = deps.now()
    with deps.uow() as session:
        item = create_item_in(session, now=now, settings=deps.settings, actor_id=actor_id, **fields)
        item.users_affected, item.availability_impact = users_affected, availability_impact
        if status is not None and status != item.status:
            step = lc.plan_move(item.id, item.status, status)
            if step.verb == lc.VALIDATE:
                raise UserError("A new item cannot start Validated.")
            reason = fields.get("note") if step.needs_reason else None
            _apply_move(session, item, now, Actor(actor_id), step, reason)
        session.flush()
        view = ItemView(item, _recent(session, item), f"Created *{item.id}*.")
        if after is not None:
            after(session, view)
    return view


def show_item(deps: Deps, *, item_id: str) -> ItemView:
    with deps.uow(readonly=True) as session:
        item = get_item(session, item_id)
        view = ItemView(item, _recent(session, item))
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
            done += _set_field(session, item, now, actor, "priority", rules.parse_priority(changes.priority))
        if changes.kind is not None:
            done += _set_field(session, item, now, actor, "kind", rules.parse_kind(changes.kind))
        if changes.description is not None:
            text = rules.clean_text(
                changes.description, what="description", limit=rules.MAX_DESCRIPTION, required=False
            )
            done += _set_field(session, item, now, actor, "description", text)
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
                _event(
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
                done += _set_field(session, item, now, actor, name, value)
        if changes.incident_id is not None:
            done += _set_field(
                session, item, now, actor, "incident_id", rules.normalise_incident_id(changes.incident_id)
            )
        if changes.source_ref is not None:
            text = rules.clean_text(changes.source_ref, what="source", limit=rules.MAX_SOURCE)
            done += _set_field(session, item, now, actor, "source_ref", text)
        if changes.deadline is not None:
            done += _set_deadline(session, item, now, actor, changes.deadline, force=changes.force)
        if changes.owner_id is not None and changes.owner_id != item.owner_id:
            _reassign(session, item, now, actor, changes.owner_id)
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
                _apply_move(session, item, now, actor, move, note)
                done.append("status")
        if note and not used_note:
            _note(session, item, now, actor, note)
            done.append("note")
        if not done:
            return f"Nothing changed: *{item.id}* already has those values."
        return f"Updated *{item.id}* ({', '.join(done)})."

    return _change(deps, item_id, apply, after)


def add_note(
    deps: Deps, *, actor: Actor, item_id: str, text: str, after: AfterChange | None = None
) -> ItemView:
    """Anyone may add a note; it counts as progress."""
    note = rules.clean_text(text, what="note")

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        _note(session, item, now, actor, note)
        return f"Noted on *{item.id}*."

    return _change(deps, item_id, apply, after)


def assign(
    deps: Deps, *, actor: Actor, item_id: str, owner_id: str, after: AfterChange | None = None
) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        require_editor(item, actor, "reassign")
        if owner_id == item.owner_id:
            return f"{user(owner_id)} already owns *{item.id}*."
        if item.status in lc.CLOSED_STATUSES:
            raise UserError(f"{item.id} is {lc.LABELS[item.status]}; a finished item keeps its owner.")
        _reassign(session, item, now, actor, owner_id)
        return f"*{item.id}* now belongs to {user(owner_id)}."

    return _change(deps, item_id, apply, after)


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
        _apply_move(session, item, now, actor, step, text)
        return f"*{item.id}* is now {lc.LABELS[item.status]}."

    return _change(deps, item_id, apply, after)


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
        _evidence(session, item, now, actor, kind, ref, note)
        return f"Evidence added to *{item.id}*."

    return _change(deps, item_id, apply, after)


def add_criteria(
    deps: Deps, *, actor: Actor, item_id: str, texts: Sequence[str], after: AfterChange | None = None
) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        if item.status in lc.CLOSED_STATUSES:
            raise UserError(f"{item.id} is {lc.LABELS[item.status]}; its checklist is closed.")
        existing = [c["text"] for c in item.criteria]
        added = rules.clean_list(
            texts,
            what="success criterion",
            limit=rules.MAX_TEXT,
            max_items=rules.MAX_CRITERIA,
            existing=existing,
        )
        if not added:
            raise UserError(f"{item.id} already has that success criterion.")
        item.criteria = [*item.criteria, *({"text": t, "done": False} for t in added)]
        for t in added:
            _event(
                session,
                item,
                now,
                actor.id,
                "criterion",
                f"Success criterion added: {escape(t)}",
                {"text": t},
            )
        return f"Success criterion added to *{item.id}* ({len(item.criteria)} in all)."

    return _change(deps, item_id, apply, after)


def add_prevention(
    deps: Deps, *, actor: Actor, item_id: str, texts: Sequence[str], after: AfterChange | None = None
) -> ItemView:
    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        added = _prevention(session, item, now, actor, texts)
        if not added:
            raise UserError(f"{item.id} already records that prevention measure.")
        return f"Prevention measure recorded on *{item.id}*."

    return _change(deps, item_id, apply, after)


class FieldProblem(UserError):
    """A validation that cannot pass, tied to the field of the modal that must change."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def validate_item(
    deps: Deps,
    *,
    actor: Actor,
    item_id: str,
    passed: bool,
    ticked: Sequence[int],
    criteria_seen: int | None = None,
    prevention: Sequence[str] = (),
    evidence: Sequence[tuple[str, str, str | None]] = (),
    reason: str | None = None,
    after: AfterChange | None = None,
) -> ItemView:
    """Validate a completed item, or send it back to In Progress with the reason.

    Passing needs every success criterion ticked, at least one prevention measure and a validator who is
    not the owner (four eyes; ALLOW_SELF_VALIDATION turns that off). `ticked` are indexes into the
    criteria as the validator saw them (`criteria_seen` of them)."""
    reason = rules.clean_text(reason, what="reason", required=False) or None

    def apply(session: Session, item: RemediationItem, now: datetime) -> str:
        check_can_validate(item, actor, deps.settings)
        if criteria_seen is not None and criteria_seen != len(item.criteria):
            raise FieldProblem(
                "The success criteria changed while you were validating; close this and start again.",
                "criteria",
            )
        ticks = {i for i in ticked if 0 <= i < len(item.criteria)}
        if passed:
            missing = [c["text"] for i, c in enumerate(item.criteria) if i not in ticks]
            if missing:
                raise FieldProblem(
                    f"{len(missing)} success criterion not ticked: tick every one, or fail the validation "
                    "with a reason.",
                    "criteria",
                )
            new_prevention = rules.clean_list(
                prevention,
                what="prevention measure",
                limit=rules.MAX_TEXT,
                max_items=rules.MAX_PREVENTION,
                existing=item.prevention,
            )
            if not item.prevention and not new_prevention:
                raise FieldProblem("Record at least one prevention measure before validating.", "prevention")
        elif not reason:
            raise FieldProblem("Say why the validation failed; the owner gets it with the item.", "reason")
        before = [bool(c.get("done")) for c in item.criteria]
        item.criteria = [{**c, "done": i in ticks} for i, c in enumerate(item.criteria)]
        if [bool(c["done"]) for c in item.criteria] != before:
            met = ", ".join(str(i + 1) for i in sorted(ticks)) or "none"
            _event(
                session,
                item,
                now,
                actor.id,
                "checklist",
                f"Success criteria met: {met} ({len(ticks)}/{len(item.criteria)})",
                {"ticked": sorted(ticks), "of": len(item.criteria)},
            )
        _prevention(session, item, now, actor, prevention)
        for kind, ref, note in evidence:
            _evidence(session, item, now, actor, kind, ref, note)
        if passed:
            item.status = lc.VALIDATED
            item.validated_at, item.validated_by = now, actor.id
            item.last_progress_at = now
            _event(
                session,
                item,
                now,
                actor.id,
                "validated",
                f"Validated: {len(item.criteria)}/{len(item.criteria)} success criteria, "
                f"{len(item.prevention)} prevention measure(s)",
                {"from": lc.COMPLETED, "to": lc.VALIDATED, "verb": lc.VALIDATE},
            )
            return f":white_check_mark: *{item.id}* is Validated."
        step = lc.plan_verb(item.id, item.status, lc.SEND_BACK)
        _apply_move(
            session,
            item,
            now,
            actor,
            step,
            reason,
            kind="validation_failed",
            headline_prefix="Validation failed",
        )
        return f"*{item.id}* failed validation and went back to In Progress."

    return _change(deps, item_id, apply, after)


def check_can_validate(item: RemediationItem, actor: Actor, settings: Settings) -> None:
    """Raises unless `actor` may validate `item` now (it is Completed and they are not its owner)."""
    if item.status != lc.COMPLETED:
        raise UserError(f"{item.id} is {lc.LABELS[item.status]}; only a Completed item can be validated.")
    if not _may_validate(item, actor, settings):
        raise Forbidden(
            f"You own {item.id}, so someone else must validate it (four eyes): "
            f"{user(item.reporter_id) if item.reporter_id != actor.id else 'a teammate'} for instance."
        )


def _may_validate(item: RemediationItem, actor: Actor, settings: Settings) -> bool:
    return may_validate(
        actor.id, owner_id=item.owner_id, allow_self_validation=settings.allow_self_validation
    )


def may_edit(item: RemediationItem, actor: Actor) -> bool:
    return may_change_item(
        actor.id, owner_id=item.owner_id, reporter_id=item.reporter_id, is_admin=actor.is_admin
    )


# --- the pieces every change is made of -----------------------------------------------------------


def _change(
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
        view = ItemView(item, _recent(session, item), message)
        if after is not None:
            after(session, view)
    return view


def _recent(session: Session, item: RemediationItem) -> list[TimelineEvent]:
    return queries.timeline(session, subject_id=item.id, limit=RECENT_EVENTS, newest_first=True)


def require_editor(item: RemediationItem, actor: Actor, what: str) -> None:
    if not may_edit(item, actor):
        raise Forbidden(
            f"You cannot {what} {item.id}: its status, deadline and owner are changed by "
            f"{item_editors_text(item.owner_id, item.reporter_id)}. Anyone can add a note, evidence "
            "or a success criterion."
        )


def _event(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor_id: str | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> None:
    queries.add_event(
        session, subject_id=item.id, at=now, actor_id=actor_id, kind=kind, summary=summary, data=data
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


def _set_field(
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
    _event(session, item, now, actor.id, "updated", summary, {"field": name, "from": old, "to": value})
    return [label.lower()]


def _set_deadline(
    session: Session, item: RemediationItem, now: datetime, actor: Actor, deadline: datetime, *, force: bool
) -> list[str]:
    if deadline == item.deadline:
        return []
    rules.check_deadline(deadline, now, force=force)
    old = item.deadline
    item.deadline = deadline
    _event(
        session,
        item,
        now,
        actor.id,
        "updated",
        f"Deadline: {date(old)} → {date(deadline)}",
        {"field": "deadline", "from": old.isoformat(), "to": deadline.isoformat(), "forced": force},
    )
    return ["deadline"]


def _reassign(session: Session, item: RemediationItem, now: datetime, actor: Actor, owner_id: str) -> None:
    old = item.owner_id
    item.owner_id = owner_id
    summary = f"Owner: {user(old)} → {user(owner_id)}" if old else f"Assigned to {user(owner_id)}"
    _event(session, item, now, actor.id, "assigned", summary, {"from": old, "to": owner_id})
    notices.notify(
        session,
        now=now,
        item=item,
        actor_id=actor.id,
        headline=f":inbox_tray: {user(actor.id)} made {user(owner_id)} the owner of this item.",
        to=[owner_id, item.reporter_id],
    )
    if old:
        notices.notify(
            session,
            now=now,
            item=item,
            actor_id=actor.id,
            headline=f":outbox_tray: {user(actor.id)} reassigned this item from you to {user(owner_id)}.",
            to=[old],
        )


def _note(session: Session, item: RemediationItem, now: datetime, actor: Actor, text: str) -> None:
    item.last_progress_at = now
    _event(session, item, now, actor.id, "note", escape(text), {"text": text})


def _evidence(
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
    _event(session, item, now, actor.id, "evidence", summary, entry)


def _prevention(
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
            _event(
                session, item, now, actor.id, "prevention", f"Prevention measure: {escape(t)}", {"text": t}
            )
    return added


def _apply_move(
    session: Session,
    item: RemediationItem,
    now: datetime,
    actor: Actor,
    step: lc.Move,
    reason: str | None,
    *,
    kind: str = "status",
    headline_prefix: str | None = None,
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
    _event(
        session,
        item,
        now,
        actor.id,
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
        )
