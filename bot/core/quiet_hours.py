"""Quiet hours: when a direct message to a person may be delivered, in that person's own time zone.

Pure: the caller passes `now`, the person's zone and the configured window.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

QuietWindow = tuple[time, time]


def is_quiet(local: datetime, window: QuietWindow | None, *, weekends: bool) -> bool:
    """True when `local` (a time in the person's zone) falls in quiet hours."""
    if weekends and local.weekday() >= 5:
        return True
    if window is None:
        return False
    start, end = window
    t = local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end  # overnight, e.g. 20:00-08:00


def quiet_until(
    now: datetime, tz: ZoneInfo, window: QuietWindow | None, *, weekends: bool = False
) -> datetime | None:
    """None when a DM may go out at `now`; otherwise the end of the quiet period (aware, UTC).

    Weekends (when held) run from Saturday 00:00 to the end of Monday's quiet morning, in `tz`.
    """
    local = now.astimezone(tz)
    if not is_quiet(local, window, weekends=weekends):
        return None
    t = local
    for _ in range(16):  # a weekend plus two quiet nights at most; bounded against odd settings
        if weekends and t.weekday() >= 5:
            t = datetime.combine(t.date() + timedelta(days=1), time(0), tzinfo=tz)
        else:
            assert window is not None
            candidate = datetime.combine(t.date(), window[1], tzinfo=tz)
            if candidate <= t:
                candidate = datetime.combine(t.date() + timedelta(days=1), window[1], tzinfo=tz)
            t = candidate
        if not is_quiet(t, window, weekends=weekends):
            return t.astimezone(UTC)
    return None


def tomorrow_at(now: datetime, tz: ZoneInfo, at: time) -> datetime:
    """`at` o'clock on the calendar day after `now`'s day in `tz` (aware, UTC)."""
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz).astimezone(UTC)
