"""Four eyes: who may not validate a Completed item, read from the item's history.

Nobody who owned the item since it last entered In Progress, and nobody who marked it Completed, may
validate it. Looking at the current owner alone is not enough: an owner could complete her item, hand it to
someone else and then validate it herself, and a reporter could complete an item somebody else owns and
validate it. So the rule replays the item's timeline:

- a piece of work starts each time the item enters In Progress (started, unblocked into it from Identified
  or Planned, or sent back after a failed validation); a block and unblock in the middle of the work is a
  pause, not a new start, so whoever owned it before the block still counts;
- everybody who owned the item from that moment on (the owner then, each later owner, the owner now), and
  whoever moved it to Completed, may not validate it.

Pure: the caller gives the history as plain entries (what the timeline holds) and the settings' switch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.items import lifecycle as lc
from bot.core.mrkdwn import user

# The timeline entries the rule reads; every other kind (notes, evidence …) changes neither who owns the
# item nor its status.
CREATED, ASSIGNED = "created", "assigned"
MOVES = ("status", "validation_failed", "validated")  # kinds whose data holds {"from", "to", "verb"}
KINDS = (CREATED, ASSIGNED, *MOVES)

# Why someone may not validate, strongest first.
OWNS, OWNED, COMPLETED = "owns", "owned", "completed"


@dataclass(frozen=True)
class Entry:
    """One timeline entry as the rule reads it: its kind, who acted, and its data."""

    kind: str
    actor_id: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


def barred(history: Iterable[Entry], *, owner_id: str | None) -> dict[str, str]:
    """Everybody who may not validate the work now waiting for validation, each with the reason (OWNS,
    OWNED or COMPLETED). `history` is oldest first; `owner_id` is the owner now."""
    owner: str | None = None
    status, blocked_from = lc.IDENTIFIED, None
    owners: list[str] = []  # owners since the work started (since the beginning, if it never did)
    completers: list[str] = []
    for entry in history:
        data = entry.data or {}
        if entry.kind in (CREATED, ASSIGNED):
            owner = data.get("owner_id" if entry.kind == CREATED else "to")
            if owner:
                owners.append(owner)
        elif entry.kind in MOVES and data.get("to"):
            before, status = status, str(data["to"])
            if status == lc.BLOCKED:
                blocked_from = data.get("from") or before
            elif status == lc.IN_PROGRESS:
                resumed = (data.get("from") or before) == lc.BLOCKED and blocked_from == lc.IN_PROGRESS
                if not resumed:  # a new piece of work: who had a hand in the earlier one is free again
                    owners, completers = ([owner] if owner else []), []
            elif status == lc.COMPLETED and entry.actor_id:
                completers.append(entry.actor_id)
    out: dict[str, str] = {}
    for who in completers:
        out[who] = COMPLETED
    for who in owners:
        out[who] = OWNED
    if owner_id:
        out[owner_id] = OWNS
    return out


def refusal(
    item_id: str,
    actor_id: str,
    *,
    owner_id: str | None,
    reporter_id: str,
    history: Iterable[Entry],
    allow_self_validation: bool,
) -> str | None:
    """Why `actor_id` may not validate item `item_id` (a sentence that says so and who could), or None
    when they may. ALLOW_SELF_VALIDATION (`allow_self_validation`) lets everybody."""
    if allow_self_validation:
        return None
    who = barred(history, owner_id=owner_id)
    why = who.get(actor_id)
    if why is None:
        return None
    head = {
        OWNS: f"You own {item_id}",
        OWNED: f"You owned {item_id} while it was in progress",
        COMPLETED: f"You marked {item_id} completed",
    }[why]
    ask = user(reporter_id) if reporter_id not in who and reporter_id != actor_id else "a teammate"
    return f"{head}, so someone else must validate it (four eyes): {ask} for instance."
