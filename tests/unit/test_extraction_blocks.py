"""The extraction builders and rules that need no Slack: limits with hostile documents, duplicate finding
in a large backlog, and where the bot token may be sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace

import pytest

from bot.core.extraction_preview import NothingActionable, Preview, Row
from bot.services.extraction.duplicates import _OpenTitles
from bot.services.extraction.files import _may_send_token, is_text_name
from bot.slack.blocks import extraction as blocks
from storage.extraction import ItemTitle
from tests.fakes.blockkit_limits import validate_view

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def row(index: int, title: str, **extra) -> Row:
    values = {
        "index": index,
        "title": title,
        "priority": "P1",
        "priority_reason": "default",
        "kind": "corrective",
        "owner_written": None,
        "owner_id": None,
        "due": None,
        "due_at": None,
        "deadline": NOW + timedelta(days=3),
    }
    values.update(extra)
    return Row(**values)


def preview(rows: list[Row], *, found: int | None = None, **extra) -> Preview:
    values = {
        "draft_id": "d" * 16,
        "user_id": "UALICE",
        "source": "doc.md",
        "title": None,
        "incident_id": None,
        "rows": tuple(rows),
        "found": found if found is not None else len(rows),
        "done": (),
        "warnings": (),
    }
    values.update(extra)
    return Preview(**values)


HOSTILE = "<!channel> & <@U123> " + "*_~`" * 30 + "&" * 100


def _row_blocks(view: dict) -> list[tuple[dict, dict]]:
    """(section, actions) per row the page shows."""
    pairs = pairwise(view["blocks"])
    return [(s, a) for s, a in pairs if a["type"] == "actions" and a["block_id"].startswith("extract_tick_")]


def test_a_full_preview_of_hostile_text_stays_within_every_limit():
    rows = [
        row(
            i,
            (HOSTILE + str(i))[:200],
            owner_written="<!here>" * 20,
            notes=(HOSTILE,) * 5,
            duplicate_of="P1-20261123-001" if i % 3 == 0 else None,
            duplicate_why="an open item has the same title",
            description=HOSTILE * 40,
        )
        for i in range(500)
    ]
    whole = preview(rows, found=5_000, done=(HOSTILE,) * 500, warnings=(HOSTILE,) * 500, source=HOSTILE)
    for page in (0, 1, 12, 24, 99):
        view = blocks.preview_modal(whole, page=page)
        assert validate_view(view, "modal") == []
        assert len(view["blocks"]) <= 100
        assert "<!channel>" not in str(view["blocks"]) and "<!here>" not in str(view["blocks"])
        shown = _row_blocks(view)
        assert len(shown) == 20
        ticked = [a for _, a in shown if a["elements"][0].get("initial_options")]
        first = min(page, 24) * 20
        assert len(ticked) == len([r for r in rows[first : first + 20] if r.checked])
        assert len(view["private_metadata"]) < 100


@pytest.mark.parametrize("count", [1, 19, 20, 21, 99, 100, 101, 500])
def test_pages_of_twenty(count):
    whole = preview([row(i, f"Fix thing {i}") for i in range(count)])
    pages = (count + 19) // 20
    seen = []
    for page in range(pages):
        view = blocks.preview_modal(whole, page=page)
        assert validate_view(view, "modal") == []
        seen += [a["elements"][1]["value"] for _, a in _row_blocks(view)]
        paging = [b for b in view["blocks"] if b.get("block_id") == "extract_pages"]
        assert len(paging) == (1 if pages > 1 else 0)
        if pages > 1:
            ways = [e["action_id"] for e in paging[0]["elements"]]
            assert ways == [
                w
                for w, on in (("extract_page:prev", page > 0), ("extract_page:next", page < pages - 1))
                if on
            ]
    assert seen == [str(i) for i in range(count)]


def test_a_long_title_is_shown_whole():
    title = (
        "Replace the hand-rolled retry loop in the ledger exporter with the shared backoff helper & jitter "
        "so that a slow ledger never holds the export queue for more than one retry window"
    )
    view = blocks.preview_modal(preview([row(0, title)]))
    [(text, _actions)] = _row_blocks(view)
    assert text["text"]["text"].split("\n")[0] == "*1.* " + title.replace("&", "&amp;")


def test_the_deadline_shown_says_whether_it_was_written_or_is_the_default():
    due = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    written = row(0, "A", due=date(2026, 12, 1), due_at=due, deadline=due, owner_id="UBOB")
    default = row(1, "B")
    view = blocks.preview_modal(preview([written, default]))
    first, second = (s["text"]["text"].split("\n")[1] for s, _ in _row_blocks(view))
    assert first == "`P1` · <@UBOB> · due 1 Dec 2026 · corrective"
    assert second == "`P1` · no owner · default due 26 Nov 2026 · corrective"


def test_the_edit_form_holds_the_row_and_stays_within_the_limits():
    due = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    written = row(
        3,
        HOSTILE[:200],
        due=date(2026, 12, 1),
        due_at=due,
        deadline=due,
        owner_id="UBOB",
        description=HOSTILE * 40,
        section=HOSTILE,
        line=12,
    )
    view = blocks.edit_modal(written, draft_id="d" * 16, page=0, parent="V1")
    assert validate_view(view, "modal") == []
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["extract_item_deadline"]["initial_date"] == "2026-12-01"
    assert inputs["extract_item_owner"]["initial_user"] == "UBOB"
    assert inputs["extract_item_title"]["initial_value"] == HOSTILE[:200]
    assert "<!channel>" not in str(view["blocks"][0])
    default = blocks.edit_modal(row(0, "B"), draft_id="d" * 16, page=0, parent="V1")
    assert (
        "initial_date"
        not in {b["block_id"]: b["element"] for b in default["blocks"] if b["type"] == "input"}[
            "extract_item_deadline"
        ]
    )


def test_the_form_and_the_other_views_are_valid():
    assert (
        validate_view(
            blocks.input_modal(channel_id="C1", incident_id="INC-1", source="x" * 900, note="n"), "modal"
        )
        == []
    )
    problem = NothingActionable(
        "doc.md", "no action items found", warnings=(HOSTILE,) * 50, done=(HOSTILE,) * 50
    )
    assert validate_view(blocks.nothing_modal(problem), "modal") == []
    assert (
        validate_view(
            blocks.created_modal(HOSTILE, tuple(f"P1-20261123-{i:03d}" for i in range(200)), again=False),
            "modal",
        )
        == []
    )


def test_summary_and_owner_messages_stay_within_a_message():
    from tests.fakes.blockkit_limits import validate_blocks

    items = [
        SimpleNamespace(
            id=f"P1-20261123-{i:03d}",
            title=HOSTILE,
            status="identified",
            owner_id="UBOB",
            deadline=NOW,
            issue=None,  # no linked GitHub or Jira issue
        )
        for i in range(200)
    ]
    text, found = blocks.summary_message(
        actor_id="UALICE", source=HOSTILE, incident_id="INC-1", items=items, now=NOW
    )  # type: ignore[arg-type]
    assert validate_blocks(found, "message") == [] and len(text) <= 3000
    assert text.startswith("Extracted 200 items from &lt;!channel&gt;")
    text, found = blocks.owner_message(actor_id="UALICE", source="doc.md", items=items, now=NOW)  # type: ignore[arg-type]
    assert validate_blocks(found, "message") == [] and "200 remediation items" in text


def _titles(*titles: str) -> list[ItemTitle]:
    return [ItemTitle(f"P2-20261123-{i:03d}", t, t.lower(), "identified", None) for i, t in enumerate(titles)]


def test_near_identical_open_titles_are_found_and_different_work_is_not():
    index = _OpenTitles(
        _titles("Add a startup integration test", "Rotate queue 1 credentials", "Add alerting")
    )
    assert index.near("Add a start-up integration test!") is not None
    assert index.near("Add startup integration tests") is not None
    assert index.near("Rotate queue 2 credentials") is None
    assert index.near("Add a shutdown integration test for the billing service") is None
    assert index.near("the") is None


def test_the_word_index_bounds_the_work_in_a_large_backlog():
    backlog = _titles(*(f"Add alerting for service {n} error budget burn" for n in range(20_000)))
    index = _OpenTitles(backlog)
    assert index.near("Add alerting for service 19999 error budget burn").id == backlog[-1].id
    assert index.near("Add alerting for the payments error budget") is None


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/doc.md", True),
        ("https://slack.com/files/x", True),
        ("http://files.slack.com/files-pri/T1-F1/doc.md", False),
        ("https://files.slack.com.evil.example/doc.md", False),
        ("https://evil.example/?files.slack.com", False),
        ("file:///etc/passwd", False),
        ("http://127.0.0.1:8999/files/F1/doc.md", True),  # SLACK_API_URL's host
        ("http://127.0.0.1:9000/files/F1/doc.md", False),
    ],
)
def test_the_token_goes_only_to_slack(url, allowed):
    deps = SimpleNamespace(settings=SimpleNamespace(slack_api_url="http://127.0.0.1:8999/api/"))
    assert _may_send_token(deps, url) is allowed  # type: ignore[arg-type]


def test_text_files_by_name():
    assert [is_text_name(n) for n in ("a.md", "B.TXT", "c.markdown", "d.pdf", "md", "e.md.png")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
