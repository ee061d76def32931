"""The status lifecycle of a remediation item.

    Identified → Planned → In Progress → Completed → Validated
    Blocked:   from any open state (with a reason); unblocking returns to where it was
    Cancelled: from any open state (with a reason)
    Completed → In Progress: sent back when validation fails

Any other move is refused with a message naming the moves that are allowed from where the item is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import UserError

IDENTIFIED = "identified"
PLANNED = "planned"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
VALIDATED = "validated"
BLOCKED = "blocked"
CANCELLED = "cancelled"

STATUSES = (IDENTIFIED, PLANNED, IN_PROGRESS, COMPLETED, VALIDATED, BLOCKED, CANCELLED)
OPEN_STATUSES = (IDENTIFIED, PLANNED, IN_PROGRESS, BLOCKED)  # work still to do: deadlines apply
CLOSED_STATUSES = (VALIDATED, CANCELLED)

LABELS = {
    IDENTIFIED: "Identified",
    PLANNED: "Planned",
    IN_PROGRESS: "In Progress",
    COMPLETED: "Completed",
    VALIDATED: "Validated",
    BLOCKED: "Blocked",
    CANCELLED: "Cancelled",
}
EMOJI = {
    IDENTIFIED: ":white_circle:",
    PLANNED: ":large_blue_circle:",
    IN_PROGRESS: ":hammer_and_wrench:",
    COMPLETED: ":ballot_box_with_check:",
    VALIDATED: ":white_check_mark:",
    BLOCKED: ":no_entry:",
    CANCELLED: ":heavy_multiplication_x:",
}

_ALIASES = {
    "new": IDENTIFIED,
    "open": IDENTIFIED,
    "todo": PLANNED,
    "started": IN_PROGRESS,
    "wip": IN_PROGRESS,
    "progress": IN_PROGRESS,
    "done": COMPLETED,
    "complete": COMPLETED,
    "fixed": COMPLETED,
    "canceled": CANCELLED,
    "cancel": CANCELLED,
    "block": BLOCKED,
    "validate": VALIDATED,
}

# Verbs for the moves, as shown to people and recorded on the timeline.
PLAN, START, COMPLETE, VALIDATE, BLOCK, UNBLOCK, CANCEL, SEND_BACK = (
    "plan",
    "start",
    "complete",
    "validate",
    "block",
    "unblock",
    "cancel",
    "send_back",
)
NEEDS_REASON = frozenset({BLOCK, CANCEL})


@dataclass(frozen=True)
class Move:
    verb: str  # plan, start, complete, validate, block, unblock, cancel, send_back
    target: str  # the status the item ends in

    @property
    def needs_reason(self) -> bool:
        return self.verb in NEEDS_REASON

    def describe(self) -> str:
        extra = {
            UNBLOCK: " (unblock)",
            SEND_BACK: " (send back)",
            VALIDATE: " (with `/remediate validate`)",
            BLOCK: " (with a reason)",
            CANCEL: " (with a reason)",
        }.get(self.verb, "")
        return LABELS[self.target] + extra


def parse_status(text: str) -> str:
    """``in_progress``, ``In Progress``, ``in-progress``, ``done`` … -> the stored status."""
    raw = (text or "").strip().lower()
    key = re.sub(r"[\s\-]+", "_", raw)
    if key in STATUSES:
        return key
    if key.replace("_", "") in {s.replace("_", "") for s in STATUSES}:
        return next(s for s in STATUSES if s.replace("_", "") == key.replace("_", ""))
    if key in _ALIASES:
        return _ALIASES[key]
    shown = (
        (text or "").replace("`", "'")[:40].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )
    raise UserError(f"`{shown}` is not a status; use one of {', '.join(STATUSES)}.")


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def allowed_moves(status: str, *, blocked_from: str | None = None) -> list[Move]:
    """Every move allowed from `status`, in the order people usually take them."""
    if status == IDENTIFIED:
        return [Move(PLAN, PLANNED), Move(START, IN_PROGRESS), Move(BLOCK, BLOCKED), Move(CANCEL, CANCELLED)]
    if status == PLANNED:
        return [Move(START, IN_PROGRESS), Move(BLOCK, BLOCKED), Move(CANCEL, CANCELLED)]
    if status == IN_PROGRESS:
        return [Move(COMPLETE, COMPLETED), Move(BLOCK, BLOCKED), Move(CANCEL, CANCELLED)]
    if status == BLOCKED:
        back = blocked_from if blocked_from in (IDENTIFIED, PLANNED, IN_PROGRESS) else IDENTIFIED
        return [Move(UNBLOCK, back), Move(CANCEL, CANCELLED)]
    if status == COMPLETED:
        return [Move(VALIDATE, VALIDATED), Move(SEND_BACK, IN_PROGRESS)]
    return []  # validated and cancelled are final


def plan_move(item_id: str, status: str, target: str, *, blocked_from: str | None = None) -> Move:
    """The move that takes an item from `status` to `target`, or UserError naming the allowed ones."""
    for move in allowed_moves(status, blocked_from=blocked_from):
        if move.target == target:
            return move
    raise UserError(refusal(item_id, status, LABELS.get(target, target), blocked_from=blocked_from))


def plan_verb(item_id: str, status: str, verb: str, *, blocked_from: str | None = None) -> Move:
    """The move named by a verb (``start``, ``unblock`` …) from `status`, or UserError."""
    for move in allowed_moves(status, blocked_from=blocked_from):
        if move.verb == verb:
            return move
    wanted = {
        UNBLOCK: "unblocked",
        SEND_BACK: "sent back",
        START: "started",
        COMPLETE: "completed",
        VALIDATE: "validated",
        BLOCK: "blocked",
        CANCEL: "cancelled",
        PLAN: "planned",
    }.get(verb, verb)
    raise UserError(refusal(item_id, status, wanted, blocked_from=blocked_from, as_verb=True))


def refusal(
    item_id: str, status: str, wanted: str, *, blocked_from: str | None = None, as_verb: bool = False
) -> str:
    moves = allowed_moves(status, blocked_from=blocked_from)
    here = LABELS.get(status, status)
    head = (
        f"{item_id} is {here}; it cannot be {wanted} from there."
        if as_verb
        else f"{item_id} cannot go from {here} to {wanted}."
    )
    if not moves:
        return f"{head} {here} is final: nothing can change its status any more."
    return f"{head} From {here} it can go to: {', '.join(m.describe() for m in moves)}."
