"""The escalation ladder and quiet hours as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import parse_clock_time
from bot.core.escalation.ladder import (
    earliest_threshold,
    hours_overdue,
    levels_to_fire,
    mentions_for,
    next_level,
    required_actions,
)
from bot.core.timing.durations import parse_priority_durations
from bot.core.timing.quiet_hours import is_quiet, quiet_until, tomorrow_at

THRESHOLDS = {
    1: parse_priority_durations("P0=4h,P1=12h,P2=48h"),
    2: parse_priority_durations("P0=8h,P1=24h"),
    3: parse_priority_durations("P0=24h"),
}
DEADLINE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _due(priority: str, hours: float, **kw) -> list[int]:
    return levels_to_fire(
        priority=priority,
        deadline=DEADLINE,
        now=DEADLINE + timedelta(hours=hours),
        thresholds=THRESHOLDS,
        **kw,
    )


@pytest.mark.parametrize(
    ("priority", "hours", "levels"),
    [
        ("P0", 3.9, []),
        ("P0", 4, [1]),
        ("P0", 9, [1, 2]),
        ("P0", 25, [1, 2, 3]),
        ("P1", 11, []),
        ("P1", 12, [1]),
        ("P1", 100, [1, 2]),
        ("P2", 47, []),
        ("P2", 48, [1]),
        ("P2", 1000, [1]),
        ("P3", 10_000, []),
    ],
)
def test_levels_fall_due_at_the_documented_thresholds(priority, hours, levels):
    assert _due(priority, hours) == levels


def test_fired_levels_are_not_due_again_and_missed_ones_come_in_order():
    assert _due("P0", 25, fired={1}) == [2, 3]
    assert _due("P0", 25, fired={1, 2, 3}) == []


def test_a_snooze_pushes_the_levels_still_to_come_back():
    assert _due("P0", 9, fired={1}, delay=timedelta(hours=2)) == []
    assert _due("P0", 10, fired={1}, delay=timedelta(hours=2)) == [2]
    until = DEADLINE + timedelta(hours=20)
    assert _due("P0", 19, fired={1}, not_before=until) == []
    assert _due("P0", 20, fired={1}, not_before=until) == [2]


def test_next_level_says_which_and_when():
    assert next_level(priority="P0", deadline=DEADLINE, thresholds=THRESHOLDS, fired={1}) == (
        2,
        DEADLINE + timedelta(hours=8),
    )
    assert next_level(priority="P2", deadline=DEADLINE, thresholds=THRESHOLDS, fired={1}) is None


def test_earliest_threshold_per_priority_bounds_the_query():
    assert earliest_threshold(THRESHOLDS) == {
        "P0": timedelta(hours=4),
        "P1": timedelta(hours=12),
        "P2": timedelta(hours=48),
    }


def test_each_level_mentions_the_owner_and_everyone_up_to_it_once():
    targets = {1: ["ULEAD"], 2: ["UMGR", "ULEAD"], 3: ["S0EXEC"]}
    assert mentions_for(1, "UOWNER", targets) == ["UOWNER", "ULEAD"]
    assert mentions_for(2, "UOWNER", targets) == ["UOWNER", "ULEAD", "UMGR"]
    assert mentions_for(3, None, targets) == ["ULEAD", "UMGR", "S0EXEC"]


def test_required_actions_follow_the_template_and_name_the_next_level():
    now = DEADLINE + timedelta(hours=4, minutes=12)
    actions = required_actions(1, (2, DEADLINE + timedelta(hours=8)), now)
    assert actions[:2] == ["Immediate status update", "Resource needs assessment"]
    assert actions[-1] == "Escalation to Level 2 (engineering management) in 3h 48m if not resolved"
    assert "Escalation" not in required_actions(3, None, now)[-1]
    assert hours_overdue(DEADLINE, now) == 4.2


# --- quiet hours -----------------------------------------------------------------------------------

NIGHT = (parse_clock_time("20:00"), parse_clock_time("08:00"))
BERLIN = ZoneInfo("Europe/Berlin")


def test_outside_quiet_hours_nothing_is_held():
    assert quiet_until(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), BERLIN, NIGHT) is None  # 13:00 Berlin


def test_a_dm_at_night_waits_for_the_morning_in_the_persons_zone():
    evening = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 22:00 Berlin
    assert quiet_until(evening, BERLIN, NIGHT) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    small_hours = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 03:00 Berlin
    assert quiet_until(small_hours, BERLIN, NIGHT) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    tokyo = ZoneInfo("Asia/Tokyo")  # the same instant is 06:00 in Tokyo: held until 08:00 there
    assert quiet_until(evening, tokyo, NIGHT) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


def test_quiet_weekends_hold_until_monday_morning():
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert quiet_until(saturday, BERLIN, NIGHT, weekends=False) is None
    assert quiet_until(saturday, BERLIN, NIGHT, weekends=True) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert quiet_until(saturday, BERLIN, None, weekends=True) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


def test_a_daytime_window_and_daylight_saving_time():
    lunch = (time(12, 0), time(13, 0))
    assert is_quiet(datetime(2026, 11, 23, 12, 30), lunch, weekends=False)
    assert not is_quiet(datetime(2026, 11, 23, 13, 0), lunch, weekends=False)
    # The night the clocks go forward in Berlin (29 March 2026): 08:00 CEST is 06:00 UTC.
    night = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert quiet_until(night, BERLIN, NIGHT) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_tomorrow_morning_in_the_owners_zone():
    new_york = ZoneInfo("America/New_York")
    monday_9am_ny = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert tomorrow_at(monday_9am_ny, new_york, time(9)) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
