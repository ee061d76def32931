"""The values the extractor returns: frozen, plain data a Slack preview can render directly."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

PRIORITIES = ("P0", "P1", "P2", "P3")
KINDS = ("corrective", "preventative", "detective")


@dataclass(frozen=True)
class ExtractedItem:
    """One actionable line of an analysis document, with what could be read around it."""

    title: str
    priority: str  # "P0".."P3"
    priority_reason: str  # "explicit P0", "word 'critical'", "document severity P1", "default", ...
    kind: str  # "corrective" | "preventative" | "detective"
    owner: str | None  # as written: "@alice", "Alice Smith", "<@U123>"
    owner_user_id: str | None  # from <@U…> or a known_users match
    due: datetime.date | None
    due_time: datetime.time | None  # only when a time of day was written
    systems: tuple[str, ...]
    success_criteria: tuple[str, ...]
    prevention: tuple[str, ...]
    evidence: tuple[str, ...]
    done: bool
    line: int  # 1-based, in the newline-normalised source
    section: str  # nearest heading (or heading-like label), "" if none
    # The item's full text when the title had to be shortened (cut at a word, ending in "…"), else "".
    description: str = ""


@dataclass(frozen=True)
class Extraction:
    """Everything read from one document."""

    items: tuple[ExtractedItem, ...]  # actionable and not yet done
    done: tuple[ExtractedItem, ...]  # ticked items: reported, never created
    warnings: tuple[str, ...]  # "line 42: could not read due date 'next sprint'"
    title: str | None  # the document's first heading
    severity: str | None  # the document's stated severity as P0..P3
    nothing_actionable_reason: str | None  # set exactly when items is empty


class DocumentError(ValueError):
    """The pasted document cannot be read; the message says what is wrong and what is accepted."""
