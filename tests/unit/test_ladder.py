"""The one escalation ladder: rungs fall due after a start instant, once each, missed ones in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.escalation.ladder import (
    ESCALATION,
    OVERDUE,
    PAGE,
    Due,
    Ladder,
    Rung,
    due_levels,
    incident_ladder,
    item_ladder,
    next_rung,
)
from bot.core.timing.durations import parse_priority_durations

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)

LADDER = Ladder(
    (
        Rung(1, "first", "test", 1 * H, ("UONE",)),
        Rung(2, "second", "test", 4 * H, ("UTWO",)),
        Rung(3, "third", "test", 8 * H),
    )
)


def levels(due: list[Due]) -> list[int]:
    return [d.level for d in due]


def test_nothing_is_due_before_the_first_threshold_and_each_rung_falls_due_at_its_own():
    assert due_levels(LADDER, START, START + 59 * timedelta(minutes=1)) == []
    assert due_levels(LADDER, START, START + H) == [Due(LADDER.rungs[0], START + H)]
    assert levels(due_levels(LADDER, START, START + 4 * H)) == [1, 2]


def test_after_downtime_every_missed_rung_is_due_in_order_each_with_its_own_instant():
    due = due_levels(LADDER, START, START + 100 * H)
    assert [(d.level, d.due_at) for d in due] == [(1, START + H), (2, START + 4 * H), (3, START + 8 * H)]
    assert due[0].tell == ("UONE",) and due[0].kind == "test"


def test_a_fired_level_is_never_due_again():
    assert levels(due_levels(LADDER, START, START + 100 * H, fired={1})) == [2, 3]
    assert due_levels(LADDER, START, START + 100 * H, fired={1, 2, 3}) == []


def test_a_sweep_that_fires_what_is_due_leaves_nothing_for_the_next_sweep():
    fired: set[int] = set()
    fired.update(levels(due_levels(LADDER, START, START + 5 * H, fired)))
    assert fired == {1, 2}
    assert due_levels(LADDER, START, START + 5 * H, fired) == []
    assert levels(due_levels(LADDER, START, START + 9 * H, fired)) == [3]


def test_a_later_start_and_a_hold_push_the_rungs_back():
    assert due_levels(LADDER, START + 2 * H, START + 5 * H, fired={1}) == []
    assert levels(due_levels(LADDER, START + 2 * H, START + 6 * H, fired={1})) == [2]
    held = START + 6 * H
    assert due_levels(LADDER, START, START + 5 * H, fired={1}, hold_until=held) == []
    assert due_levels(LADDER, START, held, fired={1}, hold_until=held) == [Due(LADDER.rungs[1], held)]


def test_next_rung_is_the_first_not_fired_and_says_when():
    assert next_rung(LADDER, START, set()) == Due(LADDER.rungs[0], START + H)
    assert next_rung(LADDER, START, {1}) == Due(LADDER.rungs[1], START + 4 * H)
    assert next_rung(LADDER, START, {1, 2}, hold_until=START + 10 * H) == Due(LADDER.rungs[2], START + 10 * H)
    assert next_rung(LADDER, START, {1, 2, 3}) is None


def test_the_item_ladder_is_built_from_the_thresholds_of_its_priority():
    thresholds = {
        1: parse_priority_durations("P0=4h,P1=12h"),
        2: parse_priority_durations("P0=8h,P1=24h"),
        3: parse_priority_durations("P0=24h"),
    }
    targets = {1: ["ULEAD"], 2: ["UMGR", "ULEAD"], 3: ["S0EXEC"]}
    p0 = item_ladder("P0", thresholds=thresholds, targets=targets)
    assert [(r.level, r.kind, r.after) for r in p0.rungs] == [
        (1, OVERDUE, 4 * H),
        (2, OVERDUE, 8 * H),
        (3, OVERDUE, 24 * H),
    ]
    assert [r.name for r in p0.rungs] == [
        "Standard escalation",
        "Management escalation",
        "Executive escalation",
    ]
    # Each level tells the people of every level up to it, once each.
    assert [r.tell for r in p0.rungs] == [("ULEAD",), ("ULEAD", "UMGR"), ("ULEAD", "UMGR", "S0EXEC")]
    assert [r.level for r in item_ladder("P1", thresholds=thresholds).rungs] == [1, 2]
    assert item_ladder("P3", thresholds=thresholds).rungs == ()


CLOCKS = {
    "response": parse_priority_durations("P0=5m,P1=15m,P2=1h"),
    "escalation": {2: parse_priority_durations("P0=15m,P1=1h"), 3: parse_priority_durations("P0=30m,P1=2h")},
}
M = timedelta(minutes=1)


def test_the_incident_ladder_pages_first_then_escalates_per_severity():
    ladder = incident_ladder("P0", **CLOCKS, page=True, targets={1: ["UONCALL"], 2: ["UEM"], 3: ["UCTO"]})
    assert [(r.level, r.kind, r.after, r.tell) for r in ladder.rungs] == [
        (1, PAGE, 5 * M, ("UONCALL",)),
        (2, ESCALATION, 15 * M, ("UEM",)),
        (3, ESCALATION, 30 * M, ("UCTO",)),
    ]
    assert [r.level for r in incident_ladder("P0", **CLOCKS, page=False).rungs] == [2, 3]
    assert [r.level for r in incident_ladder("P2", **CLOCKS, page=True).rungs] == [1]
    assert incident_ladder("P3", **CLOCKS, page=True).rungs == ()


def test_incident_rungs_fire_in_the_order_they_fall_due_even_when_a_page_comes_late():
    slow_page = {**CLOCKS, "response": parse_priority_durations("P1=90m")}
    ladder = incident_ladder("P1", **slow_page, page=True)
    assert [r.level for r in ladder.rungs] == [2, 1, 3]
    assert levels(due_levels(ladder, START, START + 3 * H)) == [2, 1, 3]
