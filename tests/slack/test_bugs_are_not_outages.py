"""A bug is never reported as "Slack is down", and Slack being down is never reported as a bug.

Where the bot can do without Slack's answer (a message's permalink, a person's time zone, who is in an
admin group) it catches only what a failing Slack raises (`bot.services.people.SLACK_DOWN`): Slack saying
no, or not answering. Anything else inside the same call (here a TypeError, as a coding slip would raise)
reaches the one error handler, which logs the trace and gives the person a reference.

A private answer (`bot.slack.replies`) goes on the payload's response URL when it is Slack's, else with
chat.postEphemeral where the button was pressed.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.deps import InstrumentedWebClient
from bot.slack.ids import Action, Shortcut, View
from tests.slack.item_steps import run

TRACK = 'track new "Rotate the keys" --priority P2 --deadline tomorrow'
BUG = "unsupported operand type(s) for +: 'int' and 'str'"


@pytest.fixture
def bug_in(monkeypatch):
    """Make every call of the Web API method `name` fail as a bug in the code around it would."""

    def patch(name: str) -> None:
        def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise TypeError(BUG)

        monkeypatch.setattr(InstrumentedWebClient, name, broken)

    return patch


def _unhandled(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and "unhandled error" in r.getMessage()]


def _opened(fake_slack, callback_id: str) -> list[dict[str, Any]]:
    return [v for v in fake_slack.views.values() if v.get("callback_id") == callback_id]


# ---- the track-message shortcut: a permalink it can do without ------------------------------------------


def test_slack_refusing_the_permalink_still_opens_the_form(bot, slack, fake_slack, caplog):
    caplog.set_level(logging.INFO)
    fake_slack.fail("chat.getPermalink", error="internal_error")

    assert slack.shortcut(Shortcut.TRACK_MESSAGE.value, message="Disk filled up").status == 200

    [modal] = _opened(fake_slack, View.ITEM_CREATE.value)
    assert "Disk filled up" in str(modal["blocks"])
    assert not _unhandled(caplog)
    assert not fake_slack.responses  # nothing to apologise for


def test_a_bug_around_the_permalink_is_reported_as_ours_not_as_slack_down(
    bot, slack, fake_slack, caplog, bug_in
):
    caplog.set_level(logging.INFO)
    bug_in("chat_getPermalink")

    assert slack.shortcut(Shortcut.TRACK_MESSAGE.value, message="Disk filled up").status == 200

    assert not _opened(fake_slack, View.ITEM_CREATE.value)  # the listener stopped where the bug is
    [logged] = _unhandled(caplog)
    assert logged.exc_info and isinstance(logged.exc_info[1], TypeError)
    [answer] = fake_slack.wait_for(lambda: fake_slack.responses, message="the error handler's note")
    assert "Something went wrong on our side" in answer["text"] and "reference" in answer["text"]
    assert "Slack did not answer" not in answer["text"]


# ---- a person's time zone: users.info ---------------------------------------------------------------------


def test_slack_down_for_users_info_answers_in_the_workspace_time_zone(bot, slack, fake_slack, caplog):
    caplog.set_level(logging.INFO)
    fake_slack.fail("users.info", status=503, times=50)

    reply = run(slack, TRACK, user="UBOB")

    assert "Rotate the keys" in str(reply), reply
    assert not _unhandled(caplog)


def test_a_bug_in_reading_a_person_is_not_taken_for_slack_down(bot, slack, fake_slack, caplog, bug_in):
    caplog.set_level(logging.INFO)
    bug_in("users_info")

    reply = slack.command("/remediate", TRACK, user="UBOB")

    assert reply.status == 200
    text = reply.json()["text"]
    assert "Something went wrong on our side" in text and "Slack did not answer" not in text
    [logged] = _unhandled(caplog)
    assert logged.exc_info and isinstance(logged.exc_info[1], TypeError)


# ---- private answers: the response URL, else chat.postEphemeral -------------------------------------------


def _press_without_response_url(slack, action_id: str, value: str, *, channel: str = "CGENERAL") -> Any:
    """A signed press of a button in a message that came with no response URL."""
    payload = {
        "type": "block_actions",
        **slack._common("UALICE"),
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": channel},
        "channel": slack._channel(channel),
        "trigger_id": slack._trigger("UALICE"),
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value}],
    }
    return slack._post_payload(payload)


def test_a_refusal_without_a_response_url_is_posted_ephemerally_where_the_button_was(bot, slack, fake_slack):
    reply = _press_without_response_url(slack, Action.INCIDENT_ACK.value, "INC-20990101-001")

    assert reply.status == 200
    [said] = fake_slack.ephemerals("CGENERAL")
    assert said["user"] == "UALICE" and said["text"].startswith(":warning:")
    assert "INC-20990101-001" in said["text"]
    assert not fake_slack.responses


def test_slack_refusing_the_ephemeral_answer_is_logged_not_raised(bot, slack, fake_slack, caplog):
    caplog.set_level(logging.INFO)
    fake_slack.fail("chat.postEphemeral", error="channel_not_found")

    reply = _press_without_response_url(slack, Action.INCIDENT_ACK.value, "INC-20990101-001")

    assert reply.status == 200
    assert not fake_slack.ephemerals() and not fake_slack.responses
    assert not _unhandled(caplog)
    assert any("could not answer UALICE privately" in r.getMessage() for r in caplog.records)


def test_a_bug_while_answering_privately_reaches_the_error_handler(bot, slack, fake_slack, caplog, bug_in):
    caplog.set_level(logging.INFO)
    bug_in("chat_postEphemeral")

    reply = _press_without_response_url(slack, Action.INCIDENT_ACK.value, "INC-20990101-001")

    assert reply.status == 200
    [logged] = _unhandled(caplog)
    assert logged.exc_info and isinstance(logged.exc_info[1], TypeError)
    assert not fake_slack.responses  # the press had no response URL, and the note makes no Web API call
