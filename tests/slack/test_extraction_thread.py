"""The message shortcut "Extract action items": a Slack thread (or one message) read with
conversations.replies page by page, shown in the same preview, and created as the preview says."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.extraction import thread as thread_reader
from bot.slack.ids import Shortcut, View
from tests.fakes.slack_api import BOT_USER_ID
from tests.slack.extraction_steps import (
    confirm,
    edit_values,
    items,
    newest_view,
    open_edit,
    preview_rows,
    save_edit,
    unchanged_tables,
)

NEW_YORK = ZoneInfo("America/New_York")
CHATTER = (
    "Looking at the graphs now",
    "The pool hit 100% at 14:07 and stayed there",
    "Rolling back the deploy",
    "Error rate is back to normal",
    "Root cause: the retry loop opened a connection per attempt",
    "Thanks everyone for jumping in",
    "I think the alert fired late because the threshold was 95%",
    "Customers saw 502s for about 40 minutes",
)
REPLIES = {
    37: "Action items:\n• Add an alert on connection pool saturation - Owner: <@UBOB>",
    140: (
        "Follow-ups:\n- [ ] Add a load test for the checkout path - Owner: <@UCAROL> - Due: 2026-12-15\n"
        "- [x] Roll back the retry loop change"
    ),
    230: "Next steps:\n1. Document the failover steps in the runbook",
}
FOUND = [
    "Add an alert on connection pool saturation",
    "Add a load test for the checkout path",
    "Document the failover steps in the runbook",
]


def long_thread(fake_slack, channel: str = "CGENERAL") -> dict:
    """A parent and 249 replies (action items in three of them, and one from the bot itself)."""
    ts = fake_slack.add_message(channel, "Checkout outage 14:05 to 14:45: thread for the follow-up")
    for n in range(1, 250):
        if n == 200:  # the bot's own reply is not read
            fake_slack.add_message(
                channel, "Action items:\n- [ ] Page the bot's owner", user=BOT_USER_ID, thread_ts=ts
            )
            continue
        text = REPLIES.get(n) or f"{CHATTER[n % len(CHATTER)]} ({n})"
        fake_slack.add_message(channel, text, user=("UBOB", "UCAROL", "UDAVE")[n % 3], thread_ts=ts)
    return next(m for m in fake_slack.messages(channel) if m["ts"] == ts)


def shortcut(slack, fake_slack, message: dict, *, channel: str = "CGENERAL", user: str = "UALICE") -> dict:
    reply = slack.shortcut(Shortcut.EXTRACT_THREAD.value, message=message, channel=channel, user=user)
    assert reply.status == 200, reply.text
    [opened] = fake_slack.ok_calls("views.open")
    assert "Reading the thread" in str(opened.args["view"]["blocks"])
    [updated] = fake_slack.ok_calls("views.update")
    assert updated.args["view_id"] == newest_view(fake_slack, View.EXTRACT_PREVIEW)["id"]
    return fake_slack.views[updated.args["view_id"]]


@pytest.mark.both_backends
def test_a_long_thread_is_read_page_by_page_through_a_rate_limit_and_its_items_created(
    bot, slack, fake_slack, monkeypatch
):
    parent = long_thread(fake_slack)
    waits: list[float] = []
    monkeypatch.setattr(thread_reader, "sleep", waits.append)
    fake_slack.fail("conversations.replies", status=429, retry_after=3)  # the first call is turned away

    preview = shortcut(slack, fake_slack, parent)

    calls = fake_slack.calls_to("conversations.replies")
    assert [c.http_status for c in calls] == [429, 200, 200, 200]  # 250 messages in pages of 100
    assert waits == [3.0]  # waited as long as Slack asked
    assert [bool(c.args.get("cursor")) for c in calls] == [False, False, True, True]
    assert all(c.args["ts"] == parent["ts"] and c.args["channel"] == "CGENERAL" for c in calls)
    rows = preview_rows(preview)
    assert [r.text.split(" ", 1)[1] for r in rows] == FOUND
    assert "<@UBOB>" in rows[0].description and "<@UCAROL>" in rows[1].description
    assert "due 15 Dec 2026" in rows[1].description
    assert "Roll back the retry loop change" in str(preview["blocks"])  # done, not offered
    assert "bot's owner" not in str(preview["blocks"])
    assert "3 items* found in *" in preview["blocks"][0]["text"]["text"]
    assert items(bot) == []

    form = open_edit(slack, preview, rows[2])  # the same editable preview
    save_edit(slack, form, edit_values(title="Document the failover steps", priority="P1", owner="UDAVE"))
    confirm(slack, [r.value for r in rows], view=fake_slack.views[preview["id"]])

    created = {i.title: i for i in items(bot)}
    assert sorted(created) == sorted([*FOUND[:2], "Document the failover steps"])
    [link] = {i.source_ref for i in created.values()}
    assert link.startswith("https://") and parent["ts"].replace(".", "") in link
    assert created["Add a load test for the checkout path"].deadline == datetime(
        2026, 12, 15, 17, 0, tzinfo=NEW_YORK
    )
    assert created["Document the failover steps"].owner_id == "UDAVE"
    bot.deliver()
    [summary] = [p for p in fake_slack.posts("CGENERAL") if p["text"].startswith("Extracted")]
    assert summary["text"].startswith("Extracted 3 items from")


def test_the_shortcut_on_a_reply_reads_the_whole_thread(bot, slack, fake_slack):
    parent = long_thread(fake_slack)
    reply = next(m for m in fake_slack.messages("CGENERAL") if m.get("thread_ts") == parent["ts"])
    preview = shortcut(slack, fake_slack, reply)
    assert [r.text.split(" ", 1)[1] for r in preview_rows(preview)] == FOUND
    assert {c.args["ts"] for c in fake_slack.calls_to("conversations.replies")} == {parent["ts"]}


def test_a_message_outside_any_thread_is_a_one_message_source(bot, slack, fake_slack):
    ts = fake_slack.add_message(
        "CGENERAL", "Follow-ups from today's outage:\n- [ ] Add a retry budget to the payments client"
    )
    message = next(m for m in fake_slack.messages("CGENERAL") if m["ts"] == ts)
    preview = shortcut(slack, fake_slack, message)
    [row] = preview_rows(preview)
    assert row.text == "*1.* Add a retry budget to the payments client"
    assert len(fake_slack.calls_to("conversations.replies")) == 1
    confirm(slack, [row.value], view=preview)
    [item] = items(bot)
    assert item.title == "Add a retry budget to the payments client" and "https://" in (item.source_ref or "")


@pytest.mark.parametrize(
    ("channel", "private", "says"),
    [
        ("CSECRET", False, "I am not in <#CSECRET>, so I cannot read its threads. Invite me"),
        ("GHIDDEN", True, "I cannot see that channel. If it is private, invite me"),
    ],
    ids=["public", "private"],
)
def test_a_thread_in_a_channel_the_bot_is_not_in_gets_a_clear_message(
    channel, private, says, bot, slack, fake_slack
):
    fake_slack.add_channel(channel, channel.lower(), is_private=private, bot_is_member=False)
    ts = fake_slack.add_message(channel, "Action items:\n- [ ] Rotate the keys")
    message = next(m for m in fake_slack.messages(channel) if m["ts"] == ts)
    before = unchanged_tables(bot)
    view = shortcut(slack, fake_slack, message, channel=channel)
    assert says in view["blocks"][0]["text"]["text"] and view.get("submit") is None
    assert unchanged_tables(bot) == before


def test_a_direct_message_and_a_thread_with_no_work_say_so_and_create_nothing(bot, slack, fake_slack):
    before = unchanged_tables(bot)
    reply = slack.shortcut(
        Shortcut.EXTRACT_THREAD.value,
        message={"ts": "1764000000.000100", "text": "- [ ] fix it", "user": "UALICE"},
        channel="D0123ABCD",
    )
    assert reply.status == 200
    [update] = fake_slack.ok_calls("views.update")
    assert "channels only, not in direct messages" in str(update.args["view"]["blocks"])
    assert not fake_slack.calls_to("conversations.replies")

    ts = fake_slack.add_message("CGENERAL", "Deploy went out fine")
    fake_slack.add_message("CGENERAL", "Nice, thanks", user="UBOB", thread_ts=ts)
    message = next(m for m in fake_slack.messages("CGENERAL") if m["ts"] == ts)
    slack.shortcut(Shortcut.EXTRACT_THREAD.value, message=message)
    view = fake_slack.views[fake_slack.ok_calls("views.update")[-1].args["view_id"]]
    assert view["title"]["text"] == "Nothing to track" and view.get("submit") is None
    assert unchanged_tables(bot) == before


def test_a_rate_limit_longer_than_the_bot_waits_is_said(bot, slack, fake_slack, monkeypatch):
    parent = long_thread(fake_slack)
    waits: list[float] = []
    monkeypatch.setattr(thread_reader, "sleep", waits.append)
    fake_slack.fail("conversations.replies", status=429, retry_after=120)
    view = shortcut(slack, fake_slack, parent)
    assert "slow down" in view["blocks"][0]["text"]["text"] and waits == []
    assert items(bot) == []
