"""/remediate extract through the form: every fixture document pasted, previewed and confirmed."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.slack.ids import View
from tests.slack.extraction_steps import (
    DOCUMENTS,
    add_people,
    at_noon_utc,
    confirm,
    expected,
    fixture,
    items,
    newest_view,
    open_form,
    preview_rows,
    submit_paste,
    title_shown,
    unchanged_tables,
)

NEW_YORK = ZoneInfo("America/New_York")  # UALICE's time zone


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_every_fixture_document_through_the_form(path, bot, slack, fake_slack, clock):
    doc = fixture(path)
    add_people(fake_slack, doc)
    clock.set(at_noon_utc(doc.today))
    found = expected(doc, fake_slack)
    open_form(slack, fake_slack)
    before = unchanged_tables(bot)

    ack = submit_paste(slack, doc.text, source=doc.name)

    assert ack["response_action"] == "update"
    if not found.items:
        assert ack["view"]["title"]["text"] == "Nothing to track"
        assert "nothing to track" in ack["view"]["blocks"][0]["text"]["text"]
        assert unchanged_tables(bot) == before
        return
    preview = newest_view(fake_slack, View.EXTRACT_PREVIEW)
    rows = preview_rows(preview)
    assert len(rows) == len(found.items)
    for row, item in zip(rows, found.items, strict=True):
        assert title_shown(row, item.title), (row.text, item.title)
        assert row.description.startswith(item.priority)
        assert (f"<@{item.owner_user_id}>" if item.owner_user_id else "no owner") in row.description
        assert row.ticked
    shown = str(preview["blocks"])
    for done in found.done:
        assert done.title[:40].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in shown
    assert items(bot) == []  # nothing before the confirmation

    ack = confirm(slack, [r.value for r in rows])

    assert ack["view"]["title"]["text"] == "Items created"
    created = items(bot)
    assert len(created) == len(found.items)
    now = clock()
    policy = bot.deps.settings.deadline_policy
    by_title = {i.title: i for i in created}
    for item in found.items:
        stored = by_title[item.title]
        assert (stored.priority, stored.kind, stored.owner_id) == (
            item.priority,
            item.kind,
            item.owner_user_id,
        )
        assert stored.source_ref == doc.name and stored.incident_id is None
        due = None
        if item.due is not None:
            due = datetime.combine(item.due, item.due_time or time(17, 0), tzinfo=NEW_YORK)
        want = due if due is not None and due > now else now + policy[item.priority]
        assert stored.deadline == want, item.title
        assert [c["text"] for c in stored.criteria] == list(dict.fromkeys(item.success_criteria))
    bot.deliver()
    summaries = [p for p in fake_slack.posts("CGENERAL") if p["text"].startswith("Extracted")]
    assert len(summaries) == 1
    assert summaries[0]["text"].startswith(f"Extracted {len(created)} item")
    assert doc.name in summaries[0]["text"]
    assert all(i.id in summaries[0]["text"] for i in created)
    owners = {i.owner_user_id for i in found.items if i.owner_user_id and i.owner_user_id != "UALICE"}
    for owner in owners:
        dms = [m for m in fake_slack.messages(owner) if "made you the owner" in m["text"]]
        assert len(dms) == 1, owner
        mine = [i.id for i in created if i.owner_id == owner]
        assert all(item_id in str(dms[0]["blocks"]) for item_id in mine)
