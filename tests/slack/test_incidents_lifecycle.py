"""An incident from declaration to close, end to end: signed HTTP into the real app, the fake Slack Web API,
the injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.incidents.clocks import sweep_incident_reminders
from bot.slack.ids import Action, View
from bot.slack.ids import IncidentInput as F
from storage import queries
from tests.fakes.signing import plain_value
from tests.slack.incident_steps import (
    button_ids,
    cards,
    declare,
    field,
    incident,
    press,
    submit_update,
    text_of,
    thread,
    wait_card,
)
from tests.support import INCIDENT_CHANNEL


@pytest.fixture
def settings_overrides() -> dict[str, str]:
    return {"oncall": "UCAROL"}


@pytest.mark.both_backends
def test_declare_acknowledge_update_twice_resolve_then_monitoring_ends_and_it_closes(
    bot, slack, fake_slack, clock
):
    started = clock()
    inc = declare(slack, fake_slack, bot, title="API returns 500s", severity="P0", users_affected="1,200")

    # The announcement: in the incident channel, with the three buttons and the clocks that apply.
    assert inc.id == "INC-20261123-001"
    card = wait_card(fake_slack, inc.id)
    assert button_ids(card) == [Action.INCIDENT_ACK, Action.INCIDENT_UPDATE, Action.INCIDENT_RESOLVE]
    shown = text_of(card)
    assert "P0 — Critical (production down)" in shown
    assert "API returns 500s" in shown and "1,200" in shown
    assert "respond by" in shown and "status update every 15m" in shown and "resolve by" in shown
    assert "escalates unresolved to Level 2" in shown and "monitoring 1d after resolution" in shown
    assert f"<!date^{int((started + timedelta(minutes=5)).timestamp())}^" in shown  # respond-by time token
    assert inc.commander_id == "UALICE" and inc.status == "investigating"

    # Acknowledge: recorded with who and when; the same card is updated in place, no new message.
    clock.advance(minutes=3)
    posts_before = len(fake_slack.posts(INCIDENT_CHANNEL))
    press(slack, Action.INCIDENT_ACK, card, user="UBOB")
    fake_slack.wait_for(lambda: fake_slack.edit_history(INCIDENT_CHANNEL, card["ts"]), message="card update")
    acked = incident(bot, inc.id)
    assert acked.acknowledged_by == "UBOB" and acked.acknowledged_at == started + timedelta(minutes=3)
    updated = next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"])
    assert "<@UBOB>" in text_of(updated) and "after 3m" in text_of(updated)
    assert Action.INCIDENT_ACK not in button_ids(updated)
    assert len(cards(fake_slack, inc.id)) == 1

    # Pressing it again (a stale copy of the card) is harmless: same record, no new card, a polite answer.
    press(slack, Action.INCIDENT_ACK, card, user="UDAVE")
    assert incident(bot, inc.id).acknowledged_by == "UBOB"
    fake_slack.wait_for(lambda: fake_slack.responses, message="the ephemeral answer")
    assert "already acknowledged" in fake_slack.responses[-1]["text"]
    assert len(fake_slack.posts(INCIDENT_CHANNEL)) == posts_before

    # Two status updates through the Post update button: template in the thread, status moved, clock reset.
    clock.advance(minutes=7)
    press(slack, Action.INCIDENT_UPDATE, updated, user="UALICE")
    reply = submit_update(slack, fake_slack, status="identified", note="Bad config in deploy 42", eta="15:00")
    assert reply.status == 200 and not (reply.json() or {}).get("errors")
    after_first = incident(bot, inc.id)
    assert after_first.status == "identified"
    assert after_first.next_update_due == clock() + timedelta(minutes=15)

    clock.advance(minutes=10)
    press(slack, Action.INCIDENT_UPDATE, updated, user="UBOB")
    submit_update(slack, fake_slack, status="mitigating", note="Rolling back deploy 42", next_update="30m")
    after_second = incident(bot, inc.id)
    assert after_second.status == "mitigating"
    assert after_second.mitigated_at == clock()
    assert after_second.next_update_due == clock() + timedelta(minutes=30)

    updates = fake_slack.wait_for(
        lambda: (
            [m for m in thread(fake_slack, card) if "INCIDENT UPDATE" in m["text"]][1:]
            and [m for m in thread(fake_slack, card) if "INCIDENT UPDATE" in m["text"]]
        ),
        message="two status updates in the thread",
    )
    first, second = (text_of(m) for m in updates)
    for line in ("INCIDENT UPDATE [P0]", f"*Incident ID:* {inc.id}", "*Impact:* All API calls fail"):
        assert line in first and line in second
    assert "*Status:* Identified" in first and "*ETA:* 15:00" in first
    assert "*Status:* Mitigating" in second and "Rolling back deploy 42" in second
    assert f"*Next Update:* <!date^{int((clock() + timedelta(minutes=30)).timestamp())}^" in second

    # Resolve through the button: monitoring starts; the card loses its buttons.
    clock.advance(minutes=20)
    press(slack, Action.INCIDENT_RESOLVE, updated, user="UALICE")
    view_id = next(
        vid for vid, v in fake_slack.views.items() if v["callback_id"] == View.INCIDENT_RESOLVE.value
    )
    slack.view_submission(
        View.INCIDENT_RESOLVE.value,
        field(F.SUMMARY, plain_value("root cause: a bad config flag; fixed by rolling back")),
        view_id=view_id,
    )
    resolved = incident(bot, inc.id)
    assert resolved.status == "resolved" and resolved.resolved_at == clock()
    assert resolved.monitoring_until == clock() + timedelta(hours=24)

    def resolved_card():
        m = next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"])
        return m if "monitoring until" in text_of(m) else None

    assert button_ids(fake_slack.wait_for(resolved_card, message="the resolved card")) == []

    # Monitoring not over yet: nothing closes. Over: it closes (a waiver lets this P0 close without an item).
    with bot.uow() as session:
        session.get(type(resolved), inc.id).waiver_reason = "drill: no follow-up needed"
    clock.advance(hours=23)
    sweep_incident_reminders(bot.deps, clock())
    assert incident(bot, inc.id).status == "resolved"
    clock.advance(hours=1)
    sweep_incident_reminders(bot.deps, clock())
    closed = incident(bot, inc.id)
    assert closed.status == "closed" and closed.closed_at == clock()
    fake_slack.wait_for(
        lambda: any("closed after its monitoring period" in text_of(m) for m in thread(fake_slack, card)),
        message="the close note in the thread",
    )
    with bot.uow() as session:
        kinds = [e.kind for e in queries.timeline(session, subject_id=inc.id)]
    assert kinds == ["declared", "acknowledged", "status-update", "status-update", "resolved", "closed"]
