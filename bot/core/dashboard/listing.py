"""The item list's filters read from a query string, the links that reproduce them, and CSV cells.

A filter is read leniently but never guessed: an unknown priority, status or sort is an error the page
shows next to the form (and lists nothing), not a silently wider list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from bot.core.items.lifecycle import OPEN_STATUSES, STATUSES
from bot.core.timing.durations import PRIORITIES

PAGE_SIZE = 50
DATE_FIELDS = ("created", "deadline", "completed", "validated")
SORTS = ("deadline", "priority", "id", "title", "status", "owner", "created", "completed", "mrr")
STATUS_GROUPS = {"open": OPEN_STATUSES, "done": ("completed", "validated")}
NOBODY = "none"  # the owner filter's value for items nobody owns
CSV_COLUMNS = (
    "id",
    "title",
    "priority",
    "status",
    "owner",
    "deadline",
    "created",
    "completed",
    "validated",
    "incident",
    "systems",
    "mrr_at_risk",
)


@dataclass(frozen=True)
class ListFilter:
    priorities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # as asked: statuses or the groups "open" and "done"
    owner: str = ""  # a user id, NOBODY, or "" for anyone
    system: str = ""
    incident: str = ""
    date_field: str = "created"
    date_from: str = ""  # as typed: 2026-11-23 or an ISO instant
    date_to: str = ""
    overdue: bool = False
    sort: str = "deadline"
    descending: bool = False
    page: int = 1
    errors: tuple[str, ...] = field(default=(), compare=False)

    @property
    def exact_statuses(self) -> tuple[str, ...]:
        out: list[str] = []
        for s in self.statuses:
            out.extend(STATUS_GROUPS.get(s, (s,)))
        return tuple(dict.fromkeys(out))

    def params(self, **changes: object) -> list[tuple[str, str]]:
        """The query string pairs of this filter (with `changes`), defaults left out."""
        f = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        out: list[tuple[str, str]] = [("priority", p) for p in f.priorities]
        out += [("status", s) for s in f.statuses]
        for key, value, default in (
            ("owner", f.owner, ""),
            ("system", f.system, ""),
            ("incident", f.incident, ""),
            ("date", f.date_field, "created"),
            ("from", f.date_from, ""),
            ("to", f.date_to, ""),
            ("sort", f.sort, "deadline"),
        ):
            if value != default:
                out.append((key, value))
        if f.overdue:
            out.append(("overdue", "1"))
        if f.descending:
            out.append(("dir", "desc"))
        if f.page != 1:
            out.append(("page", str(f.page)))
        return out

    def query(self, **changes: object) -> str:
        return urlencode(self.params(**changes))

    def sorted_by(self, key: str) -> str:
        """The query string that sorts by `key` (the other way round when already sorted by it)."""
        return self.query(sort=key, descending=not self.descending if self.sort == key else False, page=1)


def _first(params: Mapping[str, Sequence[str]], key: str) -> str:
    values = params.get(key) or ()
    return values[0].strip() if values else ""


def _words(params: Mapping[str, Sequence[str]], key: str) -> list[str]:
    out: list[str] = []
    for value in params.get(key) or ():
        out.extend(w for w in value.replace(",", " ").split() if w)
    return out


def parse_instant(text: str, *, end: bool = False) -> datetime | None:
    """2026-11-23 (midnight UTC; with `end`, the midnight after it, so the day is included) or an ISO
    instant (naive taken as UTC). None for empty; ValueError for anything else."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        instant = datetime.fromisoformat(
            text.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in text else text
        )
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def parse_filter(params: Mapping[str, Sequence[str]]) -> ListFilter:
    errors: list[str] = []
    priorities = [p.upper() for p in _words(params, "priority")]
    for p in priorities:
        if p not in PRIORITIES:
            errors.append(f"“{p}” is not a priority (P0 to P3).")
    statuses = [s.lower() for s in _words(params, "status")]
    for s in statuses:
        if s not in STATUSES and s not in STATUS_GROUPS:
            errors.append(f"“{s}” is not a status.")
    date_field = _first(params, "date").lower() or "created"
    if date_field not in DATE_FIELDS:
        errors.append(f"“{date_field}” is not a date to filter on ({', '.join(DATE_FIELDS)}).")
        date_field = "created"
    date_from, date_to = _first(params, "from"), _first(params, "to")
    for label, text in (("From", date_from), ("To", date_to)):
        try:
            parse_instant(text)
        except ValueError:
            errors.append(f"{label}: “{text}” is not a date (YYYY-MM-DD).")
    sort = _first(params, "sort").lower() or "deadline"
    if sort not in SORTS:
        errors.append(f"“{sort}” is not a column to sort by.")
        sort = "deadline"
    try:
        page = max(1, int(_first(params, "page") or 1))
    except ValueError:
        page = 1
    return ListFilter(
        priorities=tuple(p for p in dict.fromkeys(priorities) if p in PRIORITIES),
        statuses=tuple(s for s in dict.fromkeys(statuses) if s in STATUSES or s in STATUS_GROUPS),
        owner=_first(params, "owner"),
        system=_first(params, "system")[:100],
        incident=_first(params, "incident").upper()[:32],
        date_field=date_field,
        date_from=date_from[:40],
        date_to=date_to[:40],
        overdue=_first(params, "overdue").lower() in ("1", "true", "on", "yes"),
        sort=sort,
        descending=_first(params, "dir").lower() == "desc",
        page=min(page, 1_000_000),
        errors=tuple(errors),
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: anything that would start a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
