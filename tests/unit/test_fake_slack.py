"""The test rig's fake Slack behaves like Slack, seen through the real slack_sdk and slack_bolt."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

import cheroot.wsgi
import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes import slack_api
from tests.fakes.blockkit_limits import validate_blocks, validate_view
from tests.fakes.sdk_models import sdk_message_errors, sdk_view_errors
from tests.fakes.signing import (
    SlackDriver,
    checkboxes,
    datetimepicker,
    multi_users_select,
    plain_value,
    sign_request,
    static_select,
    users_select,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import SocketModeStandIn

SECRET = "test-signing-secret"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeSlack]:
    with FakeSlack(burst=3, clock=clock) as f:
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.url, token=fake.token, timeout=5)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, text: str = "Go", value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def modal(title: str = "Declare incident", blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks or [], **extra}


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


# ---- auth and request decoding ---------------------------------------------------------------------


def test_auth_errors_and_identity(fake: FakeSlack, client: WebClient) -> None:
    me = client.auth_test()
    assert (me["team_id"], me["user_id"], me["bot_id"]) == ("T0001", "UBOT", "BBOT")
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=fake.url).auth_test()
    assert slack_error(missing) == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(base_url=fake.url, token="xoxb-wrong").auth_test()
    assert slack_error(wrong) == "invalid_auth"
    assert wrong.value.response.status_code == 200
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("chat.teleport")
    assert slack_error(unknown) == "unknown_method"
    with pytest.raises(SlackApiError) as app_token:
        WebClient(base_url=fake.url, token=fake.app_token).chat_postMessage(channel="C1", text="x")
    assert slack_error(app_token) == "not_allowed_token_type"


def test_form_body_with_token_param_and_json_string_blocks(fake: FakeSlack) -> None:
    blocks = [section("*SEV1* declared")]
    form = {"token": fake.token, "channel": "CINC", "text": "SEV1 declared", "blocks": json.dumps(blocks)}
    req = urllib.request.Request(fake.url + "chat.postMessage", data=urllib.parse.urlencode(form).encode())
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = json.load(resp)
    assert body["ok"] is True
    assert fake.messages("CINC")[0]["blocks"] == blocks
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == blocks


def test_token_inside_a_json_body_is_ignored_as_on_slack(fake: FakeSlack) -> None:
    req = urllib.request.Request(
        fake.url + "chat.postMessage",
        data=json.dumps({"token": fake.token, "channel": "C1", "text": "x"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.load(resp) == {"ok": False, "error": "not_authed"}


# ---- messages --------------------------------------------------------------------------------------


def test_post_update_delete_and_permalink(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="CINC", text="one")
    second = client.chat_postMessage(channel="CINC", text="two", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert [m["text"] for m in fake.messages("CINC")] == ["one", "two"]
    assert fake.messages("CINC")[1]["thread_ts"] == first["ts"]

    client.chat_update(channel="CINC", ts=first["ts"], text="one (resolved)", blocks=[section("resolved")])
    assert fake.messages("CINC")[0]["text"] == "one (resolved)"
    assert [v["text"] for v in fake.edit_history("CINC", first["ts"])] == ["one"]
    with pytest.raises(SlackApiError) as gone:
        client.chat_update(channel="CINC", ts="1.000001", text="x")
    assert slack_error(gone) == "message_not_found"

    link = client.chat_getPermalink(channel="CINC", message_ts=second["ts"])["permalink"]
    assert link.endswith(f"/archives/CINC/p{second['ts'].replace('.', '')}?thread_ts={first['ts']}&cid=CINC")

    client.chat_delete(channel="CINC", ts=second["ts"])
    assert [m["ts"] for m in fake.messages("CINC")] == [first["ts"]]


def test_people_messages_cannot_be_edited_by_the_bot(fake: FakeSlack, client: WebClient) -> None:
    ts = fake.add_message("CINC", "prod is down", user="UALICE")
    with pytest.raises(SlackApiError) as update:
        client.chat_update(channel="CINC", ts=ts, text="hijacked")
    assert slack_error(update) == "cant_update_message"
    with pytest.raises(SlackApiError) as delete:
        client.chat_delete(channel="CINC", ts=ts)
    assert slack_error(delete) == "cant_delete_message"


def test_content_rules(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as empty:
        client.chat_postMessage(channel="C1")
    assert slack_error(empty) == "no_text"
    with pytest.raises(SlackApiError) as fallback:
        client.chat_postMessage(channel="C1", text=" ", blocks=[section("hi")])
    assert slack_error(fallback) == "missing_fallback_text"
    with pytest.raises(SlackApiError) as update_fallback:
        ts = client.chat_postMessage(channel="C1", text="ok")["ts"]
        client.chat_update(channel="C1", ts=ts, text="", blocks=[section("hi")])
    assert slack_error(update_fallback) == "missing_fallback_text"
    with pytest.raises(SlackApiError) as too_long:
        client.chat_postMessage(channel="C2", text="x" * 40_001)
    assert slack_error(too_long) == "msg_too_long"
    assert [m["text"] for m in fake.messages()] == ["ok"]


def test_channels_and_membership(fake: FakeSlack, client: WebClient) -> None:
    fake.missing_channels.add("CGONE")
    fake.not_in_channels.add("CPRIV")
    with pytest.raises(SlackApiError) as missing:
        client.chat_postMessage(channel="CGONE", text="x")
    assert slack_error(missing) == "channel_not_found"
    with pytest.raises(SlackApiError) as outside:
        client.chat_postMessage(channel="CPRIV", text="x")
    assert slack_error(outside) == "not_in_channel"
    assert client.conversations_join(channel="CPRIV")["channel"]["is_member"] is True
    client.chat_postMessage(channel="CPRIV", text="now inside")
    assert fake.posts("CPRIV") == [{"channel": "CPRIV", "text": "now inside"}]
    with pytest.raises(SlackApiError) as nobody:
        client.chat_postMessage(channel="UNOBODY", text="x")
    assert slack_error(nobody) == "channel_not_found"


def test_dm_by_user_id_lands_in_a_stable_im(fake: FakeSlack, client: WebClient) -> None:
    opened = client.conversations_open(users="UALICE")
    again = client.conversations_open(users="UALICE")
    assert opened["channel"]["id"] == again["channel"]["id"]
    assert opened["channel"]["id"].startswith("D") and again["already_open"] is True
    posted = client.chat_postMessage(channel="UALICE", text="you own action item 3")
    assert posted["channel"] == opened["channel"]["id"]
    assert [m["text"] for m in fake.messages("UALICE")] == ["you own action item 3"]
    client.chat_postEphemeral(channel="CINC", user="UALICE", text="only you")
    assert fake.ephemerals("CINC")[0]["user"] == "UALICE"
    assert fake.messages("CINC") == []


def test_conversation_create_names_and_invites(fake: FakeSlack, client: WebClient) -> None:
    for name, error in [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Inc 42!", "invalid_name_specials"),
        ("inc_42 db", "invalid_name_specials"),
    ]:
        with pytest.raises(SlackApiError) as bad:
            client.conversations_create(name=name)
        assert slack_error(bad) == error, name
    created = client.conversations_create(name="inc-42-db_outage", is_private=True)["channel"]
    assert created["is_private"] is True and created["name"] == "inc-42-db_outage"
    with pytest.raises(SlackApiError) as taken:
        client.conversations_create(name="inc-42-db_outage")
    assert slack_error(taken) == "name_taken"

    fake.add_user("UBOB", "bob")
    client.conversations_invite(channel=created["id"], users=["UALICE", "UBOB"])
    with pytest.raises(SlackApiError) as twice:
        client.conversations_invite(channel=created["id"], users="UBOB")
    assert slack_error(twice) == "already_in_channel"
    info = client.conversations_info(channel=created["id"])["channel"]
    assert info["name"] == "inc-42-db_outage" and info["num_members"] == 3


# ---- Block Kit limits ------------------------------------------------------------------------------


def test_block_limits_rejected_and_nothing_stored(fake: FakeSlack, client: WebClient) -> None:
    cases = {
        "51 blocks": [{"type": "divider"}] * 51,
        "3001-char section": [section("x" * 3001)],
        "duplicate action_id": [
            {"type": "actions", "elements": [button("ack")]},
            {"type": "actions", "elements": [button("ack")]},
        ],
        "input in a message": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "plain_text_input"},
            }
        ],
        "unknown block": [{"type": "carousel"}],
    }
    for i, (label, blocks) in enumerate(cases.items()):
        with pytest.raises(SlackApiError) as bad:
            client.chat_postMessage(channel=f"C{i}", text="fallback", blocks=blocks)
        assert slack_error(bad) == "invalid_blocks", label
        assert bad.value.response["errors"], label
    assert fake.messages() == []
    assert "[json-pointer:/blocks/0/text/text]" in _errors(client, [section("x" * 3001)])[0]
    client.chat_postMessage(channel="C1", text="fine", blocks=[{"type": "divider"}] * 50)
    assert len(fake.messages("C1")) == 1


def _errors(client: WebClient, blocks: list[dict[str, Any]]) -> list[str]:
    try:
        client.chat_postMessage(channel="CERR", text="fallback", blocks=blocks)
    except SlackApiError as e:
        return list(e.response["errors"])
    return []


def _options(n: int, text: str = "opt", value: str = "v") -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": text}, "value": f"{value}{i}"} for i in range(n)]


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "/blocks/0/fields/0/text",
        ),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/blocks/0/elements"),
        ([{"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}], "/blocks/0/elements"),
        ([section("s", block_id="b" * 256)], "/blocks/0/block_id"),
        ([section("s", block_id="same"), section("t", block_id="same")], "/blocks/1/block_id"),
        ([{"type": "actions", "elements": [button("x" * 256)]}], "/blocks/0/elements/0/action_id"),
        ([{"type": "actions", "elements": [button("a", text="t" * 76)]}], "/blocks/0/elements/0/text/text"),
        ([{"type": "actions", "elements": [button("a", value="v" * 2001)]}], "/blocks/0/elements/0/value"),
        ([{"type": "actions", "elements": [{**button("a"), "url": "u" * 3001}]}], "/blocks/0/elements/0/url"),
        (
            [section("s", accessory={"type": "static_select", "action_id": "s", "options": _options(101)})],
            "/blocks/0/accessory/options",
        ),
        (
            [
                section(
                    "s",
                    accessory={"type": "static_select", "action_id": "s", "options": _options(1, "o" * 76)},
                )
            ],
            "/blocks/0/accessory/options/0/text/text",
        ),
        (
            [
                section(
                    "s",
                    accessory={
                        "type": "static_select",
                        "action_id": "s",
                        "options": _options(1, value="v" * 151),
                    },
                )
            ],
            "/blocks/0/accessory/options/0/value",
        ),
        (
            [section("s", accessory={"type": "overflow", "action_id": "o", "options": _options(1)})],
            "/blocks/0/accessory/options",
        ),
        (
            [section("s", accessory={"type": "overflow", "action_id": "o", "options": _options(6)})],
            "/blocks/0/accessory/options",
        ),
        ([{"type": "section", "text": {"type": "markdown", "text": "x"}}], "/blocks/0/text/type"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "/blocks/0/text/text"),
        ([{"type": "image", "image_url": "https://example.com/a.png"}], "/blocks/0/alt_text"),
        ([{"type": "image", "alt_text": "chart"}], "/blocks/0/image_url"),
        (
            [{"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "p"}]}],
            "/blocks/0/elements/0/type",
        ),
    ],
)
def test_validate_blocks_limits(blocks: list[dict[str, Any]], fragment: str) -> None:
    errors = validate_blocks(blocks, "message")
    assert any(f"[json-pointer:{fragment}]" in e for e in errors), errors


def _card_top() -> list[dict[str, Any]]:
    """The top of a valid incident card: header, a section with a button, fields, a context line."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "INC-42 SEV1"}},
        section("*Owner* <@UALICE>", block_id="summary", accessory=button("ack", "Acknowledge", "42")),
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "*Due*"}, {"type": "plain_text", "text": "Fri"}],
        },
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://e.x/i.png", "alt_text": "i"},
                {"type": "mrkdwn", "text": "opened 5m ago"},
            ],
        },
    ]


def test_validate_blocks_accepts_a_rich_valid_message() -> None:
    blocks = [
        *_card_top(),
        {
            "type": "actions",
            "block_id": "acts",
            "elements": [
                button("resolve", "Resolve"),
                {"type": "overflow", "action_id": "more", "options": _options(3)},
                {
                    "type": "static_select",
                    "action_id": "sev",
                    "placeholder": {"type": "plain_text", "text": "Sev"},
                    "options": _options(3),
                },
                {"type": "datepicker", "action_id": "due", "initial_date": "2024-05-01"},
            ],
        },
        {"type": "divider"},
    ]
    assert validate_blocks(blocks, "message") == []
    assert validate_blocks([{"type": "divider"}] * 100, "home") == []
    assert validate_blocks([{"type": "divider"}] * 101, "modal") != []


def test_validate_view_rules() -> None:
    text_input = {
        "type": "input",
        "block_id": "t",
        "label": {"type": "plain_text", "text": "Title"},
        "element": {"type": "plain_text_input", "action_id": "v"},
    }
    good = modal(blocks=[text_input], submit={"type": "plain_text", "text": "Declare"}, callback_id="declare")
    assert validate_view(good, "modal") == []
    problems = {
        "/view/title/text": modal("t" * 25),
        "/view/submit": modal(blocks=[text_input]),
        "/view/private_metadata": modal(private_metadata="m" * 3001),
        "/view/callback_id": modal(callback_id="c" * 256),
        "/view/blocks/0/label": modal(
            blocks=[{"type": "input", "element": {"type": "plain_text_input"}}],
            submit={"type": "plain_text", "text": "Go"},
        ),
        "/view/blocks/0/element": modal(
            blocks=[{"type": "input", "label": {"type": "plain_text", "text": "L"}}],
            submit={"type": "plain_text", "text": "Go"},
        ),
        "/view/close/text": modal(close={"type": "plain_text", "text": "c" * 25}),
        "/view/type": {"type": "home", "blocks": []},
    }
    for pointer, view in problems.items():
        errors = validate_view(view, "modal")
        assert any(f"[json-pointer:{pointer}" in e for e in errors), (pointer, errors)


# ---- slack_sdk's models as a second check -----------------------------------------------------------


def _select(options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return section("s", accessory={"type": "static_select", "action_id": "s", "options": options, **extra})


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([section("x" * 3001)], "SectionBlock: text attribute cannot exceed 3000 characters"),
        ([{"type": "divider"}] * 51, "a message has no more than 50 blocks"),
        (
            [{"type": "actions", "elements": [button("a", value="v" * 3001)]}],
            "ButtonElement: value attribute cannot exceed 2000 characters",
        ),
        (
            [section("s", accessory=button("a", text="t" * 76))],
            "ButtonElement: text attribute cannot exceed 75 characters",
        ),
        (
            [{"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}],
            "ActionsBlock: elements attribute cannot exceed 25 elements",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "SectionBlock: fields attribute cannot exceed 10 items",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "HeaderBlock: text attribute cannot exceed 150 characters",
        ),
        (
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
            "ContextBlock: elements attribute cannot exceed 10 elements",
        ),
        ([section("s", block_id="b" * 256)], "SectionBlock: block_id cannot exceed 255 characters"),
        ([_select(_options(101))], "StaticSelectElement: options attribute cannot exceed 100 elements"),
        # static_select keeps its options as dicts; the check builds the SDK's Option from them
        ([_select(_options(1, "o" * 76))], "Option: text attribute cannot exceed 75 characters"),
        ([_select(_options(1, value="v" * 151))], "Option: value attribute cannot exceed 150 characters"),
        ([{"type": "carousel_of_things"}], "slack_sdk does not know the block type 'carousel_of_things'"),
        (
            [{"type": "actions", "elements": [{"type": "fancy_widget", "action_id": "f"}]}],
            "ActionsBlock did not recognise every item of elements",
        ),
        ([{"type": "image", "image_url": "https://e.x/i.png"}], "could not build a 'image' block"),
    ],
)
def test_sdk_models_refuse_what_slack_refuses(blocks: list[dict[str, Any]], fragment: str) -> None:
    errors = sdk_message_errors(blocks)
    assert any(fragment in e for e in errors), errors
    assert all(e.endswith("]") and "[json-pointer:/blocks" in e for e in errors), errors


def test_sdk_models_point_at_the_object_that_broke_a_rule() -> None:
    errors = sdk_message_errors(
        [section("ok"), {"type": "actions", "elements": [button("a", value="v" * 2001)]}]
    )
    assert errors == [
        "slack_sdk ButtonElement: value attribute cannot exceed 2000 characters "
        "[json-pointer:/blocks/1/elements/0]"
    ]
    confirm = {
        "title": {"type": "plain_text", "text": "t" * 101},
        "text": {"type": "mrkdwn", "text": "Sure?"},
        "confirm": {"type": "plain_text", "text": "Yes"},
        "deny": {"type": "plain_text", "text": "No"},
    }
    nested = sdk_message_errors([section("s", accessory={**button("a"), "confirm": confirm})])
    assert nested == [
        "slack_sdk ConfirmObject: title attribute cannot exceed 100 characters "
        "[json-pointer:/blocks/0/accessory/confirm]"
    ]


def test_sdk_models_accept_the_payloads_slack_accepts() -> None:
    blocks = [
        *_card_top(),
        {
            "type": "actions",
            "elements": [
                button("resolve", "Resolve", "v" * 2000),
                {"type": "overflow", "action_id": "more", "options": _options(3)},
                {"type": "static_select", "action_id": "sev", "options": _options(100, "o" * 75)},
                {"type": "datepicker", "action_id": "due", "initial_date": "2024-05-01"},
            ],
        },
        section("x" * 3000),
        {"type": "divider"},
    ]
    assert sdk_message_errors(blocks) == []
    assert sdk_message_errors([{"type": "divider"}] * 50) == []
    text_input = {
        "type": "input",
        "label": {"type": "plain_text", "text": "Title"},
        "element": {"type": "plain_text_input", "action_id": "v", "max_length": 3000},
    }
    assert sdk_view_errors(modal(blocks=[text_input], submit={"type": "plain_text", "text": "Declare"})) == []
    # The one SDK rule Slack does not apply: a view may have no blocks.
    assert sdk_view_errors(modal()) == [] and sdk_view_errors({"type": "home", "blocks": []}) == []


def test_sdk_models_check_views() -> None:
    problems = {
        "View: title must be between 1 and 24 characters": modal("t" * 25),
        "View: views must contain between 1 and 100 blocks": modal(blocks=[{"type": "divider"}] * 101),
        "View: private_metadata cannot exceed 3000 characters": modal(private_metadata="m" * 3001),
        "View: callback_id cannot exceed 255 characters": modal(callback_id="c" * 256),
        "View: submit cannot exceed 24 characters": modal(submit={"type": "plain_text", "text": "s" * 25}),
        "View: home view cannot have submit and close": {
            "type": "home",
            "blocks": [section("s")],
            "close": {"type": "plain_text", "text": "Close"},
        },
        "SectionBlock: text attribute cannot exceed 3000 characters [json-pointer:/view/blocks/1]": modal(
            blocks=[section("ok"), section("x" * 3001)]
        ),
    }
    for fragment, view in problems.items():
        errors = sdk_view_errors(view)
        assert any(fragment in e for e in errors), (fragment, errors)
    assert sdk_view_errors("not a view") == ["must be an object [json-pointer:/view]"]


@pytest.fixture
def sdk_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the fake's hand-written Block Kit rules off, leaving slack_sdk's models as the only check."""
    monkeypatch.setattr(slack_api, "validate_blocks", lambda blocks, surface: [])
    monkeypatch.setattr(slack_api, "validate_view", lambda view, surface: [])


@pytest.mark.usefixtures("sdk_only")
def test_fake_answers_an_sdk_refusal_as_slack_answers_invalid_blocks(
    fake: FakeSlack, client: WebClient
) -> None:
    long_value = [{"type": "actions", "elements": [button("a", value="v" * 3001)]}]
    with pytest.raises(SlackApiError) as bad:
        client.chat_postMessage(channel="C1", text="fallback", blocks=long_value)
    assert slack_error(bad) == "invalid_blocks"
    expected = (
        "slack_sdk ButtonElement: value attribute cannot exceed 2000 characters "
        "[json-pointer:/blocks/0/elements/0]"
    )
    assert bad.value.response["errors"] == [expected]
    assert bad.value.response["response_metadata"]["messages"] == [f"[ERROR] {expected}"]
    assert fake.messages() == []

    ts = client.chat_postMessage(channel="C1", text="fine", blocks=[section("ok")])["ts"]
    with pytest.raises(SlackApiError) as update:
        client.chat_update(channel="C1", ts=ts, text="t", blocks=[{"type": "divider"}] * 51)
    assert slack_error(update) == "invalid_blocks"
    with pytest.raises(SlackApiError) as ephemeral:
        client.chat_postEphemeral(channel="C1", user="UALICE", text="t", blocks=[section("x" * 3001)])
    assert slack_error(ephemeral) == "invalid_blocks"
    hook = WebhookClient(fake.new_response_url(channel="C1", message_ts=ts))
    refused = hook.send(text="t", blocks=[section("x" * 3001)], replace_original=True)
    assert refused.status_code == 400 and json.loads(refused.body)["error"] == "invalid_blocks"
    assert fake.messages("C1")[0]["blocks"] == [section("ok")]

    rejected = fake.sdk_rejections
    assert [r.method for r in rejected] == [
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "response_url",
    ]
    assert rejected[0].errors == (expected,) and rejected[0].payload == long_value
    fake.reset()
    assert fake.sdk_rejections == []


@pytest.mark.usefixtures("sdk_only")
def test_fake_answers_an_sdk_refused_view_as_invalid_arguments(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id()
    with pytest.raises(SlackApiError) as bad:
        client.views_open(trigger_id=trigger, view=modal("A title that is too long!"))
    assert slack_error(bad) == "invalid_arguments"
    assert bad.value.response["response_metadata"]["messages"] == [
        "[ERROR] slack_sdk View: title must be between 1 and 24 characters [json-pointer:/view]"
    ]
    opened = client.views_open(trigger_id=trigger, view=modal())["view"]
    for call in (
        lambda: client.views_update(view_id=opened["id"], view=modal(blocks=[section("x" * 3001)])),
        lambda: client.views_push(trigger_id=fake.new_trigger_id(view_id=opened["id"]), view=modal("t" * 25)),
        lambda: client.views_publish(
            user_id="UALICE",
            view={"type": "home", "blocks": [], "submit": {"type": "plain_text", "text": "S"}},
        ),
    ):
        with pytest.raises(SlackApiError) as refused:
            call()
        assert slack_error(refused) == "invalid_arguments"
    ack = {"response_action": "update", "view": modal(private_metadata="m" * 3001)}
    assert fake.apply_view_ack(opened["id"], ack) == [
        "slack_sdk View: private_metadata cannot exceed 3000 characters [json-pointer:/view]"
    ]
    assert fake.views[opened["id"]]["private_metadata"] == ""
    assert [r.method for r in fake.sdk_rejections] == [
        "views.open",
        "views.update",
        "views.push",
        "views.publish",
        "view_submission_ack",
    ]


def test_both_checks_report_and_a_valid_payload_records_nothing(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="fine", blocks=[section("ok"), {"type": "divider"}])
    client.views_open(trigger_id=fake.new_trigger_id(), view=modal(blocks=[section("ok")]))
    assert fake.sdk_rejections == []
    with pytest.raises(SlackApiError) as bad:
        client.chat_postMessage(channel="C1", text="fallback", blocks=[section("x" * 3001)])
    errors = bad.value.response["errors"]
    assert errors[0] == "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    assert errors[1:] == [
        "slack_sdk SectionBlock: text attribute cannot exceed 3000 characters [json-pointer:/blocks/0]"
    ]
    assert [r.errors for r in fake.sdk_rejections] == [tuple(errors[1:])]


# ---- views -----------------------------------------------------------------------------------------


def test_trigger_ids_are_single_use_and_expire(
    fake: FakeSlack, client: WebClient, clock: ManualClock
) -> None:
    trigger = fake.new_trigger_id(user="UALICE")
    opened = client.views_open(trigger_id=trigger, view=modal(callback_id="declare"))["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    assert fake.views[opened["id"]]["callback_id"] == "declare"
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=modal())
    assert slack_error(reused) == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as unknown:
        client.views_open(trigger_id="123.456.abc", view=modal())
    assert slack_error(unknown) == "invalid_trigger_id"
    stale = fake.new_trigger_id()
    clock.now += 3.0
    with pytest.raises(SlackApiError) as expired:
        client.views_open(trigger_id=stale, view=modal())
    assert slack_error(expired) == "expired_trigger_id"
    fresh = fake.new_trigger_id()
    clock.now += 2.9
    client.views_open(trigger_id=fresh, view=modal())


def test_invalid_view_is_invalid_arguments_and_keeps_the_trigger(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id()
    with pytest.raises(SlackApiError) as bad:
        client.views_open(trigger_id=trigger, view=modal("A title that is too long!"))
    assert slack_error(bad) == "invalid_arguments"
    messages = bad.value.response["response_metadata"]["messages"]
    assert any("[json-pointer:/view/title/text]" in m for m in messages)
    assert fake.views == {}
    client.views_open(trigger_id=trigger, view=modal())


def test_views_update_push_and_publish(fake: FakeSlack, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.new_trigger_id(), view=modal(external_id="inc-42"))["view"]
    updated = client.views_update(view_id=root["id"], hash=root["hash"], view=modal("Updated"))["view"]
    assert updated["id"] == root["id"] and updated["hash"] != root["hash"]
    assert fake.views[root["id"]]["title"]["text"] == "Updated"
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=root["id"], hash=root["hash"], view=modal("Again"))
    assert slack_error(stale) == "hash_conflict"
    by_external = client.views_update(external_id="inc-42", view=modal("By external id"))["view"]
    assert by_external["id"] == root["id"]
    with pytest.raises(SlackApiError) as missing:
        client.views_update(view_id="VNOPE", view=modal())
    assert slack_error(missing) == "not_found"

    below = root["id"]
    for _ in range(2):
        below = client.views_push(trigger_id=fake.new_trigger_id(view_id=below), view=modal())["view"]["id"]
    assert fake.views[below]["root_view_id"] == root["id"]
    with pytest.raises(SlackApiError) as deep:
        client.views_push(trigger_id=fake.new_trigger_id(view_id=below), view=modal())
    assert slack_error(deep) == "push_limit_reached"

    home = {"type": "home", "blocks": [section("Your open action items: 2")]}
    first = client.views_publish(user_id="UALICE", view=home)["view"]
    client.views_publish(user_id="UALICE", view={**home, "blocks": [section("none left")]})
    published = fake.home("UALICE")
    assert published is not None and published["id"] == first["id"]
    assert published["blocks"] == [section("none left")]
    with pytest.raises(SlackApiError) as not_home:
        client.views_publish(user_id="UALICE", view=modal())
    assert slack_error(not_home) == "invalid_arguments"


# ---- users -----------------------------------------------------------------------------------------


def test_users_info_list_and_groups(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("UNYC", "nina", real_name="Nina Y", tz="America/New_York", email="nina@example.com")
    user = client.users_info(user="UNYC")["user"]
    expected_offset = int(time_in("America/New_York").utcoffset().total_seconds())
    assert (user["tz"], user["tz_offset"], user["real_name"]) == (
        "America/New_York",
        expected_offset,
        "Nina Y",
    )
    assert user["tz_label"] in ("Eastern Standard Time", "Eastern Daylight Time")
    assert user["profile"]["display_name"] == "nina" and user["profile"]["email"] == "nina@example.com"
    with pytest.raises(SlackApiError) as unknown:
        client.users_info(user="UNOBODY")
    assert slack_error(unknown) == "user_not_found"

    for i in range(5):
        fake.add_user(f"UX{i}", f"x{i}")
    seen, cursor, pages = [], None, 0
    while True:
        page = client.users_list(limit=3, cursor=cursor)
        seen += [m["id"] for m in page["members"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 8
    assert {"UBOT", "UALICE", "UNYC"} <= set(seen)

    fake.add_usergroup("S1", "oncall", ["UALICE", "UNYC"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["UALICE", "UNYC"]
    with pytest.raises(SlackApiError) as nope:
        client.usergroups_users_list(usergroup="S2")
    assert slack_error(nope) == "no_such_subteam"


def time_in(zone: str) -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC).astimezone(ZoneInfo(zone))


# ---- faults and rate limits ------------------------------------------------------------------------


def test_injected_faults_are_consumed_in_order(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=7)
    fake.fail("chat.postMessage", status=500)
    fake.fail("chat.postMessage", error="fatal_error", times=2)
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="C1", text="a")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    with pytest.raises(SlackApiError) as broken:
        client.chat_postMessage(channel="C1", text="b")
    assert broken.value.response.status_code == 500
    for _ in range(2):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C1", text="c")
        assert slack_error(refused) == "fatal_error"
    client.chat_postMessage(channel="C1", text="d")
    assert [c.http_status for c in fake.calls_to("chat.postMessage")] == [429, 500, 200, 200, 200]
    assert [m["text"] for m in fake.messages("C1")] == ["d"]
    fake.fail("chat.postMessage", times=3)
    fake.clear_faults()
    client.chat_postMessage(channel="C1", text="e")


def test_delay_fault_makes_the_client_time_out(fake: FakeSlack) -> None:
    fake.fail("users.info", delay=0.6)
    impatient = WebClient(base_url=fake.url, token=fake.token, timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        impatient.users_info(user="UALICE")
    assert WebClient(base_url=fake.url, token=fake.token).users_info(user="UALICE")["ok"] is True


def test_rate_limit_is_per_channel_and_refills(
    fake: FakeSlack, client: WebClient, clock: ManualClock
) -> None:
    for i in range(3):
        client.chat_postMessage(channel="CBUSY", text=str(i))
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="CBUSY", text="too many")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "1"
    assert limited.value.response["error"] == "ratelimited"
    client.chat_postMessage(channel="CQUIET", text="elsewhere is fine")
    clock.now += 1.0
    client.chat_postMessage(channel="CBUSY", text="after a second")
    assert len(fake.messages("CBUSY")) == 4


# ---- files -----------------------------------------------------------------------------------------


def test_file_upload_v2_flow_and_private_url_auth(fake: FakeSlack, client: WebClient) -> None:
    content = "# Postmortem INC-42\n\nRoot cause: a full disk.\n"
    done = client.files_upload_v2(
        channel="CINC",
        content=content,
        filename="inc-42.md",
        title="INC-42 postmortem",
        initial_comment="Postmortem draft",
    )
    file_id = done["file"]["id"]
    stored = fake.files[file_id]
    assert (stored.content, stored.filename, stored.title, stored.channel) == (
        content.encode(),
        "inc-42.md",
        "INC-42 postmortem",
        "CINC",
    )
    assert fake.messages("CINC")[-1]["text"] == "Postmortem draft"

    info = client.files_info(file=file_id)["file"]
    assert (info["name"], info["mimetype"], info["size"]) == (
        "inc-42.md",
        "text/markdown",
        len(content.encode()),
    )
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(info["url_private"], timeout=5)
    assert anonymous.value.code == 401
    authed = urllib.request.Request(
        info["url_private_download"], headers={"Authorization": f"Bearer {fake.token}"}
    )
    with urllib.request.urlopen(authed, timeout=5) as resp:
        assert resp.read() == content.encode()

    added = fake.add_file("runbook.md", b"step 1", user="UALICE")
    assert client.files_info(file=added)["file"]["filetype"] == "markdown"
    with pytest.raises(SlackApiError) as unknown:
        client.files_info(file="FNOPE")
    assert slack_error(unknown) == "file_not_found"
    with pytest.raises(SlackApiError) as not_uploaded:
        pending = client.files_getUploadURLExternal(filename="x.md", length=3)["file_id"]
        client.files_completeUploadExternal(files=[{"id": pending, "title": "x"}], channel_id="CINC")
    assert slack_error(not_uploaded) == "file_not_found"


# ---- response URLs and recording -------------------------------------------------------------------


def test_response_url_replace_in_channel_and_limits(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="CINC", text="Action item: rotate keys")["ts"]
    url = fake.new_response_url(channel="CINC", message_ts=ts)
    hook = WebhookClient(url)
    assert hook.send(text="Done: rotate keys", replace_original=True).status_code == 200
    assert fake.messages("CINC")[0]["text"] == "Done: rotate keys"
    hook.send(text="Closed by alice", response_type="in_channel")
    assert [m["text"] for m in fake.messages("CINC")] == ["Done: rotate keys", "Closed by alice"]
    assert hook.send(text="x", blocks=[section("y" * 3001)]).status_code == 400
    assert hook.send(blocks=[section("no fallback")]).status_code == 400
    assert [r["text"] for r in fake.responses] == ["Done: rotate keys", "Closed by alice"]
    for _ in range(3):
        assert hook.send(text="again").status_code == 200
    assert hook.send(text="sixth").status_code == 404
    assert hook.send(text="anything", delete_original=True).status_code == 404


def test_recording_wait_for_and_reset(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="a")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1")
    assert [c.response["ok"] for c in fake.calls_to("chat.postMessage")] == [True, False]
    assert len(fake.ok_calls("chat.postMessage")) == 1
    assert fake.calls[0].token == fake.token and fake.calls[0].at <= time.time()

    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C2", text="later")).start()
    assert fake.wait_for(lambda: fake.messages("C2"), timeout=2)[0]["text"] == "later"
    with pytest.raises(AssertionError, match="a reply in C3"):
        fake.wait_for(lambda: fake.messages("C3"), timeout=0.05, message="a reply in C3")

    fake.add_user("UKEEP", "keeper")
    fake.reset()
    assert fake.calls == [] and fake.messages() == []
    assert client.users_info(user="UKEEP")["user"]["name"] == "keeper"


# ---- signing and the driver ------------------------------------------------------------------------


def test_signature_matches_slack_documented_example() -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    timestamp = 1531420618
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    independent = (
        "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    )
    assert sign_request(secret, timestamp, body) == independent
    assert sign_request(secret, str(timestamp), body.encode()) == independent
    assert independent == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_state_value_helpers_match_slack_shapes() -> None:
    assert plain_value("disk full") == {"type": "plain_text_input", "value": "disk full"}
    assert static_select("sev1")["selected_option"]["value"] == "sev1"
    assert users_select("UALICE") == {"type": "users_select", "selected_user": "UALICE"}
    assert multi_users_select(["U1"]) == {"type": "multi_users_select", "selected_users": ["U1"]}
    assert [o["value"] for o in checkboxes(["a", "b"])["selected_options"]] == ["a", "b"]
    assert datetimepicker(1700000000) == {"type": "datetimepicker", "selected_date_time": 1700000000}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[tuple[App, str]]:
    app = App(
        token=fake.token,
        signing_secret=SECRET,
        client=WebClient(base_url=fake.url, token=fake.token),
        process_before_response=True,
    )
    server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_driver_against_a_real_bolt_app(fake: FakeSlack, bolt: tuple[App, str]) -> None:
    app, base = bolt
    seen: dict[str, Any] = {}

    @app.command("/incident")
    def incident(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        seen["command"] = command
        client.views_open(
            trigger_id=command["trigger_id"],
            view=modal(
                callback_id="declare",
                private_metadata="CINC",
                submit={"type": "plain_text", "text": "Declare"},
                blocks=[
                    {
                        "type": "input",
                        "block_id": "title",
                        "label": {"type": "plain_text", "text": "Title"},
                        "element": {"type": "plain_text_input", "action_id": "value"},
                    }
                ],
            ),
        )
        respond("Opening the form")

    @app.view("declare")
    def declare(ack: Any, view: dict[str, Any]) -> None:
        title = view["state"]["values"]["title"]["value"]["value"]
        if not title:
            ack(response_action="errors", errors={"title": "Give it a title"})
            return
        seen["metadata"] = view["private_metadata"]
        ack()

    @app.action("ack")
    def on_ack(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        seen["action"] = body["actions"][0]
        respond(text="Acknowledged", replace_original=True)

    @app.event("app_mention")
    def mention(event: dict[str, Any]) -> None:
        seen["mention"] = event["text"]

    driver = SlackDriver(base, SECRET, fake=fake)
    assert driver.command("/incident", "db is slow").status == 200
    assert seen["command"]["text"] == "db is slow"
    assert fake.responses[-1]["text"] == "Opening the form"
    (view_id,) = fake.views
    invalid = driver.view_submission("declare", {"title": {"value": plain_value("")}})
    assert invalid.json() == {"response_action": "errors", "errors": {"title": "Give it a title"}}
    assert view_id in fake.views
    assert driver.view_submission("declare", {"title": {"value": plain_value("DB latency")}}).status == 200
    assert seen["metadata"] == "CINC" and fake.views == {}

    fake.new_trigger_id()
    client = WebClient(base_url=fake.url, token=fake.token)
    client.chat_postMessage(
        channel="CINC",
        text="INC-42",
        blocks=[{"type": "actions", "block_id": "inc", "elements": [button("ack", "Acknowledge", "INC-42")]}],
    )
    assert driver.block_action("ack", channel="CINC").status == 200
    assert seen["action"]["value"] == "INC-42" and seen["action"]["block_id"] == "inc"
    assert fake.messages("CINC")[0]["text"] == "Acknowledged"

    assert (
        driver.event(
            {
                "type": "app_mention",
                "user": "UALICE",
                "text": "<@UBOT> help",
                "channel": "CINC",
                "ts": "1.000001",
            }
        ).status
        == 200
    )
    assert seen["mention"] == "<@UBOT> help"
    assert driver.url_verification("challenge-xyz").json() == {"challenge": "challenge-xyz"}


def test_bolt_rejects_bad_signatures_and_stale_timestamps(fake: FakeSlack, bolt: tuple[App, str]) -> None:
    app, base = bolt
    app.command("/ping")(lambda ack: ack("pong"))
    driver = SlackDriver(base, SECRET, fake=fake)
    body = b"command=%2Fping&text=&user_id=UALICE&team_id=T0001&channel_id=C1&response_url=x&trigger_id=t"
    form = "application/x-www-form-urlencoded"
    assert driver.post_raw(body, content_type=form).text == "pong"
    assert driver.post_raw(body, content_type=form, signature="v0=" + "0" * 64).status == 401
    stale = int(time.time()) - 6 * 60
    assert driver.post_raw(body, content_type=form, timestamp=stale).status == 401
    assert SlackDriver(base, "wrong-secret").command("/ping").status == 401
    for _ in range(3):  # reconnects after the server closes each connection
        assert driver.command("/ping").text == "pong"


def test_driver_keeps_one_connection_alive_and_recovers_when_the_server_drops_it(fake: FakeSlack) -> None:
    app = App(token=fake.token, signing_secret=SECRET, client=WebClient(base_url=fake.url, token=fake.token))
    app.command("/ping")(lambda ack: ack("pong"))
    # cheroot's idle timeout is a socket timeout, so a float works despite the int annotation.
    idle = 0.2
    server = cheroot.wsgi.Server(("127.0.0.1", 0), SlackRequestHandler(app), numthreads=2, timeout=idle)  # type: ignore[arg-type]
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    try:
        driver = SlackDriver(f"http://127.0.0.1:{server.bind_addr[1]}", SECRET, fake=fake)
        assert driver.command("/ping").text == "pong"
        first = driver._conn
        assert driver.command("/ping").text == "pong"
        assert driver._conn is first is not None  # HTTP/1.1 keep-alive: one connection
        time.sleep(0.5)  # longer than the server's idle timeout: it closes the connection
        assert driver.command("/ping").text == "pong"
        assert driver._conn is not first
        driver.close()
    finally:
        server.stop()


# ---- Socket Mode -----------------------------------------------------------------------------------


def test_socket_mode_round_trip_with_the_real_handler(fake: FakeSlack) -> None:
    app = App(token=fake.token, signing_secret=SECRET, client=WebClient(base_url=fake.url, token=fake.token))

    mentions: list[str] = []

    @app.command("/ping")
    def ping(ack: Any) -> None:
        ack("pong")

    @app.event("app_mention")
    def mention(event: dict[str, Any]) -> None:
        mentions.append(event["text"])

    with SocketModeStandIn() as standin:
        fake.socket_url = standin.url
        handler = SocketModeHandler(app, fake.app_token)
        handler.connect()
        try:
            standin.wait_connected(5)
            assert fake.ok_calls("apps.connections.open")[0].token == fake.app_token
            ack = standin.send_envelope(
                "slash_commands",
                {
                    "command": "/ping",
                    "text": "",
                    "user_id": "UALICE",
                    "user_name": "alice",
                    "channel_id": "CGENERAL",
                    "team_id": "T0001",
                    "api_app_id": "A0REMEDIATE",
                    "trigger_id": fake.new_trigger_id(),
                    "response_url": fake.new_response_url(),
                },
            )
            assert ack["payload"] == {"text": "pong"}
            assert ack["envelope_id"] == standin.received[-1]["envelope_id"]

            standin.send_disconnect()  # the client must fetch a new URL and reconnect
            fake.wait_for(lambda: standin.connects == 2 and standin.connection_count == 1)
            assert len(fake.ok_calls("apps.connections.open")) == 2
            event = {"type": "app_mention", "user": "UALICE", "text": "<@UBOT> status", "channel": "C1"}
            envelope = {
                "type": "event_callback",
                "team_id": "T0001",
                "api_app_id": "A0REMEDIATE",
                "event_id": "Ev1",
                "event_time": 1,
                "event": {**event, "ts": "1.1", "event_ts": "1.1"},
            }
            acked = standin.send_envelope("events_api", envelope)
            assert set(acked) == {"envelope_id"}
            fake.wait_for(lambda: mentions == ["<@UBOT> status"])
        finally:
            handler.close()
