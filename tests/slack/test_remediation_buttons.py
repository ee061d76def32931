"""The item card's buttons act in place, and only the owner, the reporter or an admin changes an item's
status, deadline or owner: by command, by button, or by a payload crafted to look like one."""

from __future__ import annotations

import json

import pytest

from bot.slack.ids import Action, ItemInput, View
from tests.fakes.signing import plain_value, users_select
from tests.slack.item_steps import (
    button,
    create,
    domain_snapshot,
    events,
    item,
    press_ephemeral,
    refused,
    run,
)


@pytest.fixture
def settings_overrides():
    return {"admin_users": "UADMIN"}


@pytest.fixture
def owned(bot, slack, fake_slack):
    """An item reported by Alice and owned by Bob, its DMs sent."""
    item_id = create(slack, '"Fix the async chain" --priority P0 --owner <@UBOB|bob>', user="UALICE")
    bot.deliver()
    fake_slack.wait_for(lambda: fake_slack.posts("UBOB"))
    return item_id


def latest_response(fake_slack):
    return fake_slack.wait_for(lambda: fake_slack.responses and fake_slack.responses[-1])


def test_card_buttons_act_in_place(bot, slack, fake_slack, owned):
    card = run(slack, f"show {owned}", user="UBOB")["blocks"]
    press_ephemeral(slack, fake_slack, card, Action.ITEM_START.value, user="UBOB")
    assert item(bot, owned).status == "in_progress"
    redrawn = latest_response(fake_slack)
    assert redrawn["replace_original"] is True
    assert button(redrawn["blocks"], Action.ITEM_COMPLETE.value), "the card now offers Mark completed"
    assert "In Progress" in json.dumps(redrawn["blocks"])

    # Add note: a modal, then the card is redrawn through the response URL it came from.
    press_ephemeral(slack, fake_slack, redrawn["blocks"], Action.ITEM_NOTE.value, user="UCAROL")
    assert fake_slack.ok_calls("views.open")
    reply = slack.view_submission(
        View.ITEM_NOTE.value,
        {ItemInput.NOTE.value: {ItemInput.NOTE.value: plain_value("Looks good from QA")}},
        user="UCAROL",
    )
    assert reply.status == 200 and not reply.json()
    assert events(bot, owned)[-1].summary == "Looks good from QA"
    assert "Looks good from QA" in json.dumps(latest_response(fake_slack)["blocks"])

    # Reassign through its modal.
    press_ephemeral(slack, fake_slack, redrawn["blocks"], Action.ITEM_REASSIGN.value, user="UALICE")
    slack.view_submission(
        View.ITEM_REASSIGN.value,
        {ItemInput.NEW_OWNER.value: {ItemInput.NEW_OWNER.value: users_select("UDAVE")}},
        user="UALICE",
    )
    assert item(bot, owned).owner_id == "UDAVE"

    card = run(slack, f"show {owned}", user="UDAVE")["blocks"]
    press_ephemeral(slack, fake_slack, card, Action.ITEM_COMPLETE.value, user="UDAVE")
    assert item(bot, owned).status == "completed"
    card = latest_response(fake_slack)["blocks"]
    # Validate: refused for the owner (four eyes), a modal for anyone else.
    opened = len(fake_slack.ok_calls("views.open"))
    press_ephemeral(slack, fake_slack, card, Action.ITEM_VALIDATE.value, user="UDAVE")
    assert "four eyes" in latest_response(fake_slack)["text"]
    assert len(fake_slack.ok_calls("views.open")) == opened
    press_ephemeral(slack, fake_slack, card, Action.ITEM_VALIDATE.value, user="UCAROL")
    assert len(fake_slack.ok_calls("views.open")) == opened + 1


def test_the_overflow_menu_asks_why_then_blocks_cancels_or_sends_back(bot, slack, fake_slack, owned):
    card = run(slack, f"show {owned}", user="UBOB")["blocks"]
    press_ephemeral(slack, fake_slack, card, Action.ITEM_OVERFLOW.value, user="UBOB", option=f"block:{owned}")
    form = fake_slack.wait_for(lambda: next(iter(fake_slack.views.values()), None))
    assert form["callback_id"] == View.ITEM_NOTE.value and form["title"]["text"] == "Block item"
    slack.view_submission(
        View.ITEM_NOTE.value,
        {ItemInput.NOTE.value: {ItemInput.NOTE.value: plain_value("Waiting for staging access")}},
        user="UBOB",
    )
    blocked = item(bot, owned)
    assert (blocked.status, blocked.status_reason) == ("blocked", "Waiting for staging access")
    redrawn = latest_response(fake_slack)
    assert redrawn["replace_original"] is True and button(redrawn["blocks"], Action.ITEM_UNBLOCK.value)
    # Someone who may not change it is refused before any form opens.
    views_before = len(fake_slack.ok_calls("views.open"))
    press_ephemeral(
        slack, fake_slack, card, Action.ITEM_OVERFLOW.value, user="UCAROL", option=f"cancel:{owned}"
    )
    assert "(owner)" in latest_response(fake_slack)["text"]
    assert len(fake_slack.ok_calls("views.open")) == views_before
    press_ephemeral(slack, fake_slack, redrawn["blocks"], Action.ITEM_UNBLOCK.value, user="UALICE")
    assert item(bot, owned).status == "identified"


def test_open_from_a_dm_shows_the_card_in_a_modal_whose_buttons_update_it(bot, slack, fake_slack, owned):
    dm = fake_slack.messages("UBOB")[-1]
    reply = slack.block_action(f"{Action.ITEM_OPEN.value}:{owned}", user="UBOB", message=dm)
    assert reply.status == 200
    modal = fake_slack.wait_for(
        lambda: next((v for v in fake_slack.views.values() if v["callback_id"] == View.ITEM_CARD.value), None)
    )
    assert owned in json.dumps(modal["blocks"])
    slack.block_action(Action.ITEM_START.value, user="UBOB", view=modal["id"])
    assert item(bot, owned).status == "in_progress"
    updated = fake_slack.views[modal["id"]]
    assert button(updated["blocks"], Action.ITEM_COMPLETE.value)
    # Add note from the modal stacks the note form on the card; submitting redraws the card below it.
    slack.block_action(Action.ITEM_NOTE.value, user="UBOB", view=modal["id"])
    assert fake_slack.ok_calls("views.push")
    slack.view_submission(
        View.ITEM_NOTE.value,
        {ItemInput.NOTE.value: {ItemInput.NOTE.value: plain_value("Patched smd.py")}},
        user="UBOB",
    )
    assert "Patched smd.py" in json.dumps(fake_slack.views[modal["id"]]["blocks"])


CHANGES = [
    "track {id} --status in_progress",
    "track {id} --deadline +5d",
    "track {id} --owner <@UCAROL|carol>",
    "track {id} --priority P3",
    "assign {id} <@UCAROL|carol>",
    "block {id} I do not like it",
    "cancel {id} Not needed",
]


@pytest.mark.parametrize("command", CHANGES)
def test_others_cannot_change_status_deadline_or_owner_by_command(bot, slack, owned, command):
    run(slack, f"note {owned} warming the user cache", user="UCAROL")
    before = domain_snapshot(bot)
    data = run(slack, command.format(id=owned), user="UCAROL")
    refused(data, "<@UBOB> (owner)", "<@UALICE> (reporter)", "admin")
    assert domain_snapshot(bot) == before


def test_anyone_may_add_notes_evidence_criteria_and_prevention(bot, slack, owned):
    run(slack, f"note {owned} Seen again in prod", user="UCAROL")
    run(slack, f"evidence {owned} link https://grafana.example.com/d/1", user="UCAROL")
    run(slack, f'criteria {owned} add "No errors for 24 h"', user="UCAROL")
    run(slack, f'prevent {owned} "Alert on coroutine attribute errors"', user="UCAROL")
    assert [e.kind for e in events(bot, owned)][-4:] == ["note", "evidence", "criterion", "prevention"]


def test_others_cannot_change_it_by_button_or_crafted_payload(bot, slack, fake_slack, owned):
    card = run(slack, f"show {owned}", user="UCAROL")["blocks"]
    before = domain_snapshot(bot)
    press_ephemeral(slack, fake_slack, card, Action.ITEM_START.value, user="UCAROL")
    assert "<@UBOB> (owner)" in latest_response(fake_slack)["text"]
    assert latest_response(fake_slack).get("replace_original") is not True
    # A button that was never shown to Carol, with the id typed in by hand.
    for action in (Action.ITEM_COMPLETE, Action.ITEM_UNBLOCK, Action.ITEM_START):
        slack.block_action(action.value, value=owned, user="UCAROL", message={"ts": "9.9", "blocks": []})
    # A forged modal submission naming the item.
    reply = slack.view_submission(
        View.ITEM_REASSIGN.value,
        {ItemInput.NEW_OWNER.value: {ItemInput.NEW_OWNER.value: users_select("UCAROL")}},
        user="UCAROL",
        private_metadata=json.dumps({"id": owned, "surface": {"kind": "none"}}),
    )
    assert reply.json()["response_action"] == "errors"
    assert "(owner)" in json.dumps(reply.json()["errors"])
    press_ephemeral(slack, fake_slack, card, Action.ITEM_REASSIGN.value, user="UCAROL")
    assert "owner" in latest_response(fake_slack)["text"]
    assert domain_snapshot(bot) == before
    assert item(bot, owned).status == "identified" and item(bot, owned).owner_id == "UBOB"


def test_an_admin_may_change_any_item(bot, slack, owned):
    run(slack, f"track {owned} --status in_progress --deadline +2d", user="UADMIN")
    run(slack, f"assign {owned} <@UCAROL|carol>", user="UADMIN")
    found = item(bot, owned)
    assert (found.status, found.owner_id) == ("in_progress", "UCAROL")
