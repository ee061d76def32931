"""Who may change what, end to end through signed HTTP: by command, by every button, and by payloads crafted
to look like them.

An item's status, deadline and owner are changed by its owner, its reporter or an admin (ADMIN_USERS, or a
member of ADMIN_USERGROUP); validation follows four eyes; closing or reassigning an incident is for its
commander or an admin. Every refusal is ephemeral (or an error next to a modal's field, or a warning on the
card the button was on), says who can, and leaves the database as it was. A payload is never trusted beyond
its signature: a forged button value, forged private_metadata, a modal submitted for an item the user may not
touch, or a button that went stale when the item changed hands all act on nothing.

The cast: Alice reports the items, Bob owns them, Carol is on the escalation ladder, Dave is nobody in
particular, UADMIN is in ADMIN_USERS and Erin is in the ADMIN_USERGROUP.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.slack.ids import Action, IncidentInput, ItemInput, View, keyed
from tests.clockwork import add_item, alerts
from tests.fakes.signing import checkboxes, plain_value, static_select, users_select
from tests.slack.incident_steps import declare, field, settle
from tests.slack.item_steps import button, create, domain_snapshot, item, press_ephemeral, run
from tests.support import INCIDENT_CHANNEL, SIGNING_SECRET

ADMIN_GROUP = "SADMINS"
WHO_CAN_ITEM = ("<@UBOB> (owner)", "<@UALICE> (reporter)", "admin")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_users": "UADMIN", "admin_usergroup": ADMIN_GROUP, "escalation_l1": "UCAROL"}


@pytest.fixture(autouse=True)
def _workspace(fake_slack):
    fake_slack.add_user("UERIN", "erin", real_name="Erin", tz="UTC")
    fake_slack.add_usergroup(ADMIN_GROUP, "incident-admins", ["UERIN"])


@pytest.fixture
def owned(bot, slack, fake_slack):
    """An item Alice reported and Bob owns; its DM sent, everybody's time zone looked up."""
    item_id = create(slack, '"Fix the async chain" --priority P0 --owner <@UBOB|bob>', user="UALICE")
    for who in ("UCAROL", "UDAVE", "UADMIN", "UERIN"):
        run(slack, f"note {item_id} looked at it", user=who)
    settle(bot)
    return item_id


def quiet_snapshot(bot) -> dict[str, Any]:
    """The database once everything queued has been sent (the sender must not race the comparison)."""
    settle(bot)
    return domain_snapshot(bot)


def latest_response(fake) -> dict[str, Any]:
    return fake.wait_for(
        lambda: fake.responses and fake.responses[-1], message="an answer on the response URL"
    )


def says_who_can(text: str, who: tuple[str, ...] = WHO_CAN_ITEM) -> None:
    for needle in who:
        assert needle in text, f"{needle!r} not in {text!r}"


def card_of(slack, item_id: str, user: str) -> list[dict[str, Any]]:
    return run(slack, f"show {item_id}", user=user)["blocks"]


# ---- commands ------------------------------------------------------------------------------------------

CHANGES = [
    "track {id} --status in_progress",
    "track {id} --status planned",
    "track {id} --status cancelled --note no",
    "track {id} --status blocked --note waiting",
    "track {id} --deadline +5d",
    "track {id} --deadline 2026-11-20 --force",
    "track {id} --owner <@UDAVE|dave>",
    "track {id} --priority P3 --note and a note",
    "assign {id} <@UDAVE|dave>",
    "reassign {id} <@UCAROL|carol>",
    "block {id} I do not like it",
    "cancel {id} Not needed",
]


@pytest.mark.parametrize("command", CHANGES)
def test_nobody_else_changes_status_deadline_or_owner_by_command(bot, slack, owned, command):
    before = quiet_snapshot(bot)
    data = run(slack, command.format(id=owned), user="UDAVE")
    assert ":warning:" in json.dumps(data["blocks"])
    says_who_can(data["text"])
    assert quiet_snapshot(bot) == before


def test_nobody_else_unblocks_or_sends_back(bot, slack, owned):
    run(slack, f"block {owned} waiting for staging", user="UBOB")
    before = quiet_snapshot(bot)
    says_who_can(run(slack, f"unblock {owned}", user="UDAVE")["text"])
    says_who_can(run(slack, f"track {owned} --status in_progress", user="UDAVE")["text"])
    assert quiet_snapshot(bot) == before
    run(slack, f"unblock {owned}", user="UBOB")
    run(slack, f"track {owned} --status in_progress", user="UBOB")
    run(slack, f"track {owned} --status completed", user="UBOB")
    before = quiet_snapshot(bot)
    says_who_can(run(slack, f"track {owned} --status in_progress --note redo", user="UDAVE")["text"])
    assert quiet_snapshot(bot) == before


@pytest.mark.parametrize("who", ["UBOB", "UALICE", "UADMIN", "UERIN"])
def test_owner_reporter_and_both_kinds_of_admin_may(bot, slack, owned, who):
    data = run(slack, f"track {owned} --status in_progress --deadline +3d", user=who)
    assert "Updated" in data["text"], data["text"]
    data = run(slack, f"assign {owned} <@UCAROL|carol>", user=who)
    assert "now belongs to <@UCAROL>" in data["text"], data["text"]
    found = item(bot, owned)
    assert (found.status, found.owner_id) == ("in_progress", "UCAROL")


def test_an_admin_group_slack_cannot_list_is_nobody_until_it_answers(bot, slack, fake_slack, owned):
    fake_slack.fail("usergroups.users.list", status=500, times=5)
    before = quiet_snapshot(bot)
    says_who_can(run(slack, f"track {owned} --status in_progress", user="UERIN")["text"])
    assert quiet_snapshot(bot) == before


def test_anyone_adds_notes_evidence_criteria_and_prevention(bot, slack, owned):
    for command in (
        f"note {owned} Seen again in prod",
        f"evidence {owned} link https://grafana.example.com/d/1",
        f'criteria {owned} add "No errors for 24 h"',
        f'prevent {owned} "Alert on coroutine attribute errors"',
        f"track {owned} --note only a note",
    ):
        assert ":warning:" not in json.dumps(run(slack, command, user="UDAVE")["blocks"]), command


# ---- buttons -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "option"),
    [
        (Action.ITEM_START, None),
        (Action.ITEM_REASSIGN, None),
        (Action.ITEM_OVERFLOW, "block"),
        (Action.ITEM_OVERFLOW, "cancel"),
    ],
)
def test_nobody_else_acts_by_the_buttons_of_a_card_in_a_reply(bot, slack, fake_slack, owned, action, option):
    card = card_of(slack, owned, "UDAVE")
    before = quiet_snapshot(bot)
    opened = len(fake_slack.ok_calls("views.open"))
    press_ephemeral(
        slack, fake_slack, card, action.value, user="UDAVE", option=f"{option}:{owned}" if option else None
    )
    answer = latest_response(fake_slack)
    assert answer["response_type"] == "ephemeral" and answer.get("replace_original") is not True
    says_who_can(answer["text"])
    assert len(fake_slack.ok_calls("views.open")) == opened, "no form opens for someone who may not"
    assert quiet_snapshot(bot) == before


def test_nobody_else_completes_unblocks_or_sends_back_by_button(bot, slack, fake_slack, owned):
    run(slack, f"track {owned} --status in_progress", user="UBOB")
    card = card_of(slack, owned, "UDAVE")
    before = quiet_snapshot(bot)
    press_ephemeral(slack, fake_slack, card, Action.ITEM_COMPLETE.value, user="UDAVE")
    says_who_can(latest_response(fake_slack)["text"])
    run(slack, f"block {owned} waiting", user="UBOB")
    card = card_of(slack, owned, "UDAVE")
    before = quiet_snapshot(bot)
    press_ephemeral(slack, fake_slack, card, Action.ITEM_UNBLOCK.value, user="UDAVE")
    says_who_can(latest_response(fake_slack)["text"])
    assert quiet_snapshot(bot) == before
    for verb in ("unblock", "start", "complete"):
        run(
            slack,
            f"track {owned} --status {'in_progress' if verb != 'complete' else 'completed'}",
            user="UBOB",
        )
    assert item(bot, owned).status == "completed"
    card = card_of(slack, owned, "UDAVE")
    before = quiet_snapshot(bot)
    press_ephemeral(
        slack, fake_slack, card, Action.ITEM_OVERFLOW.value, user="UDAVE", option=f"send_back:{owned}"
    )
    says_who_can(latest_response(fake_slack)["text"])
    assert quiet_snapshot(bot) == before


def test_a_refusal_in_the_card_modal_is_a_warning_on_the_card(bot, slack, fake_slack, owned):
    dm = fake_slack.messages("UBOB")[-1]
    slack.block_action(f"{Action.ITEM_OPEN.value}:{owned}", user="UDAVE", message=dm)
    card = fake_slack.wait_for(
        lambda: next((v for v in fake_slack.views.values() if v["callback_id"] == View.ITEM_CARD.value), None)
    )
    before = quiet_snapshot(bot)
    slack.block_action(Action.ITEM_START.value, user="UDAVE", view=card["id"])
    shown = json.dumps(fake_slack.views[card["id"]]["blocks"])
    assert ":warning:" in shown
    says_who_can(shown)
    assert quiet_snapshot(bot) == before
    assert fake_slack.posts("UDAVE") == [], "no DM for a refusal"


def test_a_button_that_went_stale_when_the_item_changed_hands_acts_on_nothing(bot, slack, fake_slack, owned):
    bobs_card = card_of(slack, owned, "UBOB")
    run(slack, f"assign {owned} <@UDAVE|dave>", user="UALICE")
    before = quiet_snapshot(bot)
    for action in (Action.ITEM_START, Action.ITEM_REASSIGN):
        press_ephemeral(slack, fake_slack, bobs_card, action.value, user="UBOB")
        answer = latest_response(fake_slack)
        says_who_can(answer["text"], ("<@UDAVE> (owner)", "<@UALICE> (reporter)", "admin"))
    assert quiet_snapshot(bot) == before
    assert item(bot, owned).owner_id == "UDAVE"


def test_a_forged_button_value_names_an_item_the_presser_may_not_touch(bot, slack, fake_slack, owned):
    mine = create(slack, '"My own item" --priority P2', user="UDAVE")
    my_card = card_of(slack, mine, "UDAVE")
    before = quiet_snapshot(bot)
    for action in (Action.ITEM_START, Action.ITEM_REASSIGN, Action.ITEM_COMPLETE, Action.ITEM_UNBLOCK):
        slack.block_action(action.value, value=owned, user="UDAVE", message={"ts": "9.9", "blocks": my_card})
    press_ephemeral(slack, fake_slack, my_card, Action.ITEM_START.value, user="UDAVE", value=owned)
    says_who_can(latest_response(fake_slack)["text"])
    press_ephemeral(
        slack, fake_slack, my_card, Action.ITEM_OVERFLOW.value, user="UDAVE", option=f"cancel:{owned}"
    )
    says_who_can(latest_response(fake_slack)["text"])
    # A crafted press that claims to come from the Home tab, where there is no response URL.
    home = {"type": "home", "id": "VHOME", "blocks": my_card, "private_metadata": "", "callback_id": ""}
    slack.block_action(Action.ITEM_START.value, value=owned, user="UDAVE", view=home)
    told = fake_slack.ok_calls("views.open")[-1].args["view"]
    says_who_can(json.dumps(told["blocks"]))  # in a small modal, to Dave alone: no DM, nothing stored
    assert quiet_snapshot(bot) == before
    assert item(bot, owned).status == "identified" and item(bot, mine).status == "identified"


# ---- modals: forged private_metadata, and forms for items the user may not touch -----------------------


def note_form(text: str) -> dict[str, Any]:
    return {ItemInput.NOTE.value: {ItemInput.NOTE.value: plain_value(text)}}


@pytest.mark.parametrize("verb", ["block", "cancel", "send_back", "start", "complete"])
def test_a_forged_reason_form_moves_nothing(bot, slack, owned, verb):
    before = quiet_snapshot(bot)
    reply = slack.view_submission(
        View.ITEM_NOTE.value,
        note_form("because I say so"),
        user="UDAVE",
        private_metadata=json.dumps({"id": owned, "verb": verb, "surface": {"kind": "none"}}),
    )
    data = reply.json()
    if verb in ("block", "cancel", "send_back"):
        assert data["response_action"] == "errors"
        says_who_can(data["errors"][ItemInput.NOTE.value])
        assert quiet_snapshot(bot) == before
    else:  # a verb the form does not take: it is a note, as anyone may add
        assert data is None
        assert item(bot, owned).status == "identified"


def test_a_reassign_form_for_an_item_the_user_may_not_touch(bot, slack, owned):
    before = quiet_snapshot(bot)
    reply = slack.view_submission(
        View.ITEM_REASSIGN.value,
        {ItemInput.NEW_OWNER.value: {ItemInput.NEW_OWNER.value: users_select("UDAVE")}},
        user="UDAVE",
        private_metadata=json.dumps({"id": owned, "surface": {"kind": "none"}}),
    )
    data = reply.json()
    assert data["response_action"] == "errors"
    says_who_can(data["errors"][ItemInput.NEW_OWNER.value])
    assert quiet_snapshot(bot) == before


def test_forged_surfaces_in_private_metadata_redraw_nothing_but_the_users_own(bot, slack, fake_slack, owned):
    """A note (anyone may add one) whose form claims its card sits in someone else's message, modal or
    response URL: the note is added, and nothing of anybody else's is touched."""
    incident_card = fake_slack.add_message(INCIDENT_CHANNEL, "an announcement", user="UBOT")
    elsewhere = "http://127.0.0.1:9/not-slack"
    for surface in (
        {"kind": "message", "channel": INCIDENT_CHANNEL, "ts": incident_card},
        {"kind": "ephemeral", "response_url": elsewhere},
        {"kind": "view", "view_id": "VSOMEONEELSE", "user_id": "UBOB"},
        {"kind": "home", "user_id": "UBOB"},
    ):
        updates = len(fake_slack.calls_to("chat.update")) + len(fake_slack.calls_to("views.update"))
        homes = len(fake_slack.calls_to("views.publish"))
        reply = slack.view_submission(
            View.ITEM_NOTE.value,
            note_form(f"note from a form that says {surface['kind']}"),
            user="UDAVE",
            private_metadata=json.dumps({"id": owned, "surface": surface}),
        )
        assert reply.status == 200 and reply.json() is None
        settle(bot)
        assert len(fake_slack.calls_to("chat.update")) + len(fake_slack.calls_to("views.update")) == updates
        assert len(fake_slack.calls_to("views.publish")) == homes
    assert [m["text"] for m in fake_slack.messages(INCIDENT_CHANNEL)] == ["an announcement"]


# ---- four eyes ------------------------------------------------------------------------------------------


@pytest.fixture
def completed(bot, slack, owned):
    run(slack, f'criteria {owned} add "No errors for a day"', user="UALICE")
    run(slack, f"track {owned} --status in_progress", user="UBOB")
    run(slack, f"track {owned} --status completed", user="UBOB")
    settle(bot)
    return owned


def validation_form(passed: bool = True) -> dict[str, Any]:
    return {
        f"{ItemInput.CHECKLIST.value}_0": {f"{ItemInput.CHECKLIST.value}_0": checkboxes(["0"])},
        ItemInput.PREVENTION.value: {ItemInput.PREVENTION.value: plain_value("Integration test added")},
        ItemInput.EVIDENCE.value: {ItemInput.EVIDENCE.value: plain_value("commit abc123f")},
        ItemInput.OUTCOME.value: {ItemInput.OUTCOME.value: static_select("pass" if passed else "fail")},
        ItemInput.REASON.value: {ItemInput.REASON.value: plain_value(None if passed else "still flaky")},
    }


def test_the_owner_cannot_validate_by_command_button_or_crafted_form(bot, slack, fake_slack, completed):
    before = quiet_snapshot(bot)
    assert "four eyes" in run(slack, f"validate {completed}", user="UBOB")["text"]
    press_ephemeral(
        slack, fake_slack, card_of(slack, completed, "UBOB"), Action.ITEM_VALIDATE.value, user="UBOB"
    )
    assert "four eyes" in latest_response(fake_slack)["text"]
    meta = json.dumps({"id": completed, "n": 1, "surface": {"kind": "none"}})
    reply = slack.view_submission(
        View.ITEM_VALIDATE.value, validation_form(), user="UBOB", private_metadata=meta
    )
    assert reply.json()["response_action"] == "errors"
    assert "four eyes" in json.dumps(reply.json()["errors"])
    assert quiet_snapshot(bot) == before
    reply = slack.view_submission(
        View.ITEM_VALIDATE.value, validation_form(), user="UDAVE", private_metadata=meta
    )
    assert reply.json() is None
    assert item(bot, completed).status == "validated" and item(bot, completed).validated_by == "UDAVE"


def test_an_admin_who_owns_the_item_is_still_a_second_pair_of_eyes_short(bot, slack, completed):
    run(slack, f"assign {completed} <@UADMIN|admin>", user="UALICE")
    assert "four eyes" in run(slack, f"validate {completed}", user="UADMIN")["text"]


@pytest.mark.parametrize("settings_overrides", [{"allow_self_validation": True, "admin_users": "UADMIN"}])
def test_self_validation_when_the_workspace_allows_it(bot, slack, fake_slack, completed):
    meta = json.dumps({"id": completed, "n": 1, "surface": {"kind": "none"}})
    reply = slack.view_submission(
        View.ITEM_VALIDATE.value, validation_form(), user="UBOB", private_metadata=meta
    )
    assert reply.json() is None
    assert item(bot, completed).validated_by == "UBOB"


# ---- alerts ---------------------------------------------------------------------------------------------


@pytest.fixture
def alert_id(bot) -> int:
    """A Level 1 escalation alert on an overdue item Alice reported and Bob owns (Carol is on the ladder)."""
    item_id = add_item(
        bot.deps, priority="P0", deadline=bot.clock() - timedelta(hours=5), owner="UBOB", reporter="UALICE"
    )
    bot.run_job("escalations")
    settle(bot)
    [alert] = alerts(bot.deps, item_id)
    return alert.id


def press_alert(slack, action: Action, alert: int, user: str, option: str | None = None):
    return slack.block_action(
        keyed(action, alert),
        value=None if option else str(alert),
        user=user,
        channel=INCIDENT_CHANNEL,
        action_type="static_select" if option else "button",
        selected_option=option,
    )


@pytest.mark.parametrize(
    ("action", "option"),
    [
        (Action.ALERT_ACK, None),
        (Action.ALERT_SNOOZE, "2h"),
        (Action.ALERT_SNOOZE, "tomorrow"),
        (Action.ALERT_MENU, "ack:{id}"),
        (Action.ALERT_MENU, "snooze-2h:{id}"),
    ],
)
def test_nobody_else_acknowledges_or_snoozes_an_alert(bot, slack, fake_slack, alert_id, action, option):
    before = quiet_snapshot(bot)
    press_alert(slack, action, alert_id, "UDAVE", option.format(id=alert_id) if option else None)
    answer = latest_response(fake_slack)
    assert answer["response_type"] == "ephemeral"
    says_who_can(answer["text"], ("<@UBOB> (owner)", "<@UALICE> (reporter)", "escalates to", "admin"))
    assert quiet_snapshot(bot) == before


@pytest.mark.parametrize("who", ["UBOB", "UALICE", "UCAROL", "UADMIN", "UERIN"])
def test_owner_reporter_ladder_and_admins_acknowledge_an_alert(bot, slack, fake_slack, alert_id, who):
    press_alert(slack, Action.ALERT_ACK, alert_id, who)
    fake_slack.wait_for(lambda: [a for a in alerts(bot.deps) if a.acked_by == who], message="acknowledged")


def test_an_alert_button_goes_stale_when_the_item_changes_hands(bot, slack, fake_slack, alert_id):
    [alert] = [a for a in alerts(bot.deps) if a.id == alert_id]
    run(slack, f"assign {alert.subject_id} <@UDAVE|dave>", user="UALICE")
    settle(bot)
    before = quiet_snapshot(bot)
    press_alert(slack, Action.ALERT_SNOOZE, alert_id, "UBOB", "2h")
    says_who_can(latest_response(fake_slack)["text"], ("<@UDAVE> (owner)", "<@UALICE> (reporter)"))
    assert quiet_snapshot(bot) == before
    press_alert(slack, Action.ALERT_ACK, alert_id, "UDAVE")
    fake_slack.wait_for(
        lambda: [a for a in alerts(bot.deps) if a.acked_by == "UDAVE"], message="the new owner"
    )


def test_a_forged_alert_id_acts_on_nothing(bot, slack, fake_slack, alert_id):
    before = quiet_snapshot(bot)
    for raw in (str(alert_id + 1000), "-1", "9" * 40, "1e3", "<!channel>"):
        reply = slack.block_action(
            keyed(Action.ALERT_ACK, raw), value=raw, user="UBOB", channel=INCIDENT_CHANNEL
        )
        assert reply.status == 200
    reply = slack.view_submission(
        View.ITEM_STATUS_UPDATE.value,
        {"alert_status_text": {"alert_status_text": plain_value("done")}},
        user="UDAVE",
        private_metadata=str(alert_id + 1000),
    )
    assert reply.json()["response_action"] == "errors"
    assert quiet_snapshot(bot) == before


# ---- incidents ------------------------------------------------------------------------------------------


@pytest.fixture
def resolved(bot, slack, fake_slack):
    """A P2 incident Alice declared and commands, resolved."""
    inc = declare(slack, fake_slack, bot, user="UALICE", severity="P2")
    reply = slack.command("/incident", f'resolve {inc.id} "rolled back"', user="UALICE")
    assert "Resolved" in reply.json()["text"]
    for who in ("UDAVE", "UCAROL", "UADMIN", "UERIN"):
        slack.command("/incident", f"show {inc.id}", user=who)
    settle(bot)
    return inc.id


WHO_RUNS = ("<@UALICE>", "commander", "admin")


@pytest.mark.parametrize(
    "command", ["close {id}", 'close {id} --waive "not needed"', "assign {id} <@UDAVE|dave>"]
)
def test_nobody_else_closes_or_reassigns_an_incident(bot, slack, resolved, command):
    before = quiet_snapshot(bot)
    data = slack.command("/incident", command.format(id=resolved), user="UDAVE").json()
    assert data["response_type"] == "ephemeral" and ":warning:" in json.dumps(data["blocks"])
    says_who_can(data["text"], WHO_RUNS)
    assert quiet_snapshot(bot) == before


@pytest.mark.parametrize("who", ["UALICE", "UADMIN", "UERIN"])
def test_the_commander_and_both_kinds_of_admin_reassign_and_close(bot, slack, resolved, who):
    data = slack.command("/incident", f"assign {resolved} <@UCAROL|carol>", user=who).json()
    assert "now the commander" in data["text"], data["text"]
    data = slack.command("/incident", f"assign {resolved} <@UALICE|alice>", user="UCAROL").json()
    assert "now the commander" in data["text"], data["text"]
    data = slack.command("/incident", f"close {resolved}", user=who).json()
    assert f"Closed {resolved}" in data["text"], data["text"]


def test_no_crafted_payload_closes_or_reassigns_an_incident(bot, slack, fake_slack, resolved):
    before = quiet_snapshot(bot)
    for action in ("incident_close", "incident_assign", Action.INCIDENT_RESOLVE.value):
        reply = slack.block_action(action, value=resolved, user="UDAVE", channel=INCIDENT_CHANNEL)
        assert reply.status < 500
    values = field(IncidentInput.STATUS, static_select("closed")) | field(
        IncidentInput.NOTE, plain_value("closing it myself")
    )
    reply = slack.view_submission(View.INCIDENT_UPDATE.value, values, user="UDAVE", private_metadata=resolved)
    assert reply.json()["response_action"] == "errors"
    assert "close" in json.dumps(reply.json()["errors"])
    values = field(IncidentInput.COMMANDER, users_select("UDAVE")) | field(
        IncidentInput.TITLE, plain_value("hijack")
    )
    slack.view_submission(View.INCIDENT_RESOLVE.value, values, user="UDAVE", private_metadata=resolved)
    settle(bot)
    after = quiet_snapshot(bot)
    assert after == before
    with bot.uow() as session:
        from storage.models import Incident

        inc = session.get(Incident, resolved)
        assert (inc.status, inc.commander_id) == ("resolved", "UALICE")


# ---- the workspace --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings_overrides", [{"slack_team_id": "T0001", "admin_users": "UADMIN", "escalation_l1": "UCAROL"}]
)
def test_nothing_from_another_workspace_acts_even_as_the_owner(bot, slack, fake_slack, owned):
    from tests.fakes.signing import SlackDriver

    stranger = SlackDriver(bot.url, SIGNING_SECRET, fake=fake_slack, team_id="TEVIL")
    card = card_of(slack, owned, "UBOB")
    before = quiet_snapshot(bot)
    reply = stranger.command("/remediate", f"track {owned} --status in_progress", user="UBOB")
    assert "another workspace" in reply.json()["text"] and reply.json()["response_type"] == "ephemeral"
    _, start = button(card, Action.ITEM_START.value)
    assert stranger.block_action(Action.ITEM_START.value, value=start["value"], user="UBOB").status == 200
    reply = stranger.view_submission(
        View.ITEM_REASSIGN.value,
        {ItemInput.NEW_OWNER.value: {ItemInput.NEW_OWNER.value: users_select("UDAVE")}},
        user="UBOB",
        private_metadata=json.dumps({"id": owned}),
    )
    assert reply.status == 200 and not (reply.json() or {}).get("response_action")
    assert stranger.command("/incident", "declare", user="UBOB").status == 200
    assert quiet_snapshot(bot) == before
    assert item(bot, owned).status == "identified"
    assert "Updated" in run(slack, f"track {owned} --status in_progress", user="UBOB")["text"]
