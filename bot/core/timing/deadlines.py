"""Deadlines as people type them, read in the typist's own time zone.

Accepted forms (``now`` and the time zone are parameters; the result is an aware UTC datetime):

- ``2025-09-09T11:45``, ``2025-09-09 11:45``, ``2025-09-09T11:45:00Z``, ``2025-09-09T11:45+02:00``
- ``2025-09-09`` (a date alone means 17:00 that day)
- ``today 17:00``, ``tomorrow``, ``tomorrow 9am``, ``tonight``
- ``+4h``, ``+3d``, ``+30m``, ``+2w``, ``in 3 days``
- weekday names: ``friday``, ``fri 12:00``, ``next monday 09:30`` (the next such day after today)
- a time alone: ``17:00`` or ``5pm`` (today)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import UserError
from bot.core.timing.durations import parse_duration

END_OF_DAY = time(17, 0)  # a day given without a time means the end of its working day
DUE_SOON = timedelta(hours=24)  # "due soon": a deadline at most this far ahead
# Instants have microsecond resolution (Python, PostgreSQL, and SQLite as SQLAlchemy stores them), so the
# first instant after `t` is `t + TICK`: "up to and including t" is "before t + TICK".
TICK = timedelta(microseconds=1)
DEADLINE_FORMS = "2025-09-09T11:45, 2025-09-09, today 17:00, tomorrow, +4h, +3d, friday 12:00"

_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_RELATIVE = re.compile(
    r"^(?:\+|in\s+)(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$"
)


@dataclass(frozen=True)
class DueWindow:
    """Deadlines from `start` to `end`, both ends included, as every clock of the bot counts them."""

    start: datetime
    end: datetime

    def __contains__(self, deadline: object) -> bool:
        return isinstance(deadline, datetime) and self.start <= deadline <= self.end

    @property
    def end_exclusive(self) -> datetime:
        """The first instant after the window: the `before` of a storage filter's [from, before) range."""
        return self.end + TICK


def due_soon_window(now: datetime) -> DueWindow:
    """The due-soon window at `now`: deadlines from `now` to `now + DUE_SOON`, both included, so a deadline
    exactly 24 h ahead is due soon on this sweep, not the next. The digest, the due-soon DMs, the status
    view and the Home tab all count it this way. (A deadline before `now` is overdue instead.)"""
    return DueWindow(now, now + DUE_SOON)


def parse_deadline(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Read `text` as a deadline for someone in time zone `tz`. Raises UserError naming the forms."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    raw = re.sub(r"\s+", " ", (text or "").strip().lower())
    if not raw:
        raise UserError("The deadline is empty.", usage=f"--deadline {DEADLINE_FORMS}")
    local_now = now.astimezone(tz)
    try:
        found = _parse(raw, local_now, tz)
        if found is not None:
            found.astimezone(UTC)  # years past 9999 only overflow here
    except (ValueError, OverflowError):
        found = None
    if found is None:
        shown = (text or "").replace("`", "'")[:60].replace("&", "&amp;").replace("<", "&lt;")
        raise UserError(
            f"I could not read `{shown.replace('>', '&gt;')}` as a deadline. Use one of: {DEADLINE_FORMS}."
        )
    return found.astimezone(UTC)


def _parse(raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    m = _RELATIVE.match(raw)
    if m:
        unit = m.group(2)[0]
        return local_now + parse_duration(f"{m.group(1)}{unit}")
    iso = _iso(raw, tz)
    if iso is not None:
        return iso
    words = raw.split(" ")
    day: date | None = None
    rest = words
    if words[0] in ("today", "tonight"):
        day, rest = local_now.date(), words[1:]
        if words[0] == "tonight" and not rest:
            return _at(day, time(20, 0), tz)
    elif words[0] in ("tomorrow", "tmrw", "tmw"):
        day, rest = local_now.date() + timedelta(days=1), words[1:]
    else:
        start = 1 if words[0] == "next" and len(words) > 1 else 0
        if words[start] in _WEEKDAYS:
            wanted = _WEEKDAYS[words[start]]
            ahead = (wanted - local_now.weekday()) % 7 or 7  # the next such day after today
            day, rest = local_now.date() + timedelta(days=ahead), words[start + 1 :]
        elif start:
            return None
    if rest and rest[0] == "at":
        rest = rest[1:]
    clock_text = " ".join(rest)
    if day is None:
        clock = _clock(clock_text)
        return _at(local_now.date(), clock, tz) if clock is not None else None
    if not clock_text:
        return _at(day, END_OF_DAY, tz)
    clock = _clock(clock_text)
    return _at(day, clock, tz) if clock is not None else None


def _iso(raw: str, tz: ZoneInfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        return None
    text = raw.upper().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        return _at(date.fromisoformat(text), END_OF_DAY, tz)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return _at(parsed.date(), parsed.time(), tz)
    return parsed


def _clock(text: str) -> time | None:
    m = _CLOCK.match(text.replace(" ", "") if text.endswith(("am", "pm")) else text)
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if m.group(2) is None and half is None:
        return None  # a bare number such as "17" is too ambiguous
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """`clock` on `day` in `tz` (a wall time skipped or repeated by a DST change takes the earlier offset)."""
    return datetime.combine(day, clock, tzinfo=tz)
