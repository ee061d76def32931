"""Bad input gets a clear answer and changes nothing; double submits and double clicks act once."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from bot.slack.ids import Action, View
from bot.slack.ids import IncidentInput as F
from storage.models import Incident, OutboxMessage
from tests.slack.incident_steps import (
    cards,
    declare,
    declare_values,
    incident,
    open_declare_modal,
    press,
    settle,
    submit_update,
    wait_card,
)
from tests.support import INCIDENT_CHANNEL, snapshot


def _incidents(bot) -> list[Incident]:
    with bot.uow() as session:
        return list(session.exec(select(Incident)))


def test_declare_modal_with_empty_title_and_no_severity_shows_errors_next_to_the_fields(
    bot, slack, fake_slack
):
    view_id = open_declare_modal(slack, fake_slack)
    settle(bot)
    before = snapshot(bot.deps.engine)
    reply = slack.view_submission(
        View.INCIDENT_DECLARE.value, declare_values(title="   ", severity=None), view_id=view_id
    )
    body = reply.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {F.TITLE.value, F.SEVERITY.value}
    assert "title" in body["errors"][F.TITLE.value]
    assert "severity" in body["errors"][F.SEVERITY.value].lower()
    assert all(len(msg) <= 150 for msg in body["errors"].values())
    assert view_id in fake_slack.views  # the modal stays open with what was typed
    assert snapshot(bot.deps.engine) == before

    reply = slack.view_submission(
        View.INCIDENT_DECLARE.value, declare_values(users_affected="lots"), view_id=view_id
    )
    assert reply.json()["errors"] == {F.USERS_AFFECTED.value: reply.json()["errors"][F.USERS_AFFECTED.value]}
    assert "whole number" in reply.json()["errors"][F.USERS_AFFECTED.value]
    assert _incidents(bot) == []


def test_the_declare_modal_shows_each_severity_with_its_definition(bot, slack, fake_slack):
    view_id = open_declare_modal(slack, fake_slack)
    view = fake_slack.views[view_id]
    severity = next(b for b in view["blocks"] if b.get("block_id") == F.SEVERITY.value)
    options = {o["value"]: o["description"]["text"] for o in severity["element"]["options"]}
    assert options["P0"].startswith("Complete service outage")
    assert options["P3"].startswith("Cosmetic")
    assert "P1: Significant functionality impaired" in severity["hint"]["text"]
    assert "respond in 15m" in severity["hint"]["text"]


@pytest.mark.both_backends
def test_a_double_submitted_modal_declares_one_incident_with_one_announcement(bot, slack, fake_slack):
    view_id = open_declare_modal(slack, fake_slack)
    values = declare_values(title="Payments failing")
    replies = []

    def submit():
        replies.append(slack.view_submission(View.INCIDENT_DECLARE.value, values, view_id=view_id))

    submit()
    second = threading.Thread(target=submit)  # Slack retried, or the person pressed twice
    second.start()
    second.join()
    assert [r.status for r in replies] == [200, 200]
    assert len(_incidents(bot)) == 1
    inc = _incidents(bot)[0]
    wait_card(fake_slack, inc.id)
    bot.deliver()
    assert len(cards(fake_slack, inc.id)) == 1
    with bot.uow() as session:
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).all()
    assert len(queued) == 1


@pytest.mark.both_backends
def test_a_double_clicked_acknowledge_records_once_and_updates_the_card_once(bot, slack, fake_slack):
    inc = declare(slack, fake_slack, bot)
    card = wait_card(fake_slack, inc.id)
    threads = [
        threading.Thread(target=press, args=(slack, Action.INCIDENT_ACK, card), kwargs={"user": user})
        for user in ("UBOB", "UCAROL")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acked = incident(bot, inc.id)
    assert acked.acknowledged_by in ("UBOB", "UCAROL")
    bot.deliver()
    with bot.uow() as session:
        updates = session.exec(select(OutboxMessage).where(OutboxMessage.method == "chat.update")).all()
    assert len(updates) == 1
    assert len(cards(fake_slack, inc.id)) == 1


def test_a_double_submitted_update_modal_posts_one_update(bot, slack, fake_slack):
    inc = declare(slack, fake_slack, bot)
    press(slack, Action.INCIDENT_UPDATE, wait_card(fake_slack, inc.id))
    view_id = next(
        vid for vid, v in fake_slack.views.items() if v["callback_id"] == View.INCIDENT_UPDATE.value
    )
    submit_update(slack, fake_slack, status="identified", note="Found the bad host")
    settle(bot)
    before = snapshot(bot.deps.engine)
    # The same view submitted again (it is closed in the fake now, so name it by id).
    from tests.fakes.signing import plain_value, static_select
    from tests.slack.incident_steps import field

    again = {
        **field(F.STATUS, static_select("identified")),
        **field(F.NOTE, plain_value("Found the bad host")),
    }
    slack.view_submission(View.INCIDENT_UPDATE.value, again, view_id=view_id, private_metadata=inc.id)
    assert snapshot(bot.deps.engine) == before


def test_unknown_ids_wrong_statuses_and_malformed_ids_get_clear_messages(bot, slack, fake_slack):
    inc = declare(slack, fake_slack, bot)
    settle(bot)
    before = snapshot(bot.deps.engine)

    reply = slack.command("/incident", 'update INC-20990101-001 mitigating "x"').json()
    assert "There is no incident INC-20990101-001" in reply["text"]

    reply = slack.command("/incident", f'update {inc.id} fixed "Rolled back"').json()
    assert "`fixed` is not a status" in reply["text"]
    assert "investigating, identified, mitigating, monitoring, resolved" in reply["text"]

    reply = slack.command("/incident", "show INC-1").json()
    assert "not an incident id" in reply["text"] and "INC-20251010-001" in reply["text"]

    reply = slack.command("/incident", f"update {inc.id} mitigating").json()
    assert "what changed" in reply["text"]

    reply = slack.command("/incident", f"resolve {inc.id}").json()
    assert "what resolved it" in reply["text"]

    reply = slack.command("/incident", "list everything").json()
    assert "use `open` or `all`" in reply["text"]

    reply = slack.command("/incident", "frobnicate").json()
    assert "is not a command I know" in reply["text"]

    assert snapshot(bot.deps.engine) == before


def test_updates_to_a_closed_incident_are_refused(bot, slack, fake_slack, clock):
    inc = declare(slack, fake_slack, bot, severity="P2")  # P2: no close-out rule
    slack.command("/incident", f'resolve {inc.id} "root cause: typo"')
    reply = slack.command("/incident", f"close {inc.id}").json()
    assert reply["text"] == f"Closed {inc.id}."
    settle(bot)
    before = snapshot(bot.deps.engine)

    reply = slack.command("/incident", f'update {inc.id} investigating "It is back"').json()
    assert "was closed" in reply["text"] and "takes no more changes" in reply["text"]
    reply = slack.command("/incident", f'resolve {inc.id} "again"').json()
    assert "was closed" in reply["text"]
    assert snapshot(bot.deps.engine) == before

    # The buttons of an old copy of the card refuse too, ephemerally, without opening a modal.
    card = next(
        m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == wait_card(fake_slack, inc.id)["ts"]
    )
    old = {
        **card,
        "blocks": card["blocks"]
        + [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": Action.INCIDENT_UPDATE.value,
                        "value": inc.id,
                        "text": {"type": "plain_text", "text": "Post update"},
                    }
                ],
            }
        ],
    }
    views_before = len(fake_slack.views)
    slack.block_action(Action.INCIDENT_UPDATE.value, message=old)
    assert len(fake_slack.views) == views_before
    fake_slack.wait_for(lambda: fake_slack.responses, message="the refusal")
    assert "closed" in fake_slack.responses[-1]["text"]
