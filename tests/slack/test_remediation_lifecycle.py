"""A remediation item from creation to validation, end to end through signed HTTP and the fake Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.slack.ids import ItemInput, View
from tests.fakes.signing import checkboxes, plain_value
from tests.slack.item_steps import count, create, domain_snapshot, events, item, refused, run

BOB = "<@UBOB|bob>"


def radio(value: str) -> dict:
    return {
        "type": "radio_buttons",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
    }


def dms(fake_slack, user: str) -> list[str]:
    return [p["text"] for p in fake_slack.posts(user)]


def test_create_update_note_block_unblock_complete_validate_with_every_step_on_the_timeline(
    bot, slack, fake_slack, clock
):
    item_id = create(
        slack,
        f'"Fix async/await chain in SMD startup" --priority P0 --owner {BOB} --deadline tomorrow 17:00 '
        '--system websocket --note "Starting the fix in SMD"',
        user="UALICE",
    )
    assert item_id == "P0-20261123-001"
    created = item(bot, item_id)
    # "tomorrow 17:00" typed by Alice, who lives in New York
    assert created.deadline == datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    assert (created.owner_id, created.reporter_id, created.status) == ("UBOB", "UALICE", "identified")
    bot.deliver()
    assert any(item_id in t and "made you the owner" in t for t in dms(fake_slack, "UBOB"))

    clock.advance(hours=1)
    data = run(
        slack,
        f"track {item_id.lower()} --status in_progress --deadline +2d "
        '--note "Identified async/await issue in smd.py:465"',
        user="UBOB",
    )
    assert "Updated" in data["text"] and "In Progress" in data["text"]
    started = item(bot, item_id)
    assert started.status == "in_progress" and started.started_at == clock()
    assert started.deadline == clock() + timedelta(days=2)

    run(slack, f"note {item_id} Fix is on a branch, reviewing with Dave", user="UCAROL")
    clock.advance(hours=1)
    data = run(slack, f"block {item_id} Waiting for staging environment access", user="UBOB")
    blocked = item(bot, item_id)
    assert (blocked.status, blocked.blocked_from) == ("blocked", "in_progress")
    assert blocked.status_reason == "Waiting for staging environment access"
    bot.deliver()
    assert any("blocked this item" in t for t in dms(fake_slack, "UALICE")), "the reporter hears of the block"

    run(slack, f"unblock {item_id}", user="UBOB")
    assert item(bot, item_id).status == "in_progress", "unblocking returns to where it was"
    run(slack, f'criteria {item_id} add "Startup completes without DeterministicStartupError"', user="UDAVE")
    run(slack, f'criteria {item_id} add "WebSocket manager is an instance, not a coroutine"', user="UDAVE")
    run(slack, f'evidence {item_id} commit abc123f "Awaits the manager in smd.py"', user="UBOB")
    run(slack, f"evidence {item_id} test tests/test_startup.py::test_websocket_manager", user="UBOB")
    clock.advance(hours=2)
    data = run(slack, f"track {item_id} --status completed", user="UBOB")
    assert item(bot, item_id).status == "completed" and item(bot, item_id).completed_at == clock()

    # Four eyes: the owner may not validate their own fix, by command or by a submitted form.
    refused(run(slack, f"validate {item_id}", user="UBOB"), "You own", "four eyes")
    assert not fake_slack.calls_to("views.open")

    assert slack.command("/remediate", f"validate {item_id}", user="UCAROL").status == 200
    modal = fake_slack.wait_for(
        lambda: next(
            (v for v in fake_slack.views.values() if v["callback_id"] == View.ITEM_VALIDATE.value), None
        )
    )
    assert "Startup completes" in str(modal["blocks"])
    values = {
        f"{ItemInput.CHECKLIST.value}_0": {f"{ItemInput.CHECKLIST.value}_0": checkboxes(["0", "1"])},
        ItemInput.PREVENTION.value: {
            ItemInput.PREVENTION.value: plain_value("Added startup integration tests")
        },
        ItemInput.EVIDENCE.value: {
            ItemInput.EVIDENCE.value: plain_value("link https://ci.example.com/run/42 green")
        },
        ItemInput.OUTCOME.value: {ItemInput.OUTCOME.value: radio("pass")},
        ItemInput.REASON.value: {ItemInput.REASON.value: plain_value(None)},
    }
    before = domain_snapshot(bot)
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UBOB")  # the owner, forged
    assert reply.json()["response_action"] == "errors" and "four eyes" in str(reply.json()["errors"])
    assert domain_snapshot(bot) == before

    clock.advance(minutes=30)
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UCAROL")
    assert reply.status == 200 and not reply.json(), reply.text
    done = item(bot, item_id)
    assert (done.status, done.validated_by, done.validated_at) == ("validated", "UCAROL", clock())
    assert all(c["done"] for c in done.criteria)
    assert done.prevention == ["Added startup integration tests"]
    assert [e["kind"] for e in done.evidence] == ["commit", "test", "link"]

    kinds = [(e.kind, e.actor_id, (e.data or {}).get("to")) for e in events(bot, item_id)]
    assert kinds == [
        ("created", "UALICE", None),
        ("note", "UALICE", None),
        ("updated", "UBOB", datetime.fromisoformat(started.deadline.isoformat()).isoformat()),
        ("status", "UBOB", "in_progress"),
        ("note", "UBOB", None),
        ("note", "UCAROL", None),
        ("status", "UBOB", "blocked"),
        ("status", "UBOB", "in_progress"),
        ("criterion", "UDAVE", None),
        ("criterion", "UDAVE", None),
        ("evidence", "UBOB", None),
        ("evidence", "UBOB", None),
        ("status", "UBOB", "completed"),
        ("checklist", "UCAROL", None),
        ("prevention", "UCAROL", None),
        ("evidence", "UCAROL", None),
        ("validated", "UCAROL", "validated"),
    ]
    shown = run(slack, f"show {item_id}", user="UDAVE")
    assert "Validated" in shown["text"] and "Validated" in str(shown["blocks"])


def test_an_invalid_transition_is_refused_names_the_allowed_ones_and_changes_nothing(bot, slack):
    item_id = create(slack, '"Rotate the leaked key" --priority P1', user="UALICE")
    before = domain_snapshot(bot)
    text = refused(
        run(slack, f"track {item_id} --status completed --note done", user="UALICE"),
        "cannot go from Identified to Completed",
        "Planned",
        "In Progress",
    )
    assert "Blocked" in text and "Cancelled" in text
    refused(run(slack, f"track {item_id} --status validated", user="UALICE"), "Identified")
    assert domain_snapshot(bot) == before
    run(slack, f"cancel {item_id} Superseded by a vendor fix", user="UALICE")
    refused(run(slack, f"unblock {item_id}", user="UALICE"), "Cancelled is final")


def test_a_completed_item_can_only_become_validated_through_validate(bot, slack):
    item_id = create(
        slack, '"Add health check for manager" --priority P2 --status in_progress', user="UALICE"
    )
    run(slack, f"track {item_id} --status completed", user="UALICE")
    refused(run(slack, f"track {item_id} --status validated", user="UALICE"), "/remediate validate")


def test_failed_validation_sends_the_item_back_with_the_reason_and_tells_owner_and_reporter(
    bot, slack, fake_slack
):
    item_id = create(
        slack, f'"Fix the pool leak" --priority P1 --owner {BOB} --status in_progress', user="UALICE"
    )
    run(slack, f'criteria {item_id} add "No leaked connections after 1h soak"', user="UALICE")
    run(slack, f"track {item_id} --status completed", user="UBOB")
    assert slack.command("/remediate", f"validate {item_id}", user="UCAROL").status == 200
    values = {
        f"{ItemInput.CHECKLIST.value}_0": {f"{ItemInput.CHECKLIST.value}_0": checkboxes([])},
        ItemInput.OUTCOME.value: {ItemInput.OUTCOME.value: radio("pass")},
    }
    # Passing with an unticked criterion is refused next to the checklist, and no prevention measure either.
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UCAROL")
    assert reply.json()["response_action"] == "errors"
    assert f"{ItemInput.CHECKLIST.value}_0" in reply.json()["errors"]
    values[f"{ItemInput.CHECKLIST.value}_0"] = {f"{ItemInput.CHECKLIST.value}_0": checkboxes(["0"])}
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UCAROL")
    assert ItemInput.PREVENTION.value in reply.json()["errors"]
    # Failing needs a reason.
    values[ItemInput.OUTCOME.value] = {ItemInput.OUTCOME.value: radio("fail")}
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UCAROL")
    assert ItemInput.REASON.value in reply.json()["errors"]
    values[ItemInput.REASON.value] = {
        ItemInput.REASON.value: plain_value("Still leaks 2 connections per hour")
    }
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UCAROL")
    assert not reply.json()
    back = item(bot, item_id)
    assert back.status == "in_progress" and back.completed_at is None
    assert back.status_reason == "Still leaks 2 connections per hour"
    last = events(bot, item_id)[-1]
    assert last.kind == "validation_failed" and "Still leaks" in last.summary
    bot.deliver()
    for person in ("UBOB", "UALICE"):
        assert any("did not validate" in t for t in dms(fake_slack, person)), person
    assert not any("did not validate" in t for t in dms(fake_slack, "UCAROL")), "not the person who acted"


def test_assign_and_reassign_tell_new_and_previous_owner_and_the_reporter(bot, slack, fake_slack):
    item_id = create(slack, '"Alert on health check failures" --priority P2', user="UALICE")
    run(slack, f"assign {item_id} {BOB}", user="UALICE")
    run(slack, f"assign {item_id} <@UDAVE|dave>", user="UBOB")  # the owner hands it on
    run(slack, f"reassign {item_id} @carol", user="UALICE")  # the reporter moves it again, by name
    assert item(bot, item_id).owner_id == "UCAROL"
    bot.deliver()
    assert any("made <@UBOB> the owner" in t for t in dms(fake_slack, "UBOB"))
    assert any("made <@UDAVE> the owner" in t for t in dms(fake_slack, "UDAVE"))
    assert any("made <@UDAVE> the owner" in t for t in dms(fake_slack, "UALICE")), "the reporter hears"
    assert any("reassigned this item from you to <@UCAROL>" in t for t in dms(fake_slack, "UDAVE"))
    assert any("made <@UCAROL> the owner" in t for t in dms(fake_slack, "UCAROL"))
    assert not any("reassigned" in t for t in dms(fake_slack, "UBOB")), "nobody is told of their own change"
    assert [e.kind for e in events(bot, item_id)][-3:] == ["assigned", "assigned", "assigned"]


def test_status_at_creation_and_defaults(bot, slack, settings_overrides):
    item_id = create(
        slack,
        '"Investigate flaky startup" --priority P1 --status in_progress --users 1,200 '
        "--availability 2.5% --mrr 50k --kind detective --incident inc-20261123-001",
        user="UALICE",
    )
    found = item(bot, item_id)
    assert (found.status, found.users_affected, found.availability_impact) == ("in_progress", 1200, 2.5)
    assert (found.mrr_at_risk, found.kind, found.incident_id) == (50000, "detective", "INC-20261123-001")
    assert found.deadline == datetime(2026, 11, 26, 14, 0, tzinfo=UTC), "P1 default: 72 h"
    assert count(bot, "remediation_item") == 1


@pytest.mark.parametrize("settings_overrides", [{"allow_self_validation": True, "monthly_revenue": 200000}])
def test_self_validation_when_allowed_and_mrr_from_monthly_revenue(bot, slack, fake_slack):
    item_id = create(
        slack, '"Own fix" --priority P0 --owner <@UALICE|alice> --status in_progress', user="UALICE"
    )
    assert item(bot, item_id).mrr_at_risk == 20000, "P0: 10 % of MONTHLY_REVENUE"
    run(slack, f'prevent {item_id} "Added a regression test"', user="UALICE")
    run(slack, f"track {item_id} --status completed", user="UALICE")
    assert slack.command("/remediate", f"validate {item_id}", user="UALICE").status == 200
    values = {ItemInput.OUTCOME.value: {ItemInput.OUTCOME.value: radio("pass")}}
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UALICE")
    assert not reply.json(), reply.text
    assert item(bot, item_id).validated_by == "UALICE"
