"""The escalation ladder for overdue remediation items (the process document's escalation procedures).

Level 1 (standard), Level 2 (management) and Level 3 (executive) fire at configurable times past the
deadline, per priority. Each (item, level) fires once; snoozing an alert pushes the levels still to come
back by the snoozed time. Pure: the caller passes `now`, the thresholds and what already fired.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.timing.durations import PriorityDurations, format_duration

# Statuses in which an item is still owed work (completed items wait for validation, not for the owner).
OPEN_STATUSES = ("identified", "planned", "in_progress", "blocked")

LEVEL_NAMES = {1: "Standard escalation", 2: "Management escalation", 3: "Executive escalation"}
LEVEL_AUDIENCE = {1: "team lead", 2: "engineering management", 3: "executives"}

# What the process document asks for at each level.
LEVEL_ACTIONS = {
    1: ("Immediate status update", "Resource needs assessment"),
    2: (
        "Status update to engineering management",
        "Consider additional resource allocation",
        "Emergency response team activation",
        "Customer communication preparation",
    ),
    3: (
        "Executive team notification",
        "Emergency response protocol",
        "Customer communication",
        "Post-incident review scheduling",
    ),
}

PRIORITY_LABELS = {"P0": "CRITICAL", "P1": "HIGH", "P2": "MEDIUM", "P3": "LOW"}

Thresholds = Mapping[int, PriorityDurations]


def level_due_at(
    level: int,
    *,
    priority: str,
    deadline: datetime,
    thresholds: Thresholds,
    delay: timedelta = timedelta(0),
    not_before: datetime | None = None,
) -> datetime | None:
    """When `level` falls due for an item, or None when that priority never reaches it."""
    after = thresholds.get(level, {}).get(priority)
    if after is None:
        return None
    due = deadline + after + delay
    if not_before is not None and not_before > due:
        due = not_before
    return due


def levels_to_fire(
    *,
    priority: str,
    deadline: datetime,
    now: datetime,
    thresholds: Thresholds,
    fired: Collection[int] = (),
    delay: timedelta = timedelta(0),
    not_before: datetime | None = None,
) -> list[int]:
    """The levels due at `now` that have not fired yet, lowest first (after downtime: each missed one)."""
    out = []
    for level in sorted(thresholds):
        if level in fired:
            continue
        due = level_due_at(
            level,
            priority=priority,
            deadline=deadline,
            thresholds=thresholds,
            delay=delay,
            not_before=not_before,
        )
        if due is not None and due <= now:
            out.append(level)
    return out


def next_level(
    *,
    priority: str,
    deadline: datetime,
    thresholds: Thresholds,
    fired: Collection[int],
    delay: timedelta = timedelta(0),
    not_before: datetime | None = None,
) -> tuple[int, datetime] | None:
    """The lowest level still to fire and when, or None when the ladder is done for this item."""
    for level in sorted(thresholds):
        if level in fired:
            continue
        due = level_due_at(
            level,
            priority=priority,
            deadline=deadline,
            thresholds=thresholds,
            delay=delay,
            not_before=not_before,
        )
        if due is not None:
            return level, due
    return None


def earliest_threshold(thresholds: Thresholds) -> dict[str, timedelta]:
    """Per priority, the shortest time past the deadline at which any level can fire (for the query)."""
    out: dict[str, timedelta] = {}
    for per_priority in thresholds.values():
        for priority, after in per_priority.items():
            if priority not in out or after < out[priority]:
                out[priority] = after
    return out


def last_levels(thresholds: Thresholds) -> dict[str, int]:
    """Per priority, the highest level it can reach (its ladder is done once that one fired)."""
    out: dict[str, int] = {}
    for level, per_priority in thresholds.items():
        for priority in per_priority:
            out[priority] = max(out.get(priority, 0), level)
    return out


def mentions_for(level: int, owner_id: str | None, targets: Mapping[int, Iterable[str]]) -> list[str]:
    """Who a level's channel post mentions: the owner, then the people of every level up to this one."""
    out: list[str] = []
    for who in [owner_id, *(t for lvl in sorted(targets) if lvl <= level for t in targets[lvl])]:
        if who and who not in out:
            out.append(who)
    return out


def required_actions(level: int, next_up: tuple[int, datetime] | None, now: datetime) -> list[str]:
    """The template's "Required Actions" for a level, ending with when the next level fires."""
    actions = list(LEVEL_ACTIONS.get(level, LEVEL_ACTIONS[1]))
    if next_up is not None:
        nxt, due = next_up
        wait = due - now
        when = f"in {format_duration(wait)}" if wait > timedelta(0) else "now"
        audience = LEVEL_AUDIENCE.get(nxt, "next level")
        actions.append(f"Escalation to Level {nxt} ({audience}) {when} if not resolved")
    return actions


def hours_overdue(deadline: datetime, at: datetime) -> float:
    """Hours past the deadline at `at`, to one decimal (the template shows "Overdue: 4.2 hours")."""
    return round(max(0.0, (at - deadline).total_seconds() / 3600), 1)


@dataclass(frozen=True)
class AlertView:
    """Everything one escalation alert shows, as plain data (rendered by the Slack layer)."""

    alert_id: int
    level: int
    item_id: str
    title: str
    priority: str
    owner_id: str | None
    deadline: datetime
    fired_at: datetime
    hours_overdue: float
    mrr_at_risk: float | None
    mentions: tuple[str, ...]
    required_actions: tuple[str, ...]
    acked_by: str | None = None
    acked_at: datetime | None = None
    snoozed_by: str | None = None
    snoozed_until: datetime | None = None
    resolved: bool = False  # the item is no longer open (completed, validated or cancelled)

    @property
    def headline(self) -> str:
        label = PRIORITY_LABELS.get(self.priority, self.priority)
        name = LEVEL_NAMES.get(self.level, "")
        return f"{label}: {self.priority} Issue Overdue — Level {self.level} ({name})"
