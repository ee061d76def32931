"""What an extraction preview shows: the rows a document offers and the draft they are kept in.

Plain, frozen data: the extraction service builds it, the Block Kit builders render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from bot.core.errors import UserError


class NothingActionable(UserError):
    """The document was read, and nothing in it is work to track."""

    def __init__(self, source: str, reason: str, *, warnings: tuple[str, ...], done: tuple[str, ...]):
        super().__init__(f"I found nothing to track in {source} — {reason}.")
        self.source, self.reason, self.warnings, self.done = source, reason, warnings, done


@dataclass(frozen=True)
class Row:
    """One item the preview offers, with everything the confirmation will create it from."""

    index: int
    title: str
    priority: str
    priority_reason: str
    kind: str
    owner_written: str | None
    owner_id: str | None
    due: date | None
    due_at: datetime | None  # the written due date, in the reader's time zone (17:00 unless a time was given)
    deadline: datetime  # what the item gets if created now: due_at, or the priority's default
    systems: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    prevention: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    line: int = 0
    section: str = ""
    notes: tuple[str, ...] = ()  # what the reader should know: a due date already past, an unknown owner
    duplicate_of: str | None = None
    duplicate_why: str | None = None
    description: str = ""  # the whole text, when the title had to be cut

    @property
    def checked(self) -> bool:
        """Ticked in the preview unless it duplicates an existing item."""
        return self.duplicate_of is None

    @property
    def uses_default_deadline(self) -> bool:
        return self.due_at is None or self.due_at != self.deadline

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "title": self.title,
            "priority": self.priority,
            "priority_reason": self.priority_reason,
            "kind": self.kind,
            "owner_written": self.owner_written,
            "owner_id": self.owner_id,
            "due": self.due.isoformat() if self.due else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "deadline": self.deadline.isoformat(),
            "systems": list(self.systems),
            "criteria": list(self.criteria),
            "prevention": list(self.prevention),
            "evidence": list(self.evidence),
            "line": self.line,
            "section": self.section,
            "notes": list(self.notes),
            "duplicate_of": self.duplicate_of,
            "duplicate_why": self.duplicate_why,
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}  # a draft kept by an older version
        values["due"] = date.fromisoformat(data["due"]) if data.get("due") else None
        values["due_at"] = datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None
        values["deadline"] = datetime.fromisoformat(data["deadline"])
        for name in ("systems", "criteria", "prevention", "evidence", "notes"):
            values[name] = tuple(data.get(name) or ())
        return cls(**values)


@dataclass(frozen=True)
class Preview:
    """A draft as the preview shows it."""

    draft_id: str
    user_id: str
    source: str
    title: str | None
    incident_id: str | None
    rows: tuple[Row, ...]
    found: int  # items in the document (more than `rows` when over MAX_OFFERED)
    done: tuple[str, ...]  # ticked items: reported, never created
    warnings: tuple[str, ...]
    created_ids: tuple[str, ...] = field(default=())
    used: bool = False
