"""Two ways round the rules, closed end to end through signed HTTP.

Four eyes: nobody who owned an item since it last entered In Progress, and nobody who marked it Completed,
may validate it. The owner who completes her item and hands it to someone else, and the reporter who
completes an item somebody else owns, are refused by `/remediate validate`, by the card's Validate button and
by a validation form submitted anyway, each saying why, with the database as it was.

Replays: the same signed slash command delivered three times (a proxy retrying, an attacker replaying) acts
once: one item, one note, one DM. The copies are answered "already done", in sequence or racing each other,
on SQLite and on PostgreSQL.

The cast: Alice reports the items, Bob owns them, Carol and Dave are teammates.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from bot.services.people.users import get_person
from bot.slack.dedupe import REPEATED_COMMAND
from bot.slack.ids import Action, ItemInput, View
from tests.fakes.signing import (
    VERIFICATION_TOKEN,
    SlackDriver,
    checkboxes,
    plain_value,
    sign_request,
    static_select,
)
from tests.fakes.slack_api import APP_ID, TEAM_DOMAIN
from tests.slack.incident_steps import declare, settle
from tests.slack.item_steps import count, create, domain_snapshot, item, press_ephemeral, run
from tests.support import SIGNING_SECRET

BOB = "<@UBOB|bob>"


def quiet_snapshot(bot: Any) -> dict[str, Any]:
    settle(bot)
    return domain_snapshot(bot)


def latest_response(fake: Any) -> dict[str, Any]:
    return fake.wait_for(
        lambda: fake.responses and fake.responses[-1], message="an answer on the response URL"
    )


def validation_form() -> dict[str, Any]:
    return {
        f"{ItemInput.CHECKLIST.value}_0": {f"{ItemInput.CHECKLIST.value}_0": checkboxes(["0"])},
        ItemInput.PREVENTION.value: {ItemInput.PREVENTION.value: plain_value("Integration test added")},
        ItemInput.EVIDENCE.value: {ItemInput.EVIDENCE.value: plain_value("commit abc123f")},
        ItemInput.OUTCOME.value: {ItemInput.OUTCOME.value: static_select("pass")},
        ItemInput.REASON.value: {ItemInput.REASON.value: plain_value(None)},
    }


def submit_validation(slack: SlackDriver, item_id: str, user: str) -> Any:
    meta = json.dumps({"id": item_id, "n": 1, "surface": {"kind": "none"}})
    return slack.view_submission(
        View.ITEM_VALIDATE.value, validation_form(), user=user, private_metadata=meta
    )


def refused_everywhere(bot: Any, slack: SlackDriver, fake: Any, item_id: str, user: str, why: str) -> None:
    """`user` may not validate `item_id` by command, by the card's button or by a submitted form; each
    refusal says `why` and four eyes, no form opens, and the database stays as it was."""
    before = quiet_snapshot(bot)
    opened = len(fake.calls_to("views.open"))
    answer = run(slack, f"validate {item_id}", user=user)["text"]
    assert why in answer and "four eyes" in answer, answer
    card = run(slack, f"show {item_id}", user=user)["blocks"]
    press_ephemeral(slack, fake, card, Action.ITEM_VALIDATE.value, user=user)
    answer = latest_response(fake)["text"]
    assert why in answer and "four eyes" in answer, answer
    assert len(fake.calls_to("views.open")) == opened, "no validation form opened"
    reply = submit_validation(slack, item_id, user)
    errors = json.dumps(reply.json()["errors"])
    assert reply.json()["response_action"] == "errors" and why in errors and "four eyes" in errors
    assert quiet_snapshot(bot) == before
    assert item(bot, item_id).status == "completed"


def validated_by(bot: Any, slack: SlackDriver, item_id: str, user: str) -> None:
    assert submit_validation(slack, item_id, user).json() is None
    done = item(bot, item_id)
    assert (done.status, done.validated_by) == ("validated", user)


@pytest.fixture
def item_id(slack) -> str:
    """An item Alice reported and Bob owns, with one success criterion, not started yet."""
    found = create(slack, f'"Fix the async chain" --priority P1 --owner {BOB}', user="UALICE")
    run(slack, f'criteria {found} add "No errors for a day"', user="UALICE")
    return found


# ---- four eyes ------------------------------------------------------------------------------------------


def test_an_owner_who_completed_her_item_and_handed_it_on_cannot_validate_it(bot, slack, fake_slack, item_id):
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    run(slack, f"track {item_id} --status completed", user="UBOB")
    assert "now belongs to <@UCAROL>" in run(slack, f"assign {item_id} <@UCAROL|carol>", user="UBOB")["text"]

    refused_everywhere(
        bot, slack, fake_slack, item_id, "UBOB", f"You owned {item_id} while it was in progress"
    )
    refused_everywhere(bot, slack, fake_slack, item_id, "UCAROL", f"You own {item_id}")
    validated_by(bot, slack, item_id, "UDAVE")


def test_a_reporter_who_completed_an_item_someone_else_owns_cannot_validate_it(
    bot, slack, fake_slack, item_id
):
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    assert "Updated" in run(slack, f"track {item_id} --status completed", user="UALICE")["text"]

    refused_everywhere(bot, slack, fake_slack, item_id, "UALICE", f"You marked {item_id} completed")
    refused_everywhere(bot, slack, fake_slack, item_id, "UBOB", f"You own {item_id}")
    validated_by(bot, slack, item_id, "UCAROL")


def test_an_owner_from_before_the_work_started_may_validate(bot, slack, item_id):
    run(slack, f"assign {item_id} <@UCAROL|carol>", user="UBOB")
    run(slack, f"track {item_id} --status in_progress", user="UCAROL")
    run(slack, f"track {item_id} --status completed", user="UCAROL")
    validated_by(bot, slack, item_id, "UBOB")


@pytest.mark.parametrize("settings_overrides", [{"allow_self_validation": True}])
def test_both_detours_are_allowed_when_the_workspace_allows_self_validation(bot, slack, item_id):
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    run(slack, f"track {item_id} --status completed", user="UALICE")
    run(slack, f"assign {item_id} <@UCAROL|carol>", user="UBOB")
    validated_by(bot, slack, item_id, "UBOB")


# ---- replayed slash commands --------------------------------------------------------------------------


def signed_command(slack: SlackDriver, fake: Any, command: str, text_: str, *, user: str) -> dict[str, Any]:
    """One slash command as Slack signs and sends it: the exact body and headers, to deliver again."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": slack.team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": "CGENERAL",
        "channel_name": "general",
        "user_id": user,
        "user_name": fake.user_info(user)["name"],
        "command": command,
        "text": text_,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": fake.new_response_url(channel="CGENERAL", user=user),
        "trigger_id": fake.new_trigger_id(user=user),
    }
    body = urlencode(fields).encode("utf-8")
    timestamp = str(int(time.time()))
    return {"body": body, "timestamp": timestamp, "signature": sign_request(SIGNING_SECRET, timestamp, body)}


def deliver(slack: SlackDriver, request: dict[str, Any]) -> dict[str, Any]:
    reply = slack.post_raw(
        request["body"],
        content_type="application/x-www-form-urlencoded",
        timestamp=request["timestamp"],
        signature=request["signature"],
    )
    assert reply.status == 200, reply.text
    return reply.json() or {}


def thrice(slack: SlackDriver, fake: Any, command: str, text_: str, *, user: str) -> list[dict[str, Any]]:
    request = signed_command(slack, fake, command, text_, user=user)
    return [deliver(slack, request) for _ in range(3)]


def command_claims(bot: Any) -> int:
    with bot.deps.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM claim WHERE key LIKE 'command:%'")).scalar_one())


def dms(bot: Any, fake: Any, user: str, needle: str) -> list[str]:
    settle(bot)
    return [p["text"] for p in fake.posts(user) if needle in p["text"]]


@pytest.mark.both_backends
def test_a_create_delivered_three_times_makes_one_item_and_one_dm(bot, slack, fake_slack, backend):
    first, *again = thrice(
        slack, fake_slack, "/remediate", f'track new "Fix the pool" --owner {BOB}', user="UALICE"
    )
    assert "Created" in first["text"], first
    for reply in again:
        assert reply["text"] == REPEATED_COMMAND and reply["response_type"] == "ephemeral"
    assert count(bot, "remediation_item") == 1
    assert len(dms(bot, fake_slack, "UBOB", "made you the owner")) == 1
    assert command_claims(bot) == 1


@pytest.mark.both_backends
def test_three_copies_racing_each_other_make_one_item(bot, fake_slack, backend):
    for person in ("UALICE", "UBOB"):  # the users.info cache filled first: the copies meet at the claim only
        get_person(bot.deps, person)
    drivers = [SlackDriver(bot.url, SIGNING_SECRET, fake=fake_slack) for _ in range(3)]
    request = signed_command(
        drivers[0], fake_slack, "/remediate", f'track new "Fix the race" --owner {BOB}', user="UALICE"
    )
    start, replies = threading.Barrier(3), []

    def send(driver: SlackDriver) -> None:
        start.wait()
        replies.append(deliver(driver, request))

    threads = [threading.Thread(target=send, args=(d,)) for d in drivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for driver in drivers:
        driver.close()
    texts = sorted(r["text"] for r in replies)
    assert len(texts) == 3 and sum("Created" in t for t in texts) == 1, texts
    assert texts.count(REPEATED_COMMAND) == 2
    assert count(bot, "remediation_item") == 1
    assert len(dms(bot, fake_slack, "UBOB", "made you the owner")) == 1


# Every command that changes something, from a state where it is allowed; {id} is the item or incident.
ITEM_COMMANDS = [
    ("track {id} --status in_progress --note started", None),
    ("note {id} Seen again in prod", None),
    ("assign {id} <@UCAROL|carol>", None),
    ("reassign {id} <@UDAVE|dave>", None),
    ("block {id} Waiting for staging access", None),
    ("unblock {id} Access granted", "block {id} waiting"),
    ("cancel {id} Superseded", None),
    ("evidence {id} commit abc123f", None),
    ('criteria {id} add "Startup completes"', None),
    ('prevent {id} "Alert on errors"', None),
]
INCIDENT_COMMANDS = [
    ('update {id} identified "Found the bad deploy"', None),
    ("ack {id}", None),
    ('resolve {id} "root cause: bad config; fixed by a rollback"', None),
    ('reopen {id} "errors are back"', 'resolve {id} "root cause: bad config; fixed by a rollback"'),
    ("assign {id} <@UBOB>", None),
    ('close {id} --waive "the rollback removes the cause"', 'resolve {id} "rolled back"'),
    ("postmortem {id}", None),
]


@pytest.mark.parametrize(("command", "setup"), ITEM_COMMANDS, ids=[c.split()[0] for c, _ in ITEM_COMMANDS])
def test_every_item_command_acts_once(bot, slack, fake_slack, item_id, command, setup):
    if setup:
        run(slack, setup.format(id=item_id), user="UALICE")
    settle(bot)
    request = signed_command(slack, fake_slack, "/remediate", command.format(id=item_id), user="UALICE")
    first = deliver(slack, request)
    assert ":warning:" not in json.dumps(first), first
    after_first, posts = quiet_snapshot(bot), len(fake_slack.posts())
    again = [deliver(slack, request) for _ in range(2)]
    assert all(r["text"] == REPEATED_COMMAND for r in again), again
    assert quiet_snapshot(bot) == after_first, "no second note, change or DM"
    assert len(fake_slack.posts()) == posts


@pytest.mark.parametrize(
    ("command", "setup"), INCIDENT_COMMANDS, ids=[c.split()[0] for c, _ in INCIDENT_COMMANDS]
)
def test_every_incident_command_acts_once(bot, slack, fake_slack, command, setup):
    inc = declare(slack, fake_slack, bot, severity="P2")
    if setup:
        assert slack.command("/incident", setup.format(id=inc.id), user="UALICE").status == 200
    settle(bot)
    request = signed_command(slack, fake_slack, "/incident", command.format(id=inc.id), user="UALICE")
    first = deliver(slack, request)
    assert ":warning:" not in json.dumps(first) and "Something went wrong" not in first["text"], first
    after_first, posts = quiet_snapshot(bot), len(fake_slack.posts())
    again = [deliver(slack, request) for _ in range(2)]
    assert all(r["text"] == REPEATED_COMMAND for r in again), again
    assert quiet_snapshot(bot) == after_first, "no second update, page or post"
    assert len(fake_slack.posts()) == posts


@pytest.mark.parametrize(
    ("command", "text_", "callback"),
    [
        ("/remediate", "track", View.ITEM_CREATE),
        ("/remediate", "validate {id}", View.ITEM_VALIDATE),
        ("/incident", "", View.INCIDENT_DECLARE),
    ],
)
def test_a_command_that_opens_a_form_opens_it_once_and_answers_copies_quietly(
    bot, slack, fake_slack, item_id, command, text_, callback
):
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    run(slack, f"track {item_id} --status completed", user="UBOB")
    first, *again = thrice(slack, fake_slack, command, text_.format(id=item_id), user="UCAROL")
    assert not first.get("text"), first  # the form is the answer
    assert [v["callback_id"] for v in fake_slack.views.values()] == [callback.value]
    assert len(fake_slack.calls_to("views.open")) == 1
    assert all(r["text"] == REPEATED_COMMAND for r in again), again


def test_refused_and_read_only_commands_claim_nothing_and_answer_every_copy(bot, slack, fake_slack, item_id):
    before, claims = quiet_snapshot(bot), command_claims(bot)
    assert claims == 2, "the item's creation and its criterion"
    for reply in thrice(slack, fake_slack, "/remediate", f"block {item_id} I do not like it", user="UDAVE"):
        assert ":warning:" in json.dumps(reply) and "<@UBOB> (owner)" in reply["text"], reply
    for reply in thrice(slack, fake_slack, "/remediate", f"show {item_id}", user="UDAVE"):
        assert item_id in reply["text"], reply
    assert quiet_snapshot(bot) == before  # not even a claim
