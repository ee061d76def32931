"""The clock rules, exact: the due-soon window includes both its ends, and quiet hours hold notices, never
pages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.reports.digest import DigestItem, risk_reasons
from bot.core.timing.deadlines import DUE_SOON, TICK, due_soon_window
from bot.core.timing.quiet_hours import QuietHours, is_page

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday
NIGHT = (time(20, 0), time(8, 0))
BERLIN = ZoneInfo("Europe/Berlin")


def _item(deadline: datetime) -> DigestItem:
    return DigestItem(
        id="P1-1", title="Fix it", priority="P1", status="in_progress", owner_id="UBOB", deadline=deadline
    )


def test_the_due_soon_window_includes_both_of_its_ends_and_nothing_past_them():
    window = due_soon_window(NOW)
    assert (window.start, window.end) == (NOW, NOW + DUE_SOON)
    assert NOW in window and NOW + timedelta(hours=24) in window
    assert NOW + timedelta(hours=24) + TICK not in window and NOW - TICK not in window
    # Storage filters take [from, before): the window's end stays in, the next instant does not.
    assert window.end_exclusive == NOW + timedelta(hours=24, microseconds=1)


def test_an_item_due_exactly_24_hours_ahead_is_due_soon_in_the_digest():
    assert risk_reasons(_item(NOW + timedelta(hours=24)), NOW) == ("due in 1d with no progress note in 48 h",)
    assert risk_reasons(_item(NOW + timedelta(hours=24) + TICK), NOW) == ()
    assert risk_reasons(_item(NOW), NOW) == ("due in 0m with no progress note in 48 h",)  # due, not overdue


def test_anything_about_a_p0_is_a_page():
    assert is_page(["P0"]) and is_page(["P2", "P0"])
    assert not is_page(["P1", "P2"]) and not is_page([])


def test_quiet_hours_hold_a_notice_until_they_end_in_the_recipients_zone():
    rule = QuietHours(NIGHT, zone=ZoneInfo("UTC"))
    evening = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    assert rule.hold_until(evening, "Europe/Berlin") == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert rule.hold_until(evening, BERLIN) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert rule.hold_until(NOW, "Europe/Berlin") is None  # 15:00 there
    # Someone whose zone is not known (or not a zone) is in TIMEZONE's.
    assert rule.hold_until(evening, None) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert rule.hold_until(evening, "Mars/Olympus") == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_quiet_hours_that_are_off_hold_nothing():
    assert not QuietHours(None).active
    assert QuietHours(None).hold_until(datetime(2026, 11, 23, 23, 0, tzinfo=UTC), "UTC") is None
    weekends = QuietHours(None, weekends=True)
    assert weekends.active
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert weekends.hold_until(saturday, "UTC") == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
