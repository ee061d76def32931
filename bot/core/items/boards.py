"""What lists, the status view, the Home tab and due-soon reminders show: plain, frozen data.

The item services fill them from the stores (as `ItemRecord`s); the Block Kit builders render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.records import ItemRecord


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, how many match in all, and where the page starts."""

    items: tuple[ItemRecord, ...]
    total: int
    offset: int = 0


@dataclass(frozen=True)
class Section:
    """At most a few items of one kind, and how many there are in all."""

    items: tuple[ItemRecord, ...]
    total: int


@dataclass(frozen=True)
class StatusBoard:
    """The daily status view of the process document: finished today, in progress, blocked or at risk,
    alerts; optionally every overdue and upcoming item."""

    day_start: datetime
    completed_today: Section
    in_progress: Section
    at_risk: Section
    due_soon: int
    overdue_by_priority: dict[str, int]
    overdue: Section | None = None
    upcoming: Section | None = None


@dataclass(frozen=True)
class HomeData:
    """What a person's Home tab shows. Each section holds at most `limit` items and the full count."""

    user_id: str
    overdue: Section
    due_soon: Section
    later: Section
    to_validate: Section
    reported: Section
    team_open: dict[str, int] = field(default_factory=dict)
    team_overdue: int = 0
    team_blocked: int = 0
    team_to_validate: int = 0


@dataclass(frozen=True)
class DueSoon:
    """An item a due-soon reminder names."""

    item_id: str
    title: str
    priority: str
    status: str
    owner_id: str
    deadline: datetime
