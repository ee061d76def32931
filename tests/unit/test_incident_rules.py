"""The pure incident rules: ids, parsing, channel names, and what is due when."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.errors import UserError
from bot.core.incidents import rules

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CLOCKS = rules.IncidentClocks.parse(
    response="P0=5m,P1=15m,P2=1h,P3=4h",
    update="P0=15m,P1=30m,P2=24h,P3=7d",
    resolution="P0=1h,P1=4h,P2=24h,P3=7d",
    monitoring="P0=24h,P1=8h,P2=4h,P3=1h",
    level2="P0=15m,P1=1h",
    level3="P0=30m,P1=2h",
)


@dataclass(frozen=True)
class Inc:
    severity: str = "P0"
    status: str = "investigating"
    started_at: datetime = T0
    declared_at: datetime = T0
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    monitoring_until: datetime | None = None
    next_update_due: datetime | None = T0 + timedelta(minutes=15)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- ids and parsing -----------------------------------------------------------------------------------


def test_incident_ids_follow_the_naming_convention():
    assert rules.incident_id(date(2025, 10, 10), 1) == "INC-20251010-001"
    assert rules.incident_id(date(2025, 10, 10), 1234) == "INC-20251010-1234"
    assert rules.sequence_key(date(2025, 10, 10)) == "incident:20251010"
    assert rules.parse_incident_id(" inc-20251010-001 ") == "INC-20251010-001"


@pytest.mark.parametrize("bad", ["", "INC-2025-001", "P0-20251010-001", "INC-20251010-1", "hello"])
def test_a_malformed_id_is_refused_with_the_expected_form(bad):
    with pytest.raises(UserError, match="INC-20251010-001"):
        rules.parse_incident_id(bad)


def test_statuses_accept_any_case_and_a_clear_prefix():
    assert rules.parse_status("Mitigating") == "mitigating"
    assert rules.parse_status("monit") == "monitoring"
    assert rules.parse_status("RESOLVED") == "resolved"
    with pytest.raises(UserError, match="investigating, identified, mitigating, monitoring, resolved"):
        rules.parse_status("fixed")
    with pytest.raises(UserError, match="is not a status"):
        rules.parse_status("i")  # too short to be a clear prefix
    with pytest.raises(UserError, match="/incident close"):
        rules.parse_status("closed")


def test_update_arguments_with_flags_and_unquoted_text():
    args = rules.parse_update_args(
        ["INC-20251010-001", "mitigating", "Rolled", "back", "42", "--next", "30m", "--eta", "16:00"]
    )
    assert args.incident_id == "INC-20251010-001"
    assert args.status == "mitigating"
    assert args.text == "Rolled back 42"
    assert args.next_in == timedelta(minutes=30)
    assert args.eta == "16:00"
    with pytest.raises(UserError, match="what changed"):
        rules.parse_update_args(["INC-20251010-001", "mitigating"])
    with pytest.raises(UserError, match="not an option"):
        rules.parse_update_args(["INC-20251010-001", "mitigating", "x", "--soon", "1"])
    with pytest.raises(UserError, match="not a duration"):
        rules.parse_update_args(["INC-20251010-001", "mitigating", "x", "--next", "soon"])


def test_titles_users_affected_severity_and_people():
    assert rules.clean_title("  API   down ") == "API down"
    with pytest.raises(UserError, match="title"):
        rules.clean_title("   ")
    with pytest.raises(UserError, match="200"):
        rules.clean_title("x" * 201)
    assert rules.parse_users_affected("1,200") == 1200
    assert rules.parse_users_affected("") is None
    with pytest.raises(UserError, match="whole number"):
        rules.parse_users_affected("lots")
    assert rules.parse_severity("p1") == "P1"
    with pytest.raises(UserError, match="P0, P1, P2 or P3"):
        rules.parse_severity("P5")
    assert rules.parse_user("<@UBOB|bob>") == "UBOB"
    assert rules.parse_user("UBOB") == "UBOB"
    with pytest.raises(UserError, match="mention them"):
        rules.parse_user("@bob")


def test_channel_names_respect_slacks_naming_rules():
    assert rules.channel_name("INC-20251010-001", "API outage!") == "inc-20251010-001-api-outage"
    assert (
        rules.channel_name("INC-20251010-001", "Ünïcode / CAPS & spaces")
        == "inc-20251010-001-unicode-caps-spaces"
    )
    assert rules.channel_name("INC-20251010-001", "!!!") == "inc-20251010-001"
    long = rules.channel_name("INC-20251010-001", "word " * 40)
    assert len(long) <= 80 and not long.endswith("-")
    for name in (long, rules.channel_name("INC-20251010-002", "a_b--c")):
        assert all(c.islower() or c.isdigit() or c in "-_" for c in name)


# --- what is due ---------------------------------------------------------------------------------------


def test_an_unacknowledged_p0_pages_at_5_minutes_then_escalates_at_15_and_30():
    inc = Inc()
    assert rules.due_alerts(inc, at(4.9), CLOCKS) == []
    assert [(a.kind, a.level) for a in rules.due_alerts(inc, at(5), CLOCKS)] == [(rules.PAGE, 1)]
    assert [a.level for a in rules.due_alerts(inc, at(15), CLOCKS)] == [1, 2]
    due = rules.due_alerts(inc, at(31), CLOCKS)
    assert [(a.kind, a.level, a.due_at) for a in due] == [
        (rules.PAGE, 1, at(5)),
        (rules.ESCALATION, 2, at(15)),
        (rules.ESCALATION, 3, at(30)),
    ]


def test_acknowledging_stops_the_page_but_not_escalation_of_an_unresolved_incident():
    inc = Inc(acknowledged_at=at(2))
    assert [a.level for a in rules.due_alerts(inc, at(40), CLOCKS)] == [2, 3]


def test_resolved_or_closed_incidents_fire_nothing_and_p2_never_escalates():
    assert rules.due_alerts(Inc(status="resolved"), at(300), CLOCKS) == []
    assert rules.due_alerts(Inc(status="closed"), at(300), CLOCKS) == []
    p2 = Inc(severity="P2")
    assert [a.level for a in rules.due_alerts(p2, at(60 * 24), CLOCKS)] == [1]


def test_p1_thresholds():
    inc = Inc(severity="P1", acknowledged_at=at(1))
    assert rules.due_alerts(inc, at(59), CLOCKS) == []
    assert [a.level for a in rules.due_alerts(inc, at(60), CLOCKS)] == [2]
    assert [a.level for a in rules.due_alerts(inc, at(120), CLOCKS)] == [2, 3]


def test_missed_update_intervals_are_keyed_once_each():
    inc = Inc()  # due at 14:15, cadence 15m
    assert rules.missed_update_interval(inc, at(14), CLOCKS) is None
    assert rules.missed_update_interval(inc, at(15), CLOCKS) == at(15)
    assert rules.missed_update_interval(inc, at(29), CLOCKS) == at(15)
    assert rules.missed_update_interval(inc, at(30), CLOCKS) == at(30)
    # After downtime: one key for the interval we are in, not one per missed interval.
    assert rules.missed_update_interval(inc, at(100), CLOCKS) == at(90)
    assert rules.missed_update_interval(replace(inc, status="resolved"), at(100), CLOCKS) is None
    assert rules.missed_update_interval(replace(inc, next_update_due=None), at(100), CLOCKS) is None


def test_next_update_uses_the_cadence_or_the_override():
    assert CLOCKS.next_update("P0", T0) == at(15)
    assert CLOCKS.next_update("P2", T0) == T0 + timedelta(hours=24)
    assert CLOCKS.next_update("P0", T0, timedelta(minutes=45)) == at(45)


def test_monitoring_and_the_close_out_rule():
    inc = Inc(status="resolved", resolved_at=at(60), monitoring_until=at(60 + 24 * 60))
    assert not rules.monitoring_over(inc, at(60 + 24 * 60 - 1))
    assert rules.monitoring_over(inc, at(60 + 24 * 60))
    assert CLOCKS.monitoring_for("P3") == timedelta(hours=1)
    assert rules.close_out_blocked("P0", has_preventative_item=False, waiver_reason=None)
    assert rules.close_out_blocked("P1", has_preventative_item=False, waiver_reason="  ")
    assert not rules.close_out_blocked("P1", has_preventative_item=True, waiver_reason=None)
    assert not rules.close_out_blocked("P0", has_preventative_item=False, waiver_reason="drill")
    assert not rules.close_out_blocked("P2", has_preventative_item=False, waiver_reason=None)


def test_storage_filters_by_the_same_statuses_and_severities():
    from storage import incidents as store

    assert store.ACTIVE_STATUSES == rules.ACTIVE_STATUSES
    assert store.CLOSE_OUT_SEVERITIES == rules.CLOSE_OUT_SEVERITIES


def test_measures():
    m = rules.measures(
        started_at=T0, acknowledged_at=at(3), mitigated_at=at(20), resolved_at=at(60), now=at(90)
    )
    assert (m.duration, m.to_acknowledge, m.to_mitigate, m.to_resolve) == (
        timedelta(hours=1),
        timedelta(minutes=3),
        timedelta(minutes=20),
        timedelta(hours=1),
    )
    open_one = rules.measures(
        started_at=T0, acknowledged_at=None, mitigated_at=None, resolved_at=None, now=at(90)
    )
    assert open_one.duration == timedelta(minutes=90) and open_one.to_acknowledge is None
