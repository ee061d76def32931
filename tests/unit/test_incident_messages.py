"""Incident message and modal builders: within Block Kit limits, ids in step with bot.slack.ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.incidents import postmortem
from bot.services.incidents.cards import clocks_for
from bot.slack.blocks.incidents import messages as msgs
from bot.slack.blocks.incidents import modals as views
from storage.models import Incident, RemediationItem
from tests.fakes.blockkit_limits import validate_blocks, validate_view
from tests.support import make_settings

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SETTINGS = make_settings("sqlite://", "http://127.0.0.1:9/api/")
CLOCKS = clocks_for(SETTINGS)


def _incident(**changes) -> Incident:
    values = dict(
        id="INC-20261123-001",
        title="<!channel> & " + "x" * 400,
        severity="P0",
        status="investigating",
        impact="All <@UEVIL> users " * 200,
        users_affected=1200,
        declared_by="UALICE",
        commander_id="UBOB",
        responders=["UALICE", "UBOB"],
        started_at=T0,
        declared_at=T0,
        updated_at=T0,
        next_update_due=T0 + timedelta(minutes=15),
    )
    values.update(changes)
    return Incident(**values)


def _mrkdwn(node) -> list[str]:
    """Every mrkdwn text in a block tree (plain_text never pings anyone)."""
    if isinstance(node, list):
        return [t for n in node for t in _mrkdwn(n)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [t for v in node.values() for t in _mrkdwn(v)]


def test_every_message_stays_within_block_kit_limits_and_escapes_what_people_typed():
    now = T0 + timedelta(minutes=40)
    inc = _incident()
    resolved = _incident(status="resolved", resolved_at=now, monitoring_until=now + timedelta(hours=24))
    item = RemediationItem(
        id="P1-20261123-001",
        title="t" * 200,
        priority="P1",
        kind="preventative",
        owner_id="UBOB",
        reporter_id="UALICE",
        deadline=now,
        created_at=now,
        updated_at=now,
    )
    record = postmortem.Record(
        incident_id=inc.id,
        title=inc.title,
        severity="P0",
        impact=inc.impact,
        users_affected=None,
        detection="manual",
        declared_by="UALICE",
        commander_id="UBOB",
        started_at=T0,
        acknowledged_at=None,
        acknowledged_by=None,
        mitigated_at=None,
        resolved_at=None,
        closed_at=None,
        resolution_summary=None,
        waiver_reason=None,
        items=[postmortem.ActionItem(item.id, item.title, item.kind, "UBOB", now, "open")] * 30,
    )
    built = [
        msgs.card(inc, CLOCKS),
        msgs.card(resolved, CLOCKS),
        msgs.status_update(inc, actor_id="UALICE", note="<!here> rolled back\n" * 300),
        msgs.page(inc, now=now, clocks=CLOCKS, oncall=["UCAROL", "S0ONCALL"]),
        msgs.escalation(inc, level=2, now=now, targets=[], setting_name="INCIDENT_ESCALATION_L2"),
        msgs.nudge(inc, now=now, clocks=CLOCKS),
        msgs.held(resolved, now=now),
        msgs.action_item_added(inc, item, actor_id="UALICE"),
        msgs.postmortem(inc, record=record, now=now),
    ]
    for text, blocks in built:
        assert text and len(blocks) <= 50
        assert validate_blocks(blocks, "message") == []
        read_as_mrkdwn = "\n".join([text, *_mrkdwn(blocks)])
        for ping in ("<!channel>", "<!here>", "<@UEVIL>"):
            assert ping not in read_as_mrkdwn


def test_modals_stay_within_limits():
    inc = _incident(eta="x" * 300)
    for view in (
        views.declare_modal(user_id="UALICE", channel="CINCIDENTS", clocks=CLOCKS, title="y" * 300),
        views.update_modal(inc, CLOCKS),
        views.resolve_modal(inc, CLOCKS),
        views.action_item_modal(inc),
    ):
        assert validate_view(view, "modal") == []


def test_the_postmortem_draft_fills_the_template_from_the_record():
    record = postmortem.Record(
        incident_id="INC-20261123-001",
        title="Login fails",
        severity="P1",
        impact="EU users",
        users_affected=300,
        detection="automated",
        declared_by="UALICE",
        commander_id="UBOB",
        started_at=T0,
        acknowledged_at=T0 + timedelta(minutes=3),
        acknowledged_by="UCAROL",
        mitigated_at=T0 + timedelta(minutes=20),
        resolved_at=T0 + timedelta(hours=25),
        closed_at=None,
        resolution_summary="root cause: expired cert",
        waiver_reason=None,
        events=[postmortem.Event(T0, "UALICE", "Declared P1: A &amp; B; commander <@UBOB>", "declared")],
    )
    text = postmortem.markdown(record, now=T0, tz=UTC, names={"UALICE": "alice", "UBOB": "bob"})
    assert "**Duration**: 1d 1h" in text
    assert "- **14:03** - Initial response began (acknowledged by @UCAROL)" in text
    assert "- **Nov 24 15:00** - Incident resolved" in text  # another day than the start
    assert "- **14:00** - Declared P1: A & B; commander @bob (@alice)" in text
    assert "**Users Affected**: 300" in text and "## Root Cause\nroot cause: expired cert" in text
    assert "- [ ] _to be filled in_ - Owner: [Name] - Due: [Date]" in text
