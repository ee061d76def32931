"""Quiet hours: when a direct message to a person may be delivered, in that person's own time zone.

The rule, the same for every direct message the bot sends:
- a **notice** (what a person is told about their work: an item assigned to them, taken from them,
  blocked or sent back, items from a document, due soon, overdue) waits, during the recipient's quiet
  hours in their own Slack time zone, for the end of those hours;
- a **page** (the on-call page, anything about a P0) and an **answer** to something the person has just
  done (they are there) go at once, day or night; so do channel posts.
Whoever queues a DM says whether it is a notice (`is_page` decides for messages about items); the sender
applies the rule to every DM just before it goes out (`QuietHours.hold_until`).

Pure: the caller passes `now`, the person's zone and the configured window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

QuietWindow = tuple[time, time]
_UTC = ZoneInfo("UTC")


def is_page(priorities: Iterable[str]) -> bool:
    """True when a message about items of these priorities is a page (one of them is a P0): never held."""
    return any(p == "P0" for p in priorities)


@dataclass(frozen=True)
class QuietHours:
    """The configured quiet hours: `window` every day (None: none) and, with `weekends`, all of Saturday and
    Sunday, each in the person's own zone; `zone` stands in for a person whose zone is not known."""

    window: QuietWindow | None
    weekends: bool = False
    zone: ZoneInfo = _UTC

    @property
    def active(self) -> bool:
        return self.window is not None or self.weekends

    def hold_until(self, now: datetime, zone: str | ZoneInfo | None) -> datetime | None:
        """None when a notice may go out at `now` to someone in `zone` (a zone name, or None when unknown);
        otherwise the end of their quiet hours (aware, UTC)."""
        return quiet_until(now, self._zone(zone), self.window, weekends=self.weekends)

    def _zone(self, zone: str | ZoneInfo | None) -> ZoneInfo:
        if isinstance(zone, ZoneInfo):
            return zone
        try:
            return ZoneInfo(zone) if zone else self.zone
        except (ZoneInfoNotFoundError, ValueError):
            return self.zone


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
