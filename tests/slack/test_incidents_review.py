"""After and around the incident: post-mortem and linked action items, close-out rule, list, show, assign,
and the per-incident channel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.services.incidents.clocks import sweep_incident_reminders
from bot.services.incidents.closeout import held_incidents
from bot.slack.ids import Action, View
from bot.slack.ids import IncidentInput as F
from storage.models import RemediationItem
from tests.fakes.signing import plain_value, static_select, users_select
from tests.slack.incident_steps import declare, field, incident, settle, text_of, thread, wait_card
from tests.support import INCIDENT_CHANNEL, snapshot


@pytest.fixture
def settings_overrides() -> dict[str, str]:
    return {"admin_users": "UADMIN"}


def _datepicker(day: str) -> dict:
    return {"type": "datepicker", "selected_date": day}


def _resolved_p0(slack, fake_slack, bot, clock):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Login fails for everyone")
    clock.advance(minutes=4)
    slack.command("/incident", f"ack {inc.id}", user="UBOB")
    clock.advance(minutes=10)
    slack.command("/incident", f'update {inc.id} mitigating "Failing over the auth database"')
    clock.advance(minutes=20)
    slack.command("/incident", f'update {inc.id} monitoring "Failover done; error rate back to normal"')
    clock.advance(minutes=16)
    slack.command("/incident", f'resolve {inc.id} "root cause: an expired certificate on auth-db"')
    return incident(bot, inc.id)


def test_postmortem_draft_and_an_action_item_that_becomes_a_linked_remediation_item(
    bot, slack, fake_slack, clock
):
    inc = _resolved_p0(slack, fake_slack, bot, clock)
    reply = slack.command("/incident", f"postmortem {inc.id}").json()
    assert f"Posted the post-mortem draft for {inc.id}" in reply["text"]

    message = fake_slack.wait_for(
        lambda: next(
            (m for m in fake_slack.messages(INCIDENT_CHANNEL) if "Post-mortem draft" in m["text"]), None
        ),
        message="the post-mortem message",
    )
    shown = text_of(message)
    assert "*Time to acknowledge*\n4m" in shown and "*Time to mitigate*\n14m" in shown
    assert "*Time to resolve*\n50m" in shown and "*Duration*\n50m" in shown
    for step in ("Incident detected", "Initial response began", "Mitigation applied", "Resolution deployed"):
        assert step in shown
    files = fake_slack.wait_for(lambda: list(fake_slack.files.values()), message="the draft file")
    draft = files[0].content.decode()
    assert draft.startswith(f"# Incident Post-Mortem: {inc.id}\n")
    for heading in (
        "## Summary",
        "## Timeline",
        "## Root Cause",
        "## Impact",
        "## Resolution",
        "## Lessons Learned",
        "### What Went Well",
        "### What Could Be Improved",
        "## Action Items",
        "## Prevention",
    ):
        assert heading in draft
    assert "**Severity**: P0 - Critical (production down)" in draft
    assert "- **14:00** - Incident detected" in draft and "- **14:04** - Initial response began" in draft
    assert "- **14:14** - Mitigation applied" in draft and "- **14:34** - Resolution deployed" in draft
    assert "- **14:50** - Incident resolved" in draft
    assert "an expired certificate on auth-db" in draft
    assert "**Time to acknowledge**: 4m" in draft

    # Add action item -> a remediation item, linked both ways.
    slack.block_action(Action.INCIDENT_ADD_ACTION_ITEM.value, message=message, user="UALICE")
    view_id = next(
        v for v, view in fake_slack.views.items() if view["callback_id"] == View.INCIDENT_ACTION_ITEM.value
    )
    due = (clock().date() + timedelta(days=14)).isoformat()
    values = {
        **field(F.ITEM_TITLE, plain_value("Alert 30 days before certificates expire")),
        **field(F.ITEM_OWNER, users_select("UBOB")),
        **field(F.ITEM_PRIORITY, static_select("P1")),
        **field(F.ITEM_DUE, _datepicker(due)),
        **field(F.ITEM_KIND, static_select("preventative")),
    }
    reply = slack.view_submission(View.INCIDENT_ACTION_ITEM.value, values, view_id=view_id)
    assert reply.status == 200 and not (reply.json() or {}).get("errors"), reply.text
    with bot.uow() as session:
        items = session.exec(select(RemediationItem).where(RemediationItem.incident_id == inc.id)).all()
    assert len(items) == 1
    item = items[0]
    assert (item.owner_id, item.priority, item.kind) == ("UBOB", "P1", "preventative")
    assert item.deadline.astimezone(bot.deps.settings.tz).date() >= date.fromisoformat(due) - timedelta(
        days=1
    )

    shown = slack.command("/incident", f"show {inc.id}").json()
    assert item.id in str(shown["blocks"]) and "Alert 30 days before certificates expire" in str(
        shown["blocks"]
    )
    card = wait_card(fake_slack, inc.id)
    fake_slack.wait_for(
        lambda: any(item.id in m["text"] for m in thread(fake_slack, card)), message="the action item note"
    )
    # A second post-mortem lists the item under Action Items and Prevention.
    slack.command("/incident", f"postmortem {inc.id}")
    fake_slack.wait_for(lambda: len(fake_slack.files) == 2, message="the second draft")
    drafts = [f.content.decode() for f in fake_slack.files.values()]
    line = f"- [ ] {item.id} Alert 30 days before certificates expire (preventative) - Owner: @bob - Due: "
    assert sum(line in d for d in drafts) == 1  # in the second draft, not the first
    assert sum("- Alert 30 days before certificates expire" in d for d in drafts) == 1  # under Prevention

    # The close-out rule is now met: when monitoring ends, the P0 closes.
    clock.advance(hours=24)
    sweep_incident_reminders(bot.deps, clock())
    assert incident(bot, inc.id).status == "closed"


@pytest.mark.both_backends
def test_a_p0_without_preventative_item_or_waiver_is_held_after_monitoring_and_reported_once(
    bot, slack, fake_slack, clock
):
    inc = _resolved_p0(slack, fake_slack, bot, clock)
    card = wait_card(fake_slack, inc.id)
    clock.advance(hours=24)
    assert sweep_incident_reminders(bot.deps, clock())
    assert incident(bot, inc.id).status == "resolved"
    assert [i.id for i in held_incidents(bot.deps, clock())] == [inc.id]
    clock.advance(minutes=5)
    assert sweep_incident_reminders(bot.deps, clock()) == []  # reported once
    held = fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, card) if "held open" in m["text"]], message="the held report"
    )
    assert len(held) == 1 and "--waive" in text_of(held[0])

    # Closing by hand is refused the same way; a waiver closes it and is on the timeline.
    reply = slack.command("/incident", f"close {inc.id}").json()
    assert "cannot close yet" in reply["text"] and "preventative" in reply["text"]
    reply = slack.command("/incident", f'close {inc.id} --waive "duplicate of INC-20261101-002"').json()
    assert reply["text"].startswith(f"Closed {inc.id}.")
    closed = incident(bot, inc.id)
    assert closed.status == "closed" and closed.waiver_reason == "duplicate of INC-20261101-002"
    shown = slack.command("/incident", f"show {inc.id}").json()
    assert "Close-out waived: duplicate of INC-20261101-002" in str(shown["blocks"])
    assert held_incidents(bot.deps, clock()) == []


def test_assign_is_for_the_commander_or_an_admin(bot, slack, fake_slack):
    inc = declare(slack, fake_slack, bot, user="UALICE")
    settle(bot)
    before = snapshot(bot.deps.engine)
    reply = slack.command("/incident", f"assign {inc.id} <@UBOB|bob>", user="UCAROL").json()
    assert "Only the commander <@UALICE> or an admin" in reply["text"]
    assert snapshot(bot.deps.engine) == before

    reply = slack.command("/incident", f"assign {inc.id} <@UBOB|bob>", user="UALICE").json()
    assert reply["text"] == f"<@UBOB> is now the commander of {inc.id}."
    assert incident(bot, inc.id).commander_id == "UBOB"
    reply = slack.command("/incident", f"assign {inc.id} <@UCAROL|carol>", user="UADMIN").json()
    assert incident(bot, inc.id).commander_id == "UCAROL"
    reply = slack.command("/incident", f"assign {inc.id} bob", user="UCAROL").json()
    assert "mention them" in reply["text"]

    card = wait_card(fake_slack, inc.id)
    fake_slack.wait_for(
        lambda: (
            "<@UCAROL>"
            in text_of(next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"]))
        ),
        message="the card naming the new commander",
    )
    # Closing is for the commander or an admin too.
    slack.command("/incident", f'resolve {inc.id} "root cause: x"', user="UDAVE")
    reply = slack.command("/incident", f'close {inc.id} --waive "drill"', user="UALICE").json()
    assert "Only the commander <@UCAROL> or an admin can close" in reply["text"]


def test_list_and_show(bot, slack, fake_slack, clock):
    first = declare(slack, fake_slack, bot, severity="P1", title="Search is slow")
    clock.advance(minutes=30)
    second = declare(slack, fake_slack, bot, severity="P3", title="Typo <b>on</b> the status page")
    slack.command("/incident", f'resolve {second.id} "fixed the typo"')
    slack.command("/incident", f"close {second.id}")

    reply = slack.command("/incident", "list").json()
    assert first.id in reply["text"] and second.id not in reply["text"]
    assert "open 30m" in str(reply["blocks"])
    reply = slack.command("/incident", "list all").json()
    assert first.id in reply["text"] and second.id in reply["text"]
    assert "Typo &lt;b&gt;on&lt;/b&gt; the status page" in str(reply["blocks"])

    reply = slack.command("/incident", f"show {first.id}").json()
    blocks = str(reply["blocks"])
    assert "Search is slow" in blocks and "Declared P1" in blocks and "*Timeline*" in blocks
    assert "'actions'" not in blocks  # no buttons in an ephemeral reply


@pytest.mark.parametrize("settings_overrides", [{"incident_channel_per_incident": True}])
def test_a_channel_per_incident_named_from_id_and_title(bot, slack, fake_slack, settings_overrides):
    inc = declare(slack, fake_slack, bot, title="API outage: EU/US!", commander="UBOB")
    created = fake_slack.ok_calls("conversations.create")
    assert [c.args["name"] for c in created] == [f"{inc.id.lower()}-api-outage-eu-us"]
    channel = created[0].response["channel"]["id"]
    invited = fake_slack.ok_calls("conversations.invite")[0].args["users"]
    assert set(invited.split(",")) == {"UALICE", "UBOB"}
    assert incident(bot, inc.id).channel_id == channel
    wait_card(fake_slack, inc.id, channel)
    card = wait_card(fake_slack, inc.id)
    fake_slack.wait_for(
        lambda: (
            f"<#{channel}>"
            in text_of(next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"]))
        ),
        message="the main card linking the incident channel",
    )
    # Status updates reach the incident channel too.
    slack.command("/incident", f'update {inc.id} identified "Bad deploy"')
    fake_slack.wait_for(
        lambda: any("INCIDENT UPDATE" in m["text"] for m in fake_slack.messages(channel)),
        message="update there",
    )


@pytest.mark.parametrize("settings_overrides", [{"incident_channel_per_incident": True}])
def test_a_refused_channel_does_not_lose_the_incident(bot, slack, fake_slack, settings_overrides):
    fake_slack.fail("conversations.create", error="restricted_action")
    inc = declare(slack, fake_slack, bot)
    assert incident(bot, inc.id).channel_id is None
    card = wait_card(fake_slack, inc.id)
    note = fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, card) if "could not create a channel" in m["text"]],
        message="the note in the thread",
    )
    assert "restricted_action" in note[0]["text"]
