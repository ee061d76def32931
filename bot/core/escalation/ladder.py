"""One escalation ladder for every subject: levels that fire once each, at thresholds after a start instant.

A `Ladder` is data: its `Rung`s, in the order they fire, each with a level number, a name, the alert kind
that records it, how long after the start it falls due and who it tells. `due_levels` says which rungs are
due at `now` and have not fired yet (after downtime: every missed one, in order); `next_rung` says which one
comes next and when. Storage keeps one alert per (subject, kind, level), so each rung fires once.

The per-subject rules are the two ladder builders:

- `item_ladder`: an overdue remediation item (the process document's escalation procedures). Level 1
  (standard), Level 2 (management) and Level 3 (executive) fall due the ESCALATION_L*_AFTER times past the
  deadline, per priority; snoozing an alert pushes the levels still to come back by the snoozed time (the
  caller moves the start and passes `hold_until`).
- `incident_ladder`: an incident (the incident response plan). The on-call page (level 1) at the
  initial-response time while it is not acknowledged, Level 2 and Level 3 at their thresholds after
  declaration while it is unresolved, per severity.

Pure: the caller passes `now`, the thresholds and what already fired.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.timing.durations import PriorityDurations, format_duration

# Kinds of alert, each fired at most once per subject and level.
OVERDUE = "overdue"
PAGE = "incident-response"
ESCALATION = "incident-escalation"


@dataclass(frozen=True)
class Rung:
    """One level of a ladder: it falls due `after` the ladder's start and tells `tell`."""

    level: int
    name: str
    kind: str
    after: timedelta
    tell: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ladder:
    """The rungs of one subject, in the order they fire."""

    rungs: tuple[Rung, ...]


@dataclass(frozen=True)
class Due:
    """A rung and the instant it fell (or falls) due."""

    rung: Rung
    due_at: datetime

    @property
    def level(self) -> int:
        return self.rung.level

    @property
    def kind(self) -> str:
        return self.rung.kind

    @property
    def tell(self) -> tuple[str, ...]:
        return self.rung.tell


def due_at(rung: Rung, start: datetime, *, hold_until: datetime | None = None) -> datetime:
    """When `rung` falls due for a ladder started at `start`; never before `hold_until`."""
    due = start + rung.after
    return max(due, hold_until) if hold_until is not None else due


def due_levels(
    ladder: Ladder,
    start: datetime,
    now: datetime,
    fired: Collection[int] = (),
    *,
    hold_until: datetime | None = None,
) -> list[Due]:
    """The rungs due at `now` whose level has not fired yet, in ladder order (after downtime: each missed
    one, so a sweep fires them in order, once each)."""
    out = []
    for rung in ladder.rungs:
        if rung.level in fired:
            continue
        at = due_at(rung, start, hold_until=hold_until)
        if at <= now:
            out.append(Due(rung, at))
    return out


def next_rung(
    ladder: Ladder, start: datetime, fired: Collection[int], *, hold_until: datetime | None = None
) -> Due | None:
    """The first rung whose level has not fired yet and when it falls due, or None when the ladder is done."""
    for rung in ladder.rungs:
        if rung.level not in fired:
            return Due(rung, due_at(rung, start, hold_until=hold_until))
    return None


# --- overdue remediation items ------------------------------------------------------------------------

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


def item_ladder(
    priority: str, *, thresholds: Thresholds, targets: Mapping[int, Iterable[str]] | None = None
) -> Ladder:
    """The overdue-item ladder of `priority`, started at the item's deadline: lowest level first, each
    level that priority reaches, telling the people of every level up to it (`targets`, per level)."""
    return Ladder(
        tuple(
            Rung(
                level=level,
                name=LEVEL_NAMES.get(level, f"Level {level}"),
                kind=OVERDUE,
                after=thresholds[level][priority],
                tell=tuple(mentions_for(level, None, targets or {})),
            )
            for level in sorted(thresholds)
            if priority in thresholds[level]
        )
    )


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
    """The item levels due at `now` that have not fired yet, lowest first (after downtime: each missed one);
    `delay` is how far snoozes pushed the ladder back, `not_before` the end of the latest snooze."""
    ladder = item_ladder(priority, thresholds=thresholds)
    return [d.level for d in due_levels(ladder, deadline + delay, now, fired, hold_until=not_before)]


def next_level(
    *,
    priority: str,
    deadline: datetime,
    thresholds: Thresholds,
    fired: Collection[int],
    delay: timedelta = timedelta(0),
    not_before: datetime | None = None,
) -> tuple[int, datetime] | None:
    """The lowest item level still to fire and when, or None when the ladder is done for this item."""
    ladder = item_ladder(priority, thresholds=thresholds)
    upcoming = next_rung(ladder, deadline + delay, fired, hold_until=not_before)
    return (upcoming.level, upcoming.due_at) if upcoming is not None else None


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


# --- incidents ----------------------------------------------------------------------------------------

INCIDENT_LEVEL_NAMES = {1: "On-call page", 2: "Level 2 escalation", 3: "Level 3 escalation"}


def incident_ladder(
    severity: str,
    *,
    response: PriorityDurations,
    escalation: Mapping[int, PriorityDurations],
    page: bool,
    targets: Mapping[int, Iterable[str]] | None = None,
) -> Ladder:
    """The incident ladder of `severity`, started at declaration, in the order its rungs fall due:

    - the on-call page (level 1) at the initial-response time, when `page` (nobody acknowledged yet);
    - Level 2 and Level 3 at their thresholds (acknowledging does not stop them; resolving does, by the
      caller no longer asking). A severity missing from a clock has no such rung (e.g. P2 never escalates).
    `targets` says who each level tells (level 1: the on-call).
    """
    tell = targets or {}
    rungs = []
    if page and (respond := response.get(severity)) is not None:
        rungs.append(Rung(1, INCIDENT_LEVEL_NAMES[1], PAGE, respond, tuple(tell.get(1, ()))))
    for level in sorted(escalation):
        if (after := escalation[level].get(severity)) is not None:
            name = INCIDENT_LEVEL_NAMES.get(level, f"Level {level} escalation")
            rungs.append(Rung(level, name, ESCALATION, after, tuple(tell.get(level, ()))))
    return Ladder(tuple(sorted(rungs, key=lambda r: (r.after, r.level))))
