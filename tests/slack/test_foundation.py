"""The foundation, end to end: signed HTTP into the real app, answers within Slack's rules."""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import urlencode

from tests.fakes.signing import sign_request
from tests.support import SIGNING_SECRET, snapshot


def _command_body(text: str) -> bytes:
    return urlencode(
        {
            "command": "/remediate",
            "text": text,
            "user_id": "UALICE",
            "user_name": "alice",
            "team_id": "T0001",
            "channel_id": "CGENERAL",
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:9/none",
        }
    ).encode()


def test_bad_signature_is_refused_with_401_and_changes_nothing(bot, slack):
    before = snapshot(bot.deps.engine)
    reply = slack.post_raw(
        _command_body('track new "Fix it" --priority P0'),
        content_type="application/x-www-form-urlencoded",
        signature="v0=" + "0" * 64,
    )
    assert reply.status == 401
    assert snapshot(bot.deps.engine) == before


def _post_help_signed_at(slack, timestamp: int):
    """`/remediate help`, correctly signed for `timestamp`."""
    body = _command_body("help")
    return slack.post_raw(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=timestamp,
        signature=sign_request(SIGNING_SECRET, timestamp, body),
    )


def test_stale_timestamp_is_refused_with_401(bot, slack):
    old = int(time.time()) - 6 * 60  # Slack's window is five minutes
    reply = _post_help_signed_at(slack, old)
    assert reply.status == 401


def test_correctly_signed_request_is_accepted(bot, slack):
    reply = _post_help_signed_at(slack, int(time.time()))
    assert reply.status == 200


def test_help_answers_ephemerally_within_slacks_window(bot, slack):
    started = time.monotonic()
    reply = slack.command("/remediate", "help", user="UALICE")
    elapsed = time.monotonic() - started
    assert reply.status == 200
    data = reply.json()
    assert data["response_type"] == "ephemeral"
    assert "/remediate" in data["text"]
    assert data["blocks"], "help is rendered as blocks"
    # Slack's protocol limit, not a performance target (those live in bench/).
    assert elapsed < 3.0


def test_remediate_alone_shows_help(bot, slack):
    data = slack.command("/remediate", "", user="UALICE").json()
    assert data["response_type"] == "ephemeral"
    assert "commands" in data["text"]


def test_unknown_subcommand_gets_error_and_help(bot, slack):
    before = snapshot(bot.deps.engine)
    data = slack.command("/remediate", "frobnicate now", user="UALICE").json()
    assert data["response_type"] == "ephemeral"
    assert "frobnicate" in data["text"] and "not a command I know" in data["text"]
    rendered = json.dumps(data["blocks"])
    assert "not a command I know" in rendered
    assert "help" in rendered
    assert snapshot(bot.deps.engine) == before


def test_unknown_subcommand_text_is_escaped(bot, slack):
    data = slack.command("/remediate", "<!channel>", user="UALICE").json()
    rendered = json.dumps(data)
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_incident_help(bot, slack):
    data = slack.command("/incident", "help", user="UBOB").json()
    assert data["response_type"] == "ephemeral"
    assert "/incident" in data["text"]


def test_url_verification_challenge(bot, slack):
    reply = slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert reply.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in reply.text


def test_healthz_and_metrics(bot, slack):
    slack.command("/remediate", "help", user="UALICE")
    with urllib.request.urlopen(bot.url + "/healthz") as resp:
        assert resp.status == 200
        assert resp.read() == b"ok\n"
    with urllib.request.urlopen(bot.url + "/metrics") as resp:
        body = resp.read().decode()
    assert 'remediate_commands_total{command="/remediate"' in body
    assert "remediate_outbox_depth" in body


def test_home_tab_is_published_on_app_home_opened(bot, slack, fake_slack):
    reply = slack.event({"type": "app_home_opened", "user": "UALICE", "channel": "DALICE", "tab": "home"})
    assert reply.status == 200
    view = fake_slack.wait_for(lambda: fake_slack.home("UALICE"))
    assert view["type"] == "home"
