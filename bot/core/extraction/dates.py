"""Due dates as people write them: 2025-10-12, 2025-10-12T17:00, Oct 12, 12 Oct 2025, October 12, 2025.

A date without a year takes `today`'s year; the clock is never read here.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from bot.core.extraction.markup import PLACEHOLDER, strip_markup

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = (
    r"(?:(?:T|\s+(?:at\s+)?|,\s*)(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2}(?:\.\d+)?)?\s*(?P<ap>[ap]\.?m\.?)?"
    r"|\s+(?:at\s+)?(?P<h2>\d{1,2})\s*(?P<ap2>[ap]m)\b)?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})(?![\w]))?"
)
_ISO_DATE = re.compile(r"(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})(?!\d)" + _TIME, re.I)
_MONTH_FIRST = re.compile(
    _WEEKDAY + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<y>\d{4})(?!\d))?" + _TIME, re.I
)
_DAY_FIRST = re.compile(
    _WEEKDAY
    + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTH
    + r"(?![a-z])(?:,?\s+(?P<y>\d{4})(?!\d))?"
    + _TIME,
    re.I,
)
_NUMERIC_DATE = re.compile(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")


class DateError(ValueError):
    """A date-shaped value that is not a real date (2025-02-30, 25:00)."""


@dataclass(frozen=True)
class DateMatch:
    date: datetime.date
    time: datetime.time | None
    end: int
    time_error: str | None = None


def parse_date_at(text: str, pos: int, today: datetime.date) -> DateMatch | None:
    """A date starting exactly at `pos`; a date without a year takes `today`'s year. Raises DateError."""
    for pattern in (_ISO_DATE, _MONTH_FIRST, _DAY_FIRST):
        match = pattern.match(text, pos)
        if match is None:
            continue
        groups = match.groupdict()
        year = int(groups["y"]) if groups.get("y") else today.year
        month = int(groups["mo"]) if groups.get("mo") else _MONTHS[groups["mon"][:3].lower()]
        try:
            day = datetime.date(year, month, int(groups["d"]))
        except ValueError:
            raise DateError(match.group(0).strip()) from None
        if not 2000 <= year <= 2200:
            raise DateError(match.group(0).strip())
        time, time_error = _time_of(groups)
        return DateMatch(day, time, match.end(), time_error)
    return None


def _time_of(groups: dict[str, str | None]) -> tuple[datetime.time | None, str | None]:
    hour_text, minute_text, meridiem = groups.get("h"), groups.get("m"), groups.get("ap")
    if hour_text is None and groups.get("h2"):
        hour_text, minute_text, meridiem = groups["h2"], "0", groups.get("ap2")
    if hour_text is None:
        return None, None
    hour, minute = int(hour_text), int(minute_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None, f"{hour_text}:{minute_text}{meridiem}"
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None, f"{hour_text}:{minute_text}"
    return datetime.time(hour, minute), None


# "Due: …", "deadline …", "ETA …", "(due Oct 12)"; "due to" is prose, never a date.
_DUE_LABEL = re.compile(
    r"(?<![\w-])(?P<label>due(?:[\s-]+date)?(?:\s+(?:by|on))?|deadline|target[\s-]+date|target(?=\s*:)|eta|"
    r"no\s+later\s+than)(?!\s+to\b)\s*(?:\*\*|__)?\s*(?P<colon>[:=]|-(?=\s))?\s*(?:\*\*|__)?\s*",
    re.I,
)
_BY_LABEL = re.compile(r"(?<![\w-])(?:by|before|until)\s+", re.I)
_VALUE_END = re.compile(
    r"\s+[-\u2013\u2014|]\s+|[;|)\]]|,(?!\s*\d{4})|\s+(?:owner|assignee|priority|status|evidence)\b", re.I
)


@dataclass(frozen=True)
class Due:
    date: datetime.date | None
    time: datetime.time | None
    start: int  # where the due phrase starts in the text, for cutting it out of a title
    end: int
    error: str | None  # a value that was labelled as a due date but could not be read


def _value_after(text: str, pos: int) -> str:
    match = _VALUE_END.search(text, pos)
    value = text[pos : match.start() if match else len(text)]
    return strip_markup(value).strip().strip("*_`").strip()[:60]


def find_due(text: str, today: datetime.date) -> Due | None:
    """The first due date written in the text. A labelled value that cannot be read is returned with
    `error` set, so the caller can warn; an unlabelled "by <something>" that is not a date is ignored."""
    for match in _DUE_LABEL.finditer(text):
        pos = match.end()
        try:
            found = parse_date_at(text, pos, today)
        except DateError as exc:
            return Due(None, None, match.start(), pos, str(exc))
        if found is not None:
            error = f"time {found.time_error}" if found.time_error else None
            return Due(found.date, found.time, match.start(), found.end, error)
        if not match.group("colon"):
            continue  # "due Friday" in prose: not a labelled value, nothing to warn about
        value = _value_after(text, pos)
        if value and not PLACEHOLDER.match(value):
            if _NUMERIC_DATE.match(value):
                value = f"{value}' (ambiguous; write 2025-10-12 or Oct 12"
            return Due(None, None, match.start(), pos, value)
    for match in _BY_LABEL.finditer(text):
        try:
            found = parse_date_at(text, match.end(), today)
        except DateError as exc:
            return Due(None, None, match.start(), match.end(), str(exc))
        if found is not None:
            return Due(found.date, found.time, match.start(), found.end, None)
    return None


def parse_due_cell(cell: str, today: datetime.date) -> Due | None:
    """A table's due-date cell: the whole cell should be a date."""
    value = strip_markup(cell).strip().strip("`").strip()
    if not value or PLACEHOLDER.match(value):
        return None
    try:
        found = parse_date_at(value, 0, today)
    except DateError as exc:
        return Due(None, None, 0, len(value), str(exc))
    if found is None:
        labelled = find_due(value, today)
        if labelled is not None:
            return labelled
        return Due(None, None, 0, len(value), value[:60])
    error = f"time {found.time_error}" if found.time_error else None
    return Due(found.date, found.time, 0, found.end, error)
