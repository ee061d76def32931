"""Digest composition and weekly KPIs as pure rules, and their Block Kit within Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.escalation.ladder import AlertView
from bot.core.reports.digest import DigestIncident, DigestItem, compose_digest, risk_reasons
from bot.core.reports.weekly import (
    DeadlineItem,
    ResolvedItem,
    TrendPoint,
    ValidatedItem,
    compute_kpis,
    trend_arrow,
    week_starting,
    wins_and_gaps,
)
from bot.slack.blocks.alerts import alert_message
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.report import weekly_report_message
from tests.fakes.blockkit_limits import validate_blocks

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> pwned & " + "long " * 60


def _item(n: int, *, hours: float = 72, status: str = "in_progress", **kw) -> DigestItem:
    return DigestItem(
        id=f"P1-20261120-{n:03d}",
        title=kw.pop("title", f"Item {n}"),
        priority=kw.pop("priority", "P1"),
        status=status,
        owner_id="UALICE",
        deadline=NOW + timedelta(hours=hours),
        **kw,
    )


# --- digest --------------------------------------------------------------------------------------


def test_risk_reasons():
    assert risk_reasons(_item(1, status="blocked", status_reason="no access"), NOW) == ("blocked: no access",)
    assert risk_reasons(_item(2, hours=-5), NOW) == ("overdue by 5h",)
    assert risk_reasons(_item(3, hours=10), NOW) == ("due in 10h with no progress note in 48 h",)
    assert risk_reasons(_item(4, hours=10, last_progress_at=NOW - timedelta(hours=47)), NOW) == ()
    assert risk_reasons(_item(5, hours=30), NOW) == ()


def test_compose_places_each_open_item_once_most_urgent_first():
    at_risk = [_item(3, hours=10), _item(2, hours=-5), _item(1, status="blocked")]
    steady = [_item(5, hours=30), _item(4, hours=10, last_progress_at=NOW), _item(3, hours=10)]
    d = compose_digest(
        day=NOW.date(),
        now=NOW,
        completed=[],
        completed_total=0,
        open_items=steady,
        in_progress_total=2,
        at_risk_items=at_risk,
        at_risk_total=3,
        incidents=[],
        incidents_total=0,
        due_soon=2,
        overdue_by_priority={"P1": 1, "P2": 2},
    )
    assert [r.item.id[-1] for r in d.at_risk.entries] == ["2", "1", "3"]
    assert [i.id[-1] for i in d.in_progress.entries] == ["4", "5"]
    assert d.alert_lines() == ["2 items due within 24 hours", "3 items overdue (P1: 1, P2: 2)"]
    assert not d.nothing_open


def _big_digest(n: int) -> object:
    items = [_item(100 + i, hours=30 + i, title=HOSTILE) for i in range(n)]
    risky = [_item(i, hours=-i - 1, title=HOSTILE, status="blocked", status_reason=HOSTILE) for i in range(n)]
    done = [_item(i, status="validated", completed_at=NOW, validated_at=NOW, title=HOSTILE) for i in range(n)]
    incidents = [
        DigestIncident(
            f"INC-20261123-{i:03d}", HOSTILE, "P1", "mitigating", "UBOB", NOW, held_open=i % 2 == 0
        )
        for i in range(n)
    ]
    return compose_digest(
        day=NOW.date(),
        now=NOW,
        completed=done,
        completed_total=500,
        open_items=items,
        in_progress_total=4000,
        at_risk_items=risky,
        at_risk_total=900,
        incidents=incidents,
        incidents_total=70,
        due_soon=12,
        overdue_by_priority={"P0": 3},
    )


def test_the_digest_fits_slacks_limits_and_counts_what_it_cannot_show():
    text, blocks = digest_message(_big_digest(60))
    assert validate_blocks(blocks, "message") == []
    assert len(blocks) <= 50 and text
    shown = " ".join(b.get("text", {}).get("text", "") for b in blocks if b["type"] == "section")
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    notes = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert "…and 3988 more: `/remediate list open`" in notes
    assert any("…and 492 more" in n for n in notes) and any("…and 888 more" in n for n in notes)


def test_an_empty_day_is_one_short_line():
    d = compose_digest(
        day=NOW.date(),
        now=NOW,
        completed=[],
        completed_total=0,
        open_items=[],
        in_progress_total=0,
        at_risk_items=[],
        at_risk_total=0,
        incidents=[],
        incidents_total=0,
        due_soon=0,
        overdue_by_priority={},
    )
    text, blocks = digest_message(d)
    assert d.nothing_open and "nothing open" in text and len(blocks) == 1


# --- alerts --------------------------------------------------------------------------------------


def _alert(n: int, **kw) -> AlertView:
    return AlertView(
        alert_id=n,
        level=kw.pop("level", 1),
        item_id=f"P0-20261120-{n:03d}",
        title=HOSTILE,
        priority="P0",
        owner_id="UALICE",
        deadline=NOW - timedelta(hours=5),
        fired_at=NOW,
        hours_overdue=5.0,
        mrr_at_risk=2500.0,
        mentions=("UALICE", "ULEAD"),
        required_actions=("Immediate status update", "Resource needs assessment"),
        **kw,
    )


def test_alert_messages_single_and_grouped_fit_and_escape():
    for alerts in ([_alert(1)], [_alert(i) for i in range(600)]):
        for to_owner in (False, True):
            text, blocks = alert_message(alerts, to_owner=to_owner)
            assert validate_blocks(blocks, "message") == [], (len(alerts), to_owner)
            assert len(blocks) <= 50 and text
            assert "<!channel>" not in text


def test_an_acknowledged_alert_shows_who_and_drops_its_acknowledge_button():
    _, blocks = alert_message([_alert(7, acked_by="UBOB", acked_at=NOW)], to_owner=False)
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "alert_ack:7" not in ids and "alert_snooze:7" in ids
    assert any(
        "Acknowledged by <@UBOB>" in e["text"]
        for b in blocks
        if b["type"] == "context"
        for e in b["elements"]
    )


# --- weekly --------------------------------------------------------------------------------------

WEEK = week_starting(date(2026, 11, 16), ZoneInfo("UTC"))


def _resolved(priority: str, hours: float, *, late: bool = False, prevention: bool = True) -> ResolvedItem:
    done = WEEK.start + timedelta(days=2)
    return ResolvedItem(
        f"{priority}-x",
        priority,
        done - timedelta(hours=hours),
        done,
        done + timedelta(hours=-1 if late else 1),
        prevention,
    )


def test_kpis():
    k = compute_kpis(
        week=WEEK,
        resolved=[
            _resolved("P0", 10),
            _resolved("P0", 30, late=True),
            _resolved("P1", 80, prevention=False),
            _resolved("P2", 4),
        ],
        resolved_last_week=[_resolved("P1", 40)],
        validated=[ValidatedItem("P0", None), ValidatedItem("P1", 1000.0), ValidatedItem("P2", None)],
        monthly_revenue=50_000,
        level2_escalations=0,
        ack_delays=[timedelta(minutes=10), None, timedelta(minutes=30)],
    )
    assert k.resolved_by_priority == {"P0": 2, "P1": 1, "P2": 1, "P3": 0} and k.resolved == 4
    assert k.mrr_protected == 6000.0  # 10 % of revenue for the P0 without a figure, 1000 for the P1
    assert k.avg_resolution == timedelta(hours=31) and k.avg_resolution_last_week == timedelta(hours=40)
    assert round(k.resolution_change, 3) == -0.225 and trend_arrow(k.resolution_change) == "↓22%"
    assert (k.on_time_rate, k.p0_within_24h, k.p1_within_72h, k.prevention_rate) == (0.75, 0.5, 0.0, 0.75)
    assert (k.alerts_fired, k.alerts_acknowledged, k.median_time_to_ack) == (3, 2, timedelta(minutes=20))
    wins, gaps = wins_and_gaps(k)
    assert "Zero escalations to Level 2 or above" in wins
    assert "P0 resolved within 24 h: 50% (target 95%)" in gaps
    assert "P1 resolved within 72 h: 0% (target 90%)" in gaps


def _quiet_week_kpis(**kw):
    """The KPIs of a week in which nothing was resolved, validated or acknowledged."""
    quiet = dict(
        resolved=[],
        resolved_last_week=[],
        validated=[],
        monthly_revenue=None,
        ack_delays=[],
        level2_escalations=0,
    )
    return compute_kpis(week=WEEK, **{**quiet, **kw})


def test_a_week_without_resolutions_reads_as_such():
    k = _quiet_week_kpis(level2_escalations=2)
    assert k.avg_resolution is None and k.resolution_change is None and k.on_time_rate is None
    _, blocks = weekly_report_message(k)
    assert validate_blocks(blocks, "message") == []
    assert "2 escalations to Level 2 or above" in blocks[3]["text"]["text"]


def test_the_report_fits_however_many_deadlines_come_next_week():
    deadlines = [DeadlineItem(f"P1-20261120-{i:03d}", HOSTILE, "P1", "UBOB", NOW) for i in range(15)]
    trend = [TrendPoint(WEEK.monday, {"P1": 3}, 5.0)]
    k = _quiet_week_kpis(next_week_deadlines=deadlines, next_week_total=400, trend=trend)
    _, blocks = weekly_report_message(k)
    assert validate_blocks(blocks, "message") == []
    focus = blocks[4]["text"]["text"]
    assert "more: `/remediate list upcoming`" in focus and "<!channel>" not in focus
