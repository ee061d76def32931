"""The item forms' use cases: what a person typed, read and checked once, here.

A form gives text as typed (a deadline such as "tomorrow 17:00", an amount such as "50k", a person); this
reads each in the typist's terms (their time zone) and hands the result to the use case, which checks the
rest. Every problem names the input it is about (`UserError.field`; for the create form the argument
names of `create_item_in`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import Checks, about
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.timing.deadlines import parse_deadline
from bot.deps import Deps
from bot.services.items.changes import add_note, assign, create_item, move, validate_item
from bot.services.items.steps import Actor, AfterChange, ItemView, actor_for
from bot.services.people.refs import resolve_user
from bot.services.people.users import get_person

_INDEX = re.compile(r"[0-9]{1,4}")  # a ticked option's value: an index the form wrote (str.isdigit takes "²")


@dataclass(frozen=True)
class ItemEntry:
    """The create form's inputs, as typed (None where nothing was entered)."""

    title: str | None = None
    priority: str | None = None
    kind: str | None = None
    owner_id: str | None = None
    deadline: str | None = None
    description: str | None = None
    systems: str | None = None
    criteria: str | None = None
    incident_id: str | None = None
    source_ref: str | None = None
    note: str | None = None
    mrr_at_risk: str | None = None
    force: bool = False


def create_from_entry(
    deps: Deps, *, actor_id: str, entry: ItemEntry, after: AfterChange | None = None
) -> ItemView:
    """Create the item `entry` describes. Raises UserError naming the input at fault; nothing is created."""
    checks = Checks()
    owner_id = checks("owner_id", resolve_user, deps, entry.owner_id) if entry.owner_id else None
    mrr = checks("mrr_at_risk", rules.parse_money, entry.mrr_at_risk) if entry.mrr_at_risk else None
    deadline = None
    if entry.deadline:
        tz = get_person(deps, actor_id).tz
        deadline = checks("deadline", parse_deadline, entry.deadline, now=deps.now(), tz=tz)
    checks.done()
    return create_item(
        deps,
        actor_id=actor_id,
        after=after,
        title=entry.title or "",
        priority=entry.priority or "P2",
        kind=entry.kind or "corrective",
        owner_id=owner_id,
        deadline=deadline,
        description=entry.description or "",
        systems=[entry.systems] if entry.systems else [],
        criteria=_lines(entry.criteria),
        incident_id=entry.incident_id,
        source_ref=entry.source_ref,
        note=entry.note,
        mrr_at_risk=mrr,
        force=entry.force,
    )


def _lines(text: str | None) -> Sequence[str]:
    return (text or "").splitlines()


def note_or_move(
    deps: Deps, *, actor_id: str, item_id: str, verb: str, text: str, after: AfterChange | None = None
) -> ItemView:
    """The note form: block, cancel or send back with `text` as the reason, or else add it as a note."""
    if verb in (lc.BLOCK, lc.CANCEL, lc.SEND_BACK):
        actor = actor_for(deps, actor_id)
        return move(deps, actor=actor, item_id=item_id, verb=verb, reason=text, after=after)
    return add_note(deps, actor=Actor(actor_id), item_id=item_id, text=text, after=after)


def reassign(
    deps: Deps, *, actor_id: str, item_id: str, owner: str, after: AfterChange | None = None
) -> ItemView:
    """The reassign form: `owner` as picked (a user id), checked to be someone who can do the work."""
    with about("owner_id"):
        owner_id = resolve_user(deps, owner)
    return assign(deps, actor=actor_for(deps, actor_id), item_id=item_id, owner_id=owner_id, after=after)


def validate(
    deps: Deps,
    *,
    actor_id: str,
    item_id: str,
    outcome: str | None,
    ticked: Sequence[str],
    criteria_seen: int | None,
    prevention: str | None,
    evidence: str | None,
    reason: str | None,
    after: AfterChange | None = None,
) -> ItemView:
    """The validate form: passed unless `outcome` is "fail"; `ticked` are the criteria's option values (their
    indexes as the form wrote them; anything else is ignored)."""
    return validate_item(
        deps,
        actor=actor_for(deps, actor_id),
        item_id=item_id,
        passed=outcome != "fail",
        ticked=[int(v) for v in ticked if _INDEX.fullmatch(v)],
        criteria_seen=criteria_seen,
        prevention=_lines(prevention),
        evidence=evidence or "",
        reason=reason,
        after=after,
    )
