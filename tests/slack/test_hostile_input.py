"""Hostile input end to end: text that tries to ping, link, format, overflow or inject is stored as written
(or refused with a clear message past a documented limit) and is inert wherever the bot shows it; and every
request Slack may deliver twice acts once.

"Inert" is checked on everything the fake Slack received (messages, updates, DMs, Home tabs, modals,
response URLs, file comments) and on every direct answer: no special mention, user mention or disguised link
from user text in any mrkdwn text. Plain-text fields (a modal's inputs, headers) show text literally, and
Slack never turns them into mentions or links, so they may hold it as typed.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from bot.slack.ids import Action, AlertInput, IncidentInput, ItemInput, View, keyed
from storage.models import Incident
from tests.clockwork import add_item, alerts
from tests.fakes.signing import SlackDriver, plain_value, static_select, users_select
from tests.slack.incident_steps import declare, declare_values, open_declare_modal, settle, wait_card
from tests.slack.item_steps import count, create, domain_snapshot, events, item, run
from tests.support import INCIDENT_CHANNEL

# What people paste, all at once: special mentions, a user mention, a disguised link, Markdown, bidi and
# zero-width characters, SQL. Each is checked on its own below.
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^SADMINS|@admins>", "<@UADMIN>")
LINK = "<https://evil.example|click>"
MARKDOWN = "*bold* _it_ ~gone~ `code` ```block``` > quote"
RTL = "\u202eevil\u202c"
ZERO_WIDTH = "in\u200bvisible\u200d"
SQL = "'; DROP TABLE remediation_item; -- \" % _ \\"
HOSTILE = " ".join([*PINGS, LINK, MARKDOWN, RTL, ZERO_WIDTH, SQL])
LONG = "A" * 40_000  # 40 KB


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"escalation_l1": "UCAROL"}


def as_slack_sends(text: str) -> str:
    """A slash command's text as Slack sends it when people type it: ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- where user text is shown, and what may not be there -----------------------------------------------


def mrkdwn_texts(node: Any, *, top: bool = True) -> list[str]:
    """Every string Slack reads as mrkdwn in a message, view or answer: a message's fallback ``text`` and
    each ``mrkdwn`` text object (plain_text objects and input values are shown literally)."""
    out: list[str] = []
    if isinstance(node, dict):
        if top and isinstance(node.get("text"), str):
            out.append(node["text"])
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            out.append(node["text"])
        for key, value in node.items():
            if key in ("text", "initial_value", "placeholder", "value", "private_metadata"):
                if isinstance(value, dict):
                    out += mrkdwn_texts(value, top=False)
                continue
            if key == "initial_comment" and isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict | list):
                out += mrkdwn_texts(value, top=False)
    elif isinstance(node, list):
        for value in node:
            out += mrkdwn_texts(value, top=False)
    return out


def everything_shown(fake, answers: list[Any]) -> list[str]:
    shown: list[str] = []
    for call in fake.calls:
        if call.method in ("users.info", "usergroups.users.list", "auth.test", "conversations.open"):
            continue
        args = dict(call.args)
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        shown += mrkdwn_texts(args)
    for answer in answers:
        shown += mrkdwn_texts(answer)
    return shown


def assert_inert(shown: list[str]) -> None:
    for text in shown:
        for ping in (*PINGS, "<!subteam"):
            assert ping not in text, f"{ping} would ping from: {text[:300]!r}"
        assert "<https://evil" not in text and "|click>" not in text, f"a disguised link: {text[:300]!r}"
        for at, char in enumerate(text):  # an override may not run past the user's text into the bot's words
            if char == "\u202e":
                opened, closed = text.rfind("\u2068", 0, at), text.find("\u2069", at)
                assert 0 <= opened < at < closed, f"bidi not isolated: {text[:300]!r}"


def test_hostile_text_is_stored_as_written_and_inert_everywhere_it_is_shown(bot, slack, fake_slack, clock):
    answers: list[Any] = []

    def say(text: str, *, user: str = "UALICE", command: str = "/remediate") -> dict:
        reply = slack.command(command, text, user=user)
        assert reply.status == 200, reply.text
        answers.append(reply.json())
        return reply.json()

    # Inside the double quotes a command's arguments are read with (shell rules), a title can hold the
    # SQL but not a double quote or a backslash of its own; the forms below take everything.
    title = " ".join([*PINGS[:2], LINK, RTL, "'; DROP TABLE remediation_item; -- % _"])
    created = []
    # As people type it (Slack escapes it) and as Slack sends real mentions (it does not): both inert.
    for esc in (as_slack_sends, str):
        flags = f'--priority P0 --owner <@UBOB|bob> --deadline +2h --note "{esc(HOSTILE)}"'
        data = say(f'track new "{esc(title)}" {flags}')
        assert "Created" in data["text"], data["text"]
        item_id = data["text"].split("*")[1]
        created.append(item_id)
        for command in (
            "note {id} {h}",
            'evidence {id} link https://ci.example/1 "{h}"',
            'criteria {id} add "{h}"',
            'prevent {id} "{h}"',
            'track {id} --system "{p}" --description "{h}" --source "{link}"',
            "show {id}",
            "list open",
            "status --show-overdue --show-upcoming",
            "show {h}",
            "{h}",
        ):
            say(command.format(id=item_id, h=esc(HOSTILE), p=esc(PINGS[0]), link=esc(LINK)))
    typed = created[0]
    assert item(bot, typed).title == title, "stored as written"
    assert [e.data.get("text") for e in events(bot, typed) if e.kind == "note"][-1] == HOSTILE

    # The forms, the incident side and the jobs.
    slack.view_submission(
        View.ITEM_CREATE.value,
        {
            ItemInput.TITLE.value: {ItemInput.TITLE.value: plain_value(title)},
            ItemInput.DESCRIPTION.value: {ItemInput.DESCRIPTION.value: plain_value(HOSTILE)},
            ItemInput.OWNER.value: {ItemInput.OWNER.value: users_select("UBOB")},
            ItemInput.PRIORITY.value: {ItemInput.PRIORITY.value: static_select("P1")},
        },
        user="UCAROL",
    )
    inc = declare(slack, fake_slack, bot, title=title, impact=HOSTILE, severity="P1")
    assert json.loads(json.dumps(inc.impact)) == HOSTILE
    say(f'update {inc.id} mitigating "{HOSTILE}" --eta "{LINK}"', command="/incident")
    say(f"show {inc.id}", command="/incident")
    summary = {IncidentInput.SUMMARY.value: {IncidentInput.SUMMARY.value: plain_value(HOSTILE)}}
    reply = slack.view_submission(View.INCIDENT_RESOLVE.value, summary, private_metadata=inc.id)
    assert reply.status == 200 and reply.json() is None, reply.text
    say(f"postmortem {inc.id}", command="/incident")
    slack.event({"type": "app_home_opened", "user": "UBOB", "channel": "DBOB", "tab": "home"})
    overdue = add_item(
        bot.deps, priority="P0", deadline=clock() - timedelta(hours=5), title=title, owner="UBOB"
    )
    bot.run_job("escalations")
    [alert] = alerts(bot.deps, overdue)
    reply = slack.view_submission(
        View.ITEM_STATUS_UPDATE.value,
        {AlertInput.STATUS_TEXT.value: {AlertInput.STATUS_TEXT.value: plain_value(HOSTILE)}},
        user="UBOB",
        private_metadata=str(alert.id),
    )
    assert reply.status == 200 and reply.json() is None, reply.text
    bot.run_job("reminders")
    bot.run_job("digest")
    bot.run_job("weekly-report")
    settle(bot)
    fake_slack.wait_for(lambda: fake_slack.home("UBOB"))

    shown = everything_shown(fake_slack, answers)
    joined = "\n".join(shown)
    assert "&lt;!channel&gt;" in joined and "&lt;@UADMIN&gt;" in joined, "shown, escaped"
    assert "&lt;https://evil.example|click&gt;" in joined
    assert SQL.replace("&", "&amp;") in joined
    assert_inert(shown)
    assert not [r for r in fake_slack.calls if r.http_status != 200 or r.response.get("ok") is False], (
        "Slack refused something the bot sent"
    )
    with bot.uow() as session:
        assert session.get(Incident, inc.id).resolution_summary == HOSTILE
    assert count(bot, "remediation_item") >= 3, "no table was dropped"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (f'track new "{LONG}"', "40000 characters"),
        (f'track new "ok" --note "{LONG}"', "3000"),
        (f'track new "ok" --description "{LONG}"', "10000"),
        (f'track new "ok" --system "{LONG}"', "64"),
        (f'track new "ok" --source "{LONG}"', "500"),
        (f"note P2-20261123-001 {LONG}", "3000"),
    ],
    ids=["title", "note", "description", "system", "source", "note-command"],
)
def test_40_kb_is_refused_with_the_limit_and_changes_nothing(bot, slack, command, says):
    create(slack, '"Warm up" --priority P2')
    before = domain_snapshot(bot)
    data = run(slack, command)
    assert says in data["text"], data["text"][:300]
    assert domain_snapshot(bot) == before


def test_40_kb_in_an_incident_is_refused_and_3000_characters_still_make_valid_messages(
    bot, slack, fake_slack
):
    view_id = open_declare_modal(slack, fake_slack)
    reply = slack.view_submission(View.INCIDENT_DECLARE.value, declare_values(impact=LONG), view_id=view_id)
    assert "keep it to 3,000" in reply.json()["errors"][IncidentInput.IMPACT.value]
    most = "B" * 3000
    inc = declare(slack, fake_slack, bot, title="Queue backlog", impact=most, severity="P2")
    settle(bot)  # the announcement lands (message_ref, outbox row) before the "nothing changed" snapshot
    before = domain_snapshot(bot)
    for command in (
        f'update {inc.id} mitigating "{LONG}"',
        f'update {inc.id} mitigating "ok" --impact "{LONG}"',
        f'resolve {inc.id} "{LONG}"',
    ):
        data = slack.command("/incident", command).json()
        assert "keep it to 3,000" in data["text"], data["text"][:200]
    assert domain_snapshot(bot) == before
    slack.command("/incident", f'update {inc.id} mitigating "{most}" --eta "{LONG}" --impact "{most}"')
    slack.command("/incident", f'resolve {inc.id} "{most}"')
    settle(bot)
    refused = [c for c in fake_slack.calls if c.http_status != 200 or c.response.get("ok") is False]
    assert not refused, [(c.method, c.response.get("error")) for c in refused]


def test_40_kb_in_any_item_form_field_is_refused_next_to_that_field(bot, slack):
    before = domain_snapshot(bot)
    for name in (
        ItemInput.TITLE,
        ItemInput.DESCRIPTION,
        ItemInput.CRITERIA,
        ItemInput.SYSTEMS,
        ItemInput.SOURCE,
    ):
        values = {ItemInput.TITLE.value: {ItemInput.TITLE.value: plain_value("Fine title")}}
        values[name.value] = {name.value: plain_value(LONG)}
        reply = slack.view_submission(View.ITEM_CREATE.value, values, user="UCAROL")
        data = reply.json()
        assert data["response_action"] == "errors", (name, data)
        assert name.value in data["errors"], (name, data["errors"])
    assert domain_snapshot(bot) == before


# ---- the same request twice ----------------------------------------------------------------------------


class Repeater(SlackDriver):
    """A driver that can send its last request again, byte for byte (as a repeated delivery is)."""

    last: bytes = b""

    def _post_form(self, fields: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        from urllib.parse import urlencode

        self.last = urlencode(fields).encode("utf-8")
        return super()._post_form(fields, headers)

    def again(self) -> Any:
        return self.post_raw(self.last, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def twice(bot, fake_slack) -> Repeater:
    from tests.support import SIGNING_SECRET

    return Repeater(bot.url, SIGNING_SECRET, fake=fake_slack)


@pytest.fixture
def errors_logged(caplog):
    caplog.set_level(logging.WARNING)
    yield lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_events_api_retries_are_acted_on_once(bot, slack, fake_slack):
    event = {"type": "app_home_opened", "user": "UBOB", "channel": "DBOB", "tab": "home"}
    for retry in (None, 1, 2, 3):
        assert slack.event(event, event_id="EvTwice", retry_num=retry).status == 200
    fake_slack.wait_for(lambda: fake_slack.home("UBOB"))
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_an_item_form_submitted_twice_acts_once(bot, slack, fake_slack, twice, errors_logged):
    values = {
        ItemInput.TITLE.value: {ItemInput.TITLE.value: plain_value("Add a canary")},
        ItemInput.OWNER.value: {ItemInput.OWNER.value: users_select("UBOB")},
    }
    twice.command("/remediate", "new", user="UCAROL")
    view_id = next(v for v, m in fake_slack.views.items() if m["callback_id"] == View.ITEM_CREATE.value)
    view = dict(fake_slack.views[view_id], state={"values": values})
    payload = {
        "type": "view_submission",
        **twice._common("UCAROL"),
        "trigger_id": fake_slack.new_trigger_id(user="UCAROL"),
        "view": view,
    }
    first = twice._post_form({"payload": json.dumps(payload)})
    second = twice.again()
    assert first.json()["response_action"] == "update" and second.json()["response_action"] == "update"
    assert json.dumps(first.json()["view"]["blocks"]) == json.dumps(second.json()["view"]["blocks"])
    assert count(bot, "remediation_item") == 1
    item_id = "P2-20261123-001"
    # The note, reassign and validate forms the same way.
    for callback, vals, meta in (
        (
            View.ITEM_NOTE,
            {ItemInput.NOTE.value: {ItemInput.NOTE.value: plain_value("once")}},
            {"id": item_id},
        ),
        (
            View.ITEM_REASSIGN,
            {ItemInput.NEW_OWNER.value: {ItemInput.NEW_OWNER.value: users_select("UDAVE")}},
            {"id": item_id},
        ),
    ):
        payload["view"] = {
            **view,
            "id": f"V{callback.value}",
            "callback_id": callback.value,
            "state": {"values": vals},
            "private_metadata": json.dumps(meta),
        }
        for reply in (twice._post_form({"payload": json.dumps(payload)}), twice.again()):
            assert reply.status == 200 and reply.json() is None, reply.text
    kinds = [e.kind for e in events(bot, item_id)]
    assert kinds.count("note") == 1 and kinds.count("assigned") == 1  # the owner at creation is in "created"
    settle(bot)
    assert len(fake_slack.posts("UDAVE")) == 1, "one DM for one reassignment"
    assert not errors_logged()


def test_an_alert_status_update_submitted_twice_posts_once(bot, slack, fake_slack, clock, twice):
    overdue = add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=5), owner="UBOB")
    bot.run_job("escalations")
    [alert] = alerts(bot.deps, overdue)
    payload = {
        "type": "view_submission",
        **twice._common("UBOB"),
        "view": {
            "id": "VSTATUS",
            "type": "modal",
            "callback_id": View.ITEM_STATUS_UPDATE.value,
            "private_metadata": str(alert.id),
            "hash": "1.abc",
            "state": {
                "values": {
                    AlertInput.STATUS_TEXT.value: {AlertInput.STATUS_TEXT.value: plain_value("Half done")}
                }
            },
        },
    }
    for reply in (twice._post_form({"payload": json.dumps(payload)}), twice.again()):
        assert reply.status == 200 and reply.json() is None
    settle(bot)
    assert [e.kind for e in events(bot, overdue)].count("note") == 1
    posts = [p for p in fake_slack.posts(INCIDENT_CHANNEL) if "Half done" in p.get("text", "")]
    assert len(posts) == 1


def test_an_incident_form_submitted_twice_declares_once(bot, slack, fake_slack, twice):
    view_id = open_declare_modal(slack, fake_slack)
    view = dict(fake_slack.views[view_id], state={"values": declare_values(title="Checkout down")})
    payload = {"type": "view_submission", **twice._common("UALICE"), "view": view}
    for reply in (twice._post_form({"payload": json.dumps(payload)}), twice.again()):
        assert reply.status == 200
    assert count(bot, "incident") == 1


def press_twice(
    twice: Repeater,
    action_id: str,
    *,
    user: str,
    message: dict[str, Any],
    value: str | None = None,
    option: str | None = None,
):
    first = twice.block_action(
        action_id,
        user=user,
        message=message,
        value=value,
        action_type="static_select" if option else "button",
        selected_option=option,
    )
    second = twice.again()
    assert first.status == 200 and second.status == 200
    return first, second


def test_item_buttons_pressed_twice_act_once(bot, slack, fake_slack, twice, errors_logged):
    item_id = create(slack, '"Fix the async chain" --priority P0 --owner <@UBOB|bob>')
    settle(bot)
    dm = fake_slack.messages("UBOB")[-1]
    card = {
        "ts": dm["ts"],
        "channel": dm["channel"],
        "blocks": run(slack, f"show {item_id}", user="UBOB")["blocks"],
    }
    press_twice(twice, Action.ITEM_START.value, user="UBOB", message=card, value=item_id)
    assert [e.summary for e in events(bot, item_id)].count("Identified → In Progress") == 1
    press_twice(twice, Action.ITEM_COMPLETE.value, user="UBOB", message=card, value=item_id)
    assert [e.kind for e in events(bot, item_id)].count("status") == 2
    opened = len(fake_slack.ok_calls("views.open"))
    for action in (Action.ITEM_NOTE, Action.ITEM_REASSIGN, Action.ITEM_VALIDATE):
        press_twice(twice, action.value, user="UALICE", message=card, value=item_id)
    assert len(fake_slack.ok_calls("views.open")) == opened + 3, "one form per press"
    assert not [r for r in fake_slack.responses if ":warning:" in r.get("text", "")], (
        "no warning for a repeat"
    )
    assert not errors_logged()


def test_incident_buttons_pressed_twice_act_once(bot, slack, fake_slack, twice, errors_logged):
    inc = declare(slack, fake_slack, bot, title="Login fails", severity="P1")
    card = wait_card(fake_slack, inc.id)
    updates = len(fake_slack.calls_to("chat.update"))
    press_twice(twice, Action.INCIDENT_ACK.value, user="UBOB", message=card, value=inc.id)
    settle(bot)
    assert len(fake_slack.calls_to("chat.update")) == updates + 1, "the card updated once"
    with bot.uow() as session:
        assert session.get(Incident, inc.id).acknowledged_by == "UBOB"
    opened = len(fake_slack.ok_calls("views.open"))
    for action in (Action.INCIDENT_UPDATE, Action.INCIDENT_RESOLVE):
        press_twice(twice, action.value, user="UBOB", message=card, value=inc.id)
    assert len(fake_slack.ok_calls("views.open")) == opened + 2
    assert not errors_logged()


def test_alert_buttons_pressed_twice_act_once(bot, slack, fake_slack, clock, twice, errors_logged):
    overdue = add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=5), owner="UBOB")
    bot.run_job("escalations")
    settle(bot)
    [alert] = alerts(bot.deps, overdue)
    post = next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if overdue in json.dumps(m.get("blocks")))
    press_twice(twice, keyed(Action.ALERT_SNOOZE, alert.id), user="UBOB", message=post, option="2h")
    press_twice(twice, keyed(Action.ALERT_ACK, alert.id), user="UBOB", message=post, value=str(alert.id))
    kinds = [e.kind for e in events(bot, overdue)]
    assert kinds.count("escalation_snoozed") == 1 and kinds.count("escalation_acknowledged") == 1
    opened = len(fake_slack.ok_calls("views.open"))
    press_twice(
        twice, keyed(Action.ALERT_STATUS_UPDATE, alert.id), user="UBOB", message=post, value=str(alert.id)
    )
    assert len(fake_slack.ok_calls("views.open")) == opened + 1
    assert len([r for r in fake_slack.responses if r.get("response_type") == "ephemeral"]) <= 1
    assert not errors_logged()


# ---- what the property tests found, end to end ----------------------------------------------------------


@pytest.mark.both_backends
def test_nul_and_lone_surrogates_are_stored_on_both_databases(bot, slack):
    data = run(slack, 'track new "nul\x00here" --note "and\x00there"')
    item_id = data["text"].split("*")[1]
    assert item(bot, item_id).title == "nul\ufffdhere"
    reply = slack.view_submission(
        View.ITEM_CREATE.value,
        {ItemInput.TITLE.value: {ItemInput.TITLE.value: plain_value("half \ud800 a pair \x00")}},
        user="UCAROL",
    )
    assert reply.json()["response_action"] == "update", reply.text
    assert count(bot, "remediation_item") == 2


@pytest.mark.both_backends
def test_numbers_no_column_holds_are_refused_not_crashed(bot, slack, fake_slack):
    for command, says in (
        ('track new "x" --users 99999999999999999999999', "more users than there are"),
        ('track new "x" --mrr 1e400', "not an amount"),
        ('track new "x" --mrr 99999999999999', "more than"),
        ('track new "x" --deadline 9999-12-31', "years away"),
    ):
        assert says in run(slack, command)["text"], command
    inc = declare(slack, fake_slack, bot, title="Numbers", severity="P3")
    for args, says in (
        ("--next 99999999999999w", "not a duration"),
        ("--next 999999999d", "at most 30 days"),
    ):
        data = slack.command("/incident", f'update {inc.id} mitigating "x" {args}').json()
        assert says in data["text"], data["text"]
    view_id = open_declare_modal(slack, fake_slack)
    reply = slack.view_submission(
        View.INCIDENT_DECLARE.value, declare_values(users_affected="\u00b2"), view_id=view_id
    )
    assert IncidentInput.USERS_AFFECTED.value in reply.json()["errors"]
    # A date near year 9999 in the action-item form: no UTC form exists for it in New York.
    values = {
        IncidentInput.ITEM_TITLE.value: {IncidentInput.ITEM_TITLE.value: plain_value("Fix")},
        IncidentInput.ITEM_OWNER.value: {IncidentInput.ITEM_OWNER.value: users_select("UALICE")},
        IncidentInput.ITEM_DUE.value: {
            IncidentInput.ITEM_DUE.value: {"type": "datepicker", "selected_date": "9999-12-31"}
        },
    }
    reply = slack.view_submission(View.INCIDENT_ACTION_ITEM.value, values, private_metadata=inc.id)
    assert "years away" in reply.json()["errors"][IncidentInput.ITEM_DUE.value]


def test_ticked_options_that_are_not_plain_indexes_are_ignored(bot, slack):
    item_id = create(slack, '"Tick" --priority P2 --owner <@UBOB|bob>')
    run(slack, f'criteria {item_id} add "Works"')
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    run(slack, f"track {item_id} --status completed", user="UBOB")
    values = {
        f"{ItemInput.CHECKLIST.value}_0": {
            f"{ItemInput.CHECKLIST.value}_0": {
                "type": "checkboxes",
                "selected_options": [{"value": "\u00b2"}],
            }
        },
        ItemInput.PREVENTION.value: {ItemInput.PREVENTION.value: plain_value("A test")},
    }
    meta = json.dumps({"id": item_id, "n": 1, "surface": "not an object"})
    reply = slack.view_submission(View.ITEM_VALIDATE.value, values, user="UCAROL", private_metadata=meta)
    assert "not ticked" in json.dumps(reply.json()["errors"])


def test_incident_refusals_quote_what_was_typed_inertly(bot, slack, fake_slack):
    inc = declare(slack, fake_slack, bot, title="Quoting", severity="P3")
    for text in (
        f"list {PINGS[0]}",
        f"update {inc.id} {PINGS[1]} x",
        f"show {PINGS[2]}",
        f"assign {inc.id} {LINK}",
        f'update {inc.id} mitigating "x" --{PINGS[0]} y',
    ):
        data = slack.command("/incident", text).json()
        assert ":warning:" in json.dumps(data["blocks"]), text
        assert_inert(mrkdwn_texts(data))
