"""What an extraction preview shows: the rows a document offers and the draft they are kept in.

Plain, frozen data: the extraction service builds it, the Block Kit builders render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, tzinfo
from typing import Any

from bot.core.errors import Checks, UserError
from bot.core.items import rules
from bot.core.timing.durations import PriorityDurations

PAGE = 20  # rows one page of the preview shows (two blocks each: Slack allows 100 per modal)


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
    included: bool | None = None  # ticked or unticked by the person; None: as the preview suggests
    edited: bool = False  # the person changed its title, priority, owner, deadline or kind

    @property
    def checked(self) -> bool:
        """Ticked in the preview unless it duplicates an existing item, or as the person left it."""
        return self.duplicate_of is None if self.included is None else self.included

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
            "included": self.included,
            "edited": self.edited,
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


@dataclass(frozen=True)
class RowChange:
    """What the person typed in a row's edit form (None: left empty)."""

    title: str | None
    priority: str | None
    owner_id: str | None
    due_day: date | None  # None: the priority's default deadline
    kind: str | None


def edit_row(
    row: Row,
    change: RowChange,
    *,
    now: datetime,
    tz: tzinfo,
    policy: PriorityDurations,
    end_of_day: time,
) -> Row:
    """`row` with the person's changes, every problem named by its input (`Invalid`): an empty or too
    long title, a priority or kind that is not one, a deadline that has passed or is too far away. A due
    day is due at `end_of_day` in `tz`; no day means the priority's default deadline from `now`."""
    checks = Checks()
    title = checks("title", rules.clean_title, change.title or "")
    checks.require("priority", change.priority, "Pick a priority.")
    priority = checks("priority", rules.parse_priority, change.priority) if change.priority else None
    checks.require("kind", change.kind, "Pick a kind.")
    kind = checks("kind", _kind, change.kind) if change.kind else None
    due_at = None
    if change.due_day is not None:
        due_at = datetime.combine(change.due_day, end_of_day, tzinfo=tz)
        if due_at <= now:
            checks.problems.setdefault(
                "deadline",
                f"{change.due_day.isoformat()} has passed; pick a later day, or none for the default.",
            )
        else:
            checks("deadline", rules.check_deadline, due_at, now, force=False)
    checks.done()
    assert title is not None and priority is not None and kind is not None
    deadline = due_at if due_at is not None else rules.default_deadline(priority, now, policy).astimezone(tz)
    notes = tuple(n for n in row.notes if not _stale(n, row, change))
    return replace(
        row,
        title=title,
        priority=priority,
        priority_reason=row.priority_reason if priority == row.priority else "set by hand",
        kind=kind,
        owner_id=change.owner_id,
        due=change.due_day,
        due_at=due_at,
        deadline=deadline,
        notes=notes,
        edited=True,
    )


def _kind(text: str) -> str:
    if text not in rules.KINDS:
        raise UserError(f"`{rules.shown(text)}` is not a kind of item; use {', '.join(rules.KINDS)}.")
    return text


def _stale(note: str, row: Row, change: RowChange) -> bool:
    """A note the edit answers: a passed due date once a deadline is set, an unknown owner once one is."""
    if note.startswith("the due date") and change.due_day != row.due:
        return True
    if note.startswith("title shortened") and change.title != row.title:
        return True
    return change.owner_id != row.owner_id and ("owner" in note.lower() or "<@" in note)


def page_of(rows: tuple[Row, ...], page: int) -> tuple[int, tuple[Row, ...]]:
    """The page `page` (clamped to the pages there are) and its rows."""
    pages = max(1, -(-len(rows) // PAGE))
    page = min(max(page, 0), pages - 1)
    return page, rows[page * PAGE : (page + 1) * PAGE]
