"""Item builders stay within Slack's limits however big an item grows, and keep user text inert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.items.boards import HomeData, Page, Section, StatusBoard
from bot.slack.blocks.items.cards import card_modal, item_card
from bot.slack.blocks.items.lists import home_view, list_reply, status_view
from bot.slack.blocks.items.modals import create_modal, note_modal, reassign_modal, validate_modal
from bot.slack.blocks.items.text import notice
from bot.slack.text import from_slack, split_id
from storage.models import RemediationItem, TimelineEvent
from tests.fakes.blockkit_limits import validate_blocks, validate_view

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
EVIL = "<!channel> <@UADMIN> & <https://evil.example|click>"


def big_item(n: int = 1, status: str = "completed") -> RemediationItem:
    return RemediationItem(
        id=f"P0-20261123-{n:03d}",
        title=(EVIL + " x" * 200)[:200],
        description=EVIL * 500,
        priority="P0",
        status=status,
        owner_id="UBOB",
        reporter_id="UALICE",
        incident_id="INC-20261123-001",
        source_ref="https://example.com/" + "a" * 470,
        mrr_at_risk=1e6,
        users_affected=123456,
        availability_impact=2.5,
        systems=[f"{EVIL[:10]}{i}" for i in range(20)],
        criteria=[{"text": EVIL + "c" * 2900, "done": i % 2 == 0} for i in range(50)],
        prevention=[EVIL + "p" * 2900 for _ in range(50)],
        evidence=[{"kind": "commit", "ref": EVIL + "r" * 400, "note": EVIL * 40, "by": "UBOB", "at": ""}]
        * 100,
        status_reason=EVIL * 100,
        deadline=NOW - timedelta(hours=5),
        created_at=NOW,
        updated_at=NOW,
    )


def events(n: int = 5) -> list[TimelineEvent]:
    return [
        TimelineEvent(subject_id="P0-20261123-001", at=NOW, actor_id="UBOB", kind="note", summary="s" * 3000)
        for _ in range(n)
    ]


@pytest.mark.parametrize("status", ["identified", "in_progress", "blocked", "completed", "validated"])
def test_the_card_of_a_huge_item_fits_a_message_and_a_modal(status):
    item = big_item(status=status)
    blocks = item_card(item, events(), NOW)
    assert validate_blocks(blocks, "message") == []
    assert len(blocks) <= 10
    assert validate_view(card_modal(item, events(), NOW, notice="x" * 5000), "modal") == []
    assert "<!channel>" not in json.dumps(blocks) and "<@UADMIN>" not in json.dumps(blocks)


def test_modals_fit_slacks_limits_with_fifty_criteria_and_long_prefills():
    item = big_item()
    meta = {
        "id": item.id,
        "n": 50,
        "surface": {"kind": "ephemeral", "response_url": "https://x/" + "r" * 300},
    }
    for view in (
        validate_modal(item, meta, NOW),
        note_modal(item, meta),
        reassign_modal(item, meta),
        create_modal(meta={"channel": "C1"}, title="t" * 500, description="d" * 9000, source="s" * 900),
    ):
        assert validate_view(view, "modal") == [], view["callback_id"]
    checklists = [
        b
        for b in validate_modal(item, meta, NOW)["blocks"]
        if b.get("block_id", "").startswith("item_checklist")
    ]
    assert len(checklists) == 5 and all(len(b["element"]["options"]) == 10 for b in checklists)


def test_notice_escapes_and_fits():
    text, blocks = notice(big_item(), ":inbox_tray: headline", NOW)
    assert validate_blocks(blocks, "message") == []
    assert "<!channel>" not in text + json.dumps(blocks)


def test_home_is_at_most_100_blocks_with_full_sections():
    items = [big_item(i, "in_progress") for i in range(1, 30)]
    full = Section(items, 10_000)
    data = HomeData("UALICE", full, full, full, full, full, {"P0": 9, "P1": 9}, 5, 6, 7)
    view = home_view(data, NOW)
    assert len(view["blocks"]) <= 100
    assert validate_view(view, "home") == []


def test_list_and_status_replies_fit_a_message():
    items = [big_item(i, "in_progress") for i in range(1, 21)]
    text, blocks = list_reply(
        "Open items", Page(items, 5000, 40), NOW, more_hint="`/remediate list --page 4`"
    )
    assert validate_blocks(blocks, "message") == [] and "41 to 60 of 5000" in json.dumps(blocks)
    sec = Section(items[:10], 999)
    board = StatusBoard(NOW, sec, sec, sec, 3, {"P0": 2, "P2": 1}, overdue=sec, upcoming=sec)
    text, blocks = status_view(board, NOW)
    assert validate_blocks(blocks, "message") == [] and text


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("Fix &lt;b&gt; &amp; co", "Fix <b> & co"),
        ("ask <@U123|alice> and <@U456>", "ask @alice and @U456"),
        (
            "see <#C1|general> and <https://x.y/z|the doc> or <https://a.b>",
            "see #general and https://x.y/z or https://a.b",
        ),
        ("<!channel> pwned", "<!channel> pwned"),
    ],
)
def test_command_text_back_to_what_was_typed(raw, plain):
    assert from_slack(raw) == plain


def test_split_id_drops_quotes_around_the_whole_text():
    assert split_id('P0-20261123-001 "Added tests"') == ("P0-20261123-001", "Added tests")
    assert split_id('P0-20261123-001 it\'s "fine"') == ("P0-20261123-001", 'it\'s "fine"')
