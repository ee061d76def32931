"""The create form (from the command, the Home tab and any message), lists, the status view and Home."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.services.items.changes import create_item_in
from bot.slack.ids import Action, ItemInput, Shortcut, View
from tests.fakes.blockkit_limits import validate_view
from tests.fakes.signing import checkboxes, plain_value, static_select, users_select
from tests.slack.item_steps import button, count, create, events, item, run


def open_view(fake_slack, callback_id: str) -> dict:
    return fake_slack.wait_for(
        lambda: next((v for v in fake_slack.views.values() if v["callback_id"] == callback_id), None)
    )


def form(**fields: dict) -> dict:
    values = {
        ItemInput.TITLE: plain_value("Add startup integration tests"),
        ItemInput.PRIORITY: static_select("P1"),
        ItemInput.KIND: static_select("preventative"),
        ItemInput.OWNER: users_select(None),
        ItemInput.DEADLINE: plain_value(None),
        ItemInput.DESCRIPTION: plain_value(None),
        ItemInput.SYSTEMS: plain_value("smd, websocket"),
        ItemInput.CRITERIA: plain_value("Startup test runs in CI\nStartup test fails on a coroutine"),
        ItemInput.SOURCE: plain_value(None),
        ItemInput.INCIDENT: plain_value(None),
        ItemInput.MRR: plain_value(None),
        ItemInput.NOTE: plain_value(None),
        ItemInput.FORCE: checkboxes([]),
    }
    values.update(fields)
    return {k.value: {k.value: v} for k, v in values.items()}


def test_track_alone_opens_the_form_and_submitting_creates_and_shows_the_card(bot, slack, fake_slack):
    reply = slack.command("/remediate", "track", user="UBOB")
    assert reply.status == 200 and not reply.text.strip()
    modal = open_view(fake_slack, View.ITEM_CREATE.value)
    assert validate_view(modal, "modal") == []
    # A deadline Bob (in Berlin) means as "friday 12:00"; a bad one first, shown next to its field.
    bad = slack.view_submission(
        View.ITEM_CREATE.value, form(**{ItemInput.DEADLINE: plain_value("someday")}), user="UBOB"
    )
    assert list(bad.json()["errors"]) == [ItemInput.DEADLINE.value]
    past = slack.view_submission(
        View.ITEM_CREATE.value, form(**{ItemInput.DEADLINE: plain_value("2026-01-01")}), user="UBOB"
    )
    assert "past" in past.json()["errors"][ItemInput.DEADLINE.value]
    assert count(bot, "remediation_item") == 0
    reply = slack.view_submission(
        View.ITEM_CREATE.value,
        form(**{ItemInput.DEADLINE: plain_value("friday 12:00"), ItemInput.OWNER: users_select("UDAVE")}),
        user="UBOB",
    )
    ack = reply.json()
    assert ack["response_action"] == "update" and ack["view"]["callback_id"] == View.ITEM_CARD.value
    created = item(bot, "P1-20261123-001")
    assert created.deadline == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert (created.kind, created.owner_id, created.systems) == (
        "preventative",
        "UDAVE",
        ["smd", "websocket"],
    )
    assert [c["text"] for c in created.criteria] == [
        "Startup test runs in CI",
        "Startup test fails on a coroutine",
    ]


def test_new_opens_the_form_too_and_new_with_a_title_creates(bot, slack, fake_slack):
    slack.command("/remediate", "new", user="UALICE")
    open_view(fake_slack, View.ITEM_CREATE.value)
    item_id = create(slack, '"Document the startup order" --priority P3').replace("new ", "")
    data = run(slack, 'new "Add a linter rule for un-awaited coroutines" --priority P2')
    assert "Created" in data["text"]
    assert item_id == "P3-20261123-001"


def test_the_message_shortcut_prefills_the_form_with_the_text_and_a_link_back(bot, slack, fake_slack):
    text = "Startup fails with DeterministicStartupError\nWebSocket manager is a coroutine (smd.py:465)"
    reply = slack.shortcut(Shortcut.TRACK_MESSAGE.value, message=text, channel="CINCIDENTS", user="UCAROL")
    assert reply.status == 200
    modal = open_view(fake_slack, View.ITEM_CREATE.value)
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert (
        blocks[ItemInput.TITLE.value]["element"]["initial_value"]
        == "Startup fails with DeterministicStartupError"
    )
    assert "smd.py:465" in blocks[ItemInput.DESCRIPTION.value]["element"]["initial_value"]
    link = blocks[ItemInput.SOURCE.value]["element"]["initial_value"]
    assert link.startswith("http") and "CINCIDENTS" in link.upper()
    values = form(
        **{
            ItemInput.TITLE: plain_value("Startup fails with DeterministicStartupError"),
            ItemInput.SOURCE: plain_value(link),
        }
    )
    slack.view_submission(View.ITEM_CREATE.value, values, user="UCAROL")
    created = item(bot, "P1-20261123-001")
    assert created.source_ref == link and created.reporter_id == "UCAROL"


def seed(bot, clock, n: int) -> None:
    """`n` items through the service (fast): Alice owns most; some overdue, some due soon, some completed."""
    now = clock()
    with bot.deps.uow() as session:
        for i in range(n):
            it, _ = create_item_in(
                session,
                now=now,
                settings=bot.deps.settings,
                render=bot.deps.render.items,
                actor_id="UBOB" if i % 3 else "UALICE",
                title=f"Seeded item {i}",
                priority=f"P{i % 4}",
                owner_id="UALICE" if i % 5 else "UCAROL",
                deadline=now + timedelta(hours=(i % 7) * 12 - 24),
                force=True,
            )
            if i % 11 == 0:
                it.status = "completed"
            if i % 13 == 0:
                it.status = "blocked"


def test_home_stays_within_100_blocks_with_500_items_and_puts_overdue_first(bot, slack, fake_slack, clock):
    seed(bot, clock, 500)
    slack.event({"type": "app_home_opened", "user": "UALICE", "channel": "DALICE", "tab": "home"})
    home = fake_slack.wait_for(lambda: fake_slack.home("UALICE"))
    assert len(home["blocks"]) <= 100
    assert validate_view(home, "home") == []
    rendered = json.dumps(home["blocks"])
    assert (
        rendered.index("overdue items") < rendered.index("due within 24") < rendered.index("Waiting for your")
    )
    assert "Items you reported" in rendered and "Team:" in rendered
    first_row = next(
        b for b in home["blocks"] if b.get("accessory", {}).get("action_id", "").startswith("item_open")
    )
    assert "overdue by" in first_row["text"]["text"]
    # Its buttons open items (acting on one there redraws the Home tab too) and the form.
    item_id = first_row["accessory"]["value"]
    slack.block_action(first_row["accessory"]["action_id"], user="UALICE", view=home)
    card = open_view(fake_slack, View.ITEM_CARD.value)
    assert item(bot, item_id).status == "identified"
    slack.block_action(Action.ITEM_START.value, user="UALICE", view=card["id"])
    assert item(bot, item_id).status == "in_progress"
    bot.deliver()
    fake_slack.wait_for(lambda: "In Progress" in json.dumps(fake_slack.home("UALICE")["blocks"]))
    assert button(home["blocks"], Action.ITEM_NEW.value)


def test_list_sorted_by_urgency_with_filters_and_pages(bot, slack, fake_slack, clock):
    seed(bot, clock, 45)
    data = run(slack, "list overdue", user="UALICE")
    assert "item(s)" in data["text"] and len(data["blocks"]) <= 50
    rows = [b["text"]["text"] for b in data["blocks"] if b.get("accessory")]
    assert rows and all("overdue by" in r for r in rows)
    data = run(slack, "list mine --priority P0", user="UCAROL")
    rows = [b["text"]["text"] for b in data["blocks"] if b.get("accessory")]
    assert rows and all("P0-" in r for r in rows)
    everything = run(slack, "list all", user="UALICE")
    assert "1 to 20 of 45" in json.dumps(everything["blocks"])
    page3 = run(slack, "list all --page 3", user="UALICE")
    assert "41 to 45 of 45" in json.dumps(page3["blocks"])
    blocked = run(slack, "list --status blocked", user="UALICE")
    assert all("Blocked" in b["text"]["text"] for b in blocked["blocks"] if b.get("accessory"))
    assert "Nothing here" in json.dumps(run(slack, "list --owner <@UDAVE|dave>", user="UALICE")["blocks"])


def test_status_view_follows_the_daily_template(bot, slack, clock):
    done = create(slack, '"Shipped fix" --priority P0 --status in_progress', user="UALICE")
    run(slack, f"track {done} --status completed", user="UALICE")
    create(slack, '"Working on it" --priority P1 --status in_progress', user="UALICE")
    stuck = create(slack, '"Stuck one" --priority P1', user="UALICE")
    run(slack, f"block {stuck} Waiting for staging environment access", user="UALICE")
    create(slack, '"Late one" --priority P2 --deadline 2026-11-20 --force', user="UALICE")
    create(slack, '"Soon one" --priority P0 --deadline +5h', user="UALICE")
    data = run(slack, "status --show-overdue --show-upcoming", user="UBOB")
    text = json.dumps(data["blocks"])
    for heading in (
        "Remediation Status",
        "Completed today",
        "In progress",
        "Blocked / at risk",
        "Alerts",
        "Overdue",
        "Due in the next 7 days",
    ):
        assert heading in text, heading
    assert "1 item(s) due within 24 h" in text and "1 item(s) overdue (P2: 1)" in text
    sections = {
        b["text"]["text"].split("\n")[0]: b["text"]["text"] for b in data["blocks"] if b["type"] == "section"
    }
    assert done in sections["*Completed today* (1)"]
    assert stuck in sections["*Blocked / at risk* (3)"]
    assert len(events(bot, stuck)) == 2
