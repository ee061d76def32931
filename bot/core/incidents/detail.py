"""What `/incident show` shows: the incident, its timeline, its action items, and whether it is held open."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.records import IncidentRecord, ItemRecord, TimelineEntry


@dataclass(frozen=True)
class IncidentDetail:
    incident: IncidentRecord
    events: tuple[TimelineEntry, ...]
    items: tuple[ItemRecord, ...]
    held: bool
