"""/remediate extract through the form: every fixture document pasted, previewed and confirmed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
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
        assert row.description.startswith(f"`{item.priority}` · ")
        assert row.description.split("\n")[0].endswith(item.kind)
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


PLAN = """# Five Whys: startup failure

Severity: P1

## Action Items

- [ ] Fix the async/await chain in SMD startup - Owner: @bob - Due: 2026-11-30
- [ ] Add a startup integration test - Owner: @carol
- [ ] Document the startup order - Owner: @alice
- [x] Roll back the release - Owner: @bob
"""


def preview_of(slack, fake_slack, text: str, *, args: str = "", source: str | None = "FIVE_WHYS.md"):
    open_form(slack, fake_slack, args)
    ack = submit_paste(slack, text, source=source)
    assert ack.get("response_action") == "update", ack
    return newest_view(fake_slack, View.EXTRACT_PREVIEW)


def test_unticking_a_row_skips_it_and_the_deadline_is_read_in_the_typists_time_zone(bot, slack, fake_slack):
    rows = preview_rows(preview_of(slack, fake_slack, PLAN))
    assert [r.ticked for r in rows] == [True, True, True]
    assert "due 30 Nov 2026" in rows[0].description and "<@UBOB>" in rows[0].description
    assert "default due" in rows[1].description

    ack = confirm(slack, [rows[0].value, rows[2].value])

    created = items(bot)
    assert [i.title for i in created] == [
        "Fix the async/await chain in SMD startup",
        "Document the startup order",
    ]
    assert created[0].deadline == datetime(2026, 11, 30, 17, 0, tzinfo=NEW_YORK)
    assert created[0].owner_id == "UBOB" and created[1].owner_id == "UALICE"
    assert [i.priority for i in created] == ["P1", "P3"]  # "Document …" suggests P3
    assert "Created 2 items" in ack["view"]["blocks"][0]["text"]["text"]
    bot.deliver()
    [summary] = [p for p in fake_slack.posts("CGENERAL") if p["text"].startswith("Extracted")]
    assert summary["text"] == f"Extracted 2 items from FIVE_WHYS.md: {created[0].id}, {created[1].id}"
    assert [m["text"] for m in fake_slack.messages("UBOB") if "made you the owner" in m["text"]]
    assert not [m for m in fake_slack.messages("UALICE") if "made you the owner" in m["text"]]
    assert not [m for m in fake_slack.messages("UCAROL") if "made you the owner" in m["text"]]


def test_ticking_nothing_creates_nothing_and_says_so_next_to_the_items(bot, slack, fake_slack):
    preview = preview_of(slack, fake_slack, PLAN)
    before = unchanged_tables(bot)
    ack = confirm(slack, [])
    # Slack shows `errors` only next to input blocks: the same preview again, the problem above its rows
    assert ack["response_action"] == "update"
    assert ack["view"]["callback_id"] == View.EXTRACT_PREVIEW.value
    assert "Tick at least one item" in ack["view"]["blocks"][0]["text"]["text"]
    assert len(preview_rows(ack["view"])) == len(preview_rows(preview))
    assert unchanged_tables(bot) == before


@pytest.mark.both_backends
def test_a_preview_submitted_twice_creates_once(bot, slack, fake_slack):
    from tests.slack.extraction_steps import tick

    preview = preview_of(slack, fake_slack, PLAN)
    values = [r.value for r in preview_rows(preview)]
    first = confirm(slack, values)
    again = slack.view_submission(
        View.EXTRACT_PREVIEW.value,
        tick(preview, []),
        view_id=preview["id"],
        private_metadata=preview["private_metadata"],
    ).json()
    assert "Created 3 items" in first["view"]["blocks"][0]["text"]["text"]
    assert "already used" in again["view"]["blocks"][0]["text"]["text"]
    ids = [i.id for i in items(bot)]
    assert len(ids) == 3 and all(i in again["view"]["blocks"][0]["text"]["text"] for i in ids)
    bot.deliver()
    assert len([p for p in fake_slack.posts() if p["text"].startswith("Extracted")]) == 1


@pytest.mark.both_backends
def test_concurrent_submissions_of_one_preview_create_once(bot, slack, fake_slack):
    import threading

    from tests.fakes.signing import SlackDriver
    from tests.slack.extraction_steps import tick
    from tests.support import SIGNING_SECRET

    preview = preview_of(slack, fake_slack, PLAN)
    values = tick(preview, [r.value for r in preview_rows(preview)])
    answers: list[dict] = []

    def submit() -> None:
        driver = SlackDriver(bot.url, SIGNING_SECRET)  # no fake: the modal is not updated in between
        reply = driver.view_submission(
            View.EXTRACT_PREVIEW.value, values, private_metadata=preview["private_metadata"]
        )
        answers.append(reply.json())
        driver.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(items(bot)) == 3
    texts = [a["view"]["blocks"][0]["text"]["text"] for a in answers]
    assert sum("Created 3 items" in t for t in texts) == 1
    assert sum("already used" in t for t in texts) == 3


def test_incident_flag_links_every_item_and_an_unknown_incident_is_refused(bot, slack, fake_slack):
    from tests.slack.incident_steps import declare

    before = unchanged_tables(bot)
    reply = slack.command("/remediate", "extract --incident INC-20991231-001")
    assert "INC-20991231-001" in reply.json()["text"] and not fake_slack.views
    bad = slack.command("/remediate", "extract --incident yesterday")
    assert "not an incident id" in bad.json()["text"]
    words = slack.command("/remediate", "extract fix the cache")
    assert "takes no text of its own" in words.json()["text"]
    assert unchanged_tables(bot) == before
    inc = declare(slack, fake_slack, bot)
    preview = preview_of(slack, fake_slack, PLAN, args=f"--incident {inc.id.lower()}")
    assert inc.id in preview["blocks"][0]["text"]["text"]
    confirm(slack, [r.value for r in preview_rows(preview)])
    assert {i.incident_id for i in items(bot)} == {inc.id}
    bot.deliver()
    [summary] = [p for p in fake_slack.posts("CGENERAL") if p["text"].startswith("Extracted")]
    assert inc.id in str(summary["blocks"])


@pytest.mark.both_backends
def test_duplicates_of_existing_items_are_flagged_and_start_unticked(bot, slack, fake_slack):
    preview = preview_of(slack, fake_slack, PLAN)
    confirm(slack, [r.value for r in preview_rows(preview)][:1])  # the first item exists now
    first = items(bot)[0]
    near = PLAN.replace("Add a startup integration test", "Add a start-up integration test") + (
        "- [ ] Document the startup order for the on-call team\n"
    )
    with bot.deps.uow() as session:  # an open item by hand, with a near-identical title
        from bot.services.items.changes import create_item_in

        create_item_in(
            session,
            now=bot.deps.now(),
            settings=bot.deps.settings,
            render=bot.deps.render.items,
            actor_id="UCAROL",
            title="Add a startup integration tests",
            priority="P2",
            source_ref="a chat thread",
        )
    rows = preview_rows(preview_of(slack, fake_slack, near))

    assert [r.ticked for r in rows] == [False, False, True, True]
    notes = str(newest_view(fake_slack, View.EXTRACT_PREVIEW)["blocks"])
    assert f"already tracked from this document: *{first.id}*" in notes
    assert "an open item has a near-identical title" in notes
    confirm(slack, [r.value for r in rows if r.ticked])
    assert sorted(i.title for i in items(bot)) == sorted(
        [
            "Add a startup integration tests",
            "Document the startup order",
            "Document the startup order for the on-call team",
            "Fix the async/await chain in SMD startup",
        ]
    )


def test_the_same_title_from_another_source_is_a_duplicate_only_while_open(bot, slack, fake_slack):
    preview = preview_of(slack, fake_slack, PLAN, source="first.md")
    confirm(slack, [r.value for r in preview_rows(preview)])
    rows = preview_rows(preview_of(slack, fake_slack, PLAN, source="second.md"))
    assert [r.ticked for r in rows] == [False, False, False]
    assert "an open item has the same title" in str(newest_view(fake_slack, View.EXTRACT_PREVIEW)["blocks"])
    with bot.deps.uow() as session:
        from sqlalchemy import text

        session.execute(text("UPDATE remediation_item SET status = 'cancelled'"))
    rows = preview_rows(preview_of(slack, fake_slack, PLAN, source="second.md"))
    assert [r.ticked for r in rows] == [True, True, True]
    rows = preview_rows(preview_of(slack, fake_slack, PLAN, source="first.md"))
    assert [r.ticked for r in rows] == [False, False, False]


def test_what_could_not_be_read_is_noted_in_the_preview(bot, slack, fake_slack):
    text = (
        "## Action Items\n"
        "- [ ] Rotate the signing keys - Owner: Dev Patel - Due: next sprint\n"
        "- [ ] Re-run the export - Owner: @bob - Due: 2026-01-05\n"
    )
    preview = preview_of(slack, fake_slack, text, source=None)
    shown = str(preview["blocks"])
    assert "could not read due date" in shown and "next sprint" in shown
    assert "Dev Patel" in shown and "is not a Slack user I know" in shown
    assert "the due date 2026-01-05 has passed" in shown
    assert "the pasted document" in preview["blocks"][0]["text"]["text"]
    confirm(slack, [r.value for r in preview_rows(preview)])
    rotate, rerun = sorted(items(bot), key=lambda i: i.title)[::-1]
    assert rotate.owner_id is None and "Owner as written: Dev Patel" in rotate.description
    assert rerun.deadline == bot.deps.now() + bot.deps.settings.deadline_policy[rerun.priority]
    assert rotate.source_ref == "the pasted document"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste the document here"),
        ("   \n\t\n  ", "only whitespace"),
        ("<html><body><script>alert(1)</script></body></html>", "HTML document shows no text"),
        ("- [ ] fix\x00\x01\x02 the thing", "looks binary"),
    ],
    ids=["empty", "whitespace", "html", "binary"],
)
def test_malformed_pasted_documents_get_a_clear_message_next_to_the_box(
    text, message, bot, slack, fake_slack
):
    open_form(slack, fake_slack)
    before = unchanged_tables(bot)
    ack = submit_paste(slack, text or None)
    assert ack["response_action"] == "errors"
    assert message in ack["errors"]["extract_text"]
    assert unchanged_tables(bot) == before


def test_a_document_whose_items_are_all_ticked_says_so_plainly(bot, slack, fake_slack):
    open_form(slack, fake_slack)
    before = unchanged_tables(bot)
    ack = submit_paste(slack, "## Action Items\n- [x] Roll back\n- [x] Page the owner\n", source="done.md")
    view = ack["view"]
    assert view["title"]["text"] == "Nothing to track" and "submit" not in view
    assert "all 2 action items in the document are ticked as done" in view["blocks"][0]["text"]["text"]
    assert "Roll back" in str(view["blocks"])
    assert unchanged_tables(bot) == before


def _plan(count: int) -> str:
    lines = ["# Remediation plan", "", "## Action Items", ""]
    lines += [f"- [ ] Harden service {n} against broker resets - Owner: @bob" for n in range(1, count + 1)]
    return "\n".join(lines) + "\n"


def _attached_preview(slack, fake_slack, text: str, name: str = "big-plan.md") -> dict:
    from tests.slack.extraction_steps import attach

    file_id = fake_slack.add_file(name, text.encode())
    open_form(slack, fake_slack)
    ack = slack.view_submission(View.EXTRACT_INPUT.value, attach(file_id, name)).json()
    assert ack["response_action"] == "update", ack
    return newest_view(fake_slack, View.EXTRACT_PREVIEW)


@pytest.mark.both_backends
def test_hundreds_of_items_come_in_pages_within_the_limits_and_ticks_and_edits_are_kept(
    bot, slack, fake_slack
):
    from tests.fakes.blockkit_limits import validate_view
    from tests.slack.extraction_steps import edit_values, open_edit, save_edit, turn_page, untick_now

    preview = _attached_preview(slack, fake_slack, _plan(340))
    seen: list[str] = []
    for page in range(17):
        assert validate_view(preview, "modal") == [] and len(preview["blocks"]) <= 100
        rows = preview_rows(preview)
        assert [r.value for r in rows] == [str(n) for n in range(page * 20, page * 20 + 20)]
        assert f"Items {page * 20 + 1} to {page * 20 + 20} of 340* (page {page + 1} of 17)" in str(
            preview["blocks"]
        )
        assert all(r.ticked for r in rows)
        seen += [r.text for r in rows]
        if page < 16:
            preview = turn_page(slack, preview, "next")
    assert "On to items" not in str(preview["blocks"])  # the last page has no way further
    assert seen == [f"*{n}.* Harden service {n} against broker resets" for n in range(1, 341)]
    assert "340 items* found" in preview["blocks"][0]["text"]["text"]

    for _ in range(14):  # back to page 3 (items 41 to 60)
        preview = turn_page(slack, preview, "prev")
    assert preview_rows(preview)[0].value == "40"
    untick_now(slack, preview, preview_rows(preview)[4])  # item 45
    preview = turn_page(slack, preview, "prev")  # page 2: items 21 to 40
    row = preview_rows(preview)[9]  # item 30
    form = open_edit(slack, preview, row)
    assert save_edit(slack, form, edit_values(title="Harden service 30 first", priority="P0")) == {}
    preview = fake_slack.views[preview["id"]]
    assert preview_rows(preview)[9].text == "*30.* Harden service 30 first"  # still on page 2
    assert (
        "`P0`" in preview_rows(preview)[9].description and "_edited_" in preview_rows(preview)[9].description
    )
    preview = turn_page(slack, preview, "next")
    assert not preview_rows(preview)[4].ticked  # item 45 stays unticked
    preview = turn_page(slack, preview, "prev")
    assert "338 of 340 ticked" not in preview["blocks"][0]["text"]["text"]
    assert "339 of 340 ticked" in preview["blocks"][0]["text"]["text"]

    # Submitted from page 2 with item 25 unticked on screen: 338 items.
    ack = confirm(slack, [r.value for r in preview_rows(preview) if r.value != "24"], view=preview)

    assert "Created 338 items" in ack["view"]["blocks"][0]["text"]["text"]
    created = {i.title: i for i in items(bot)}
    assert len(created) == 338
    assert "Harden service 25 against broker resets" not in created
    assert "Harden service 45 against broker resets" not in created
    assert created["Harden service 30 first"].priority == "P0"
    assert "Harden service 30 against broker resets" not in created
    bot.deliver()
    [summary] = [p for p in fake_slack.posts("CGENERAL") if p["text"].startswith("Extracted")]
    assert summary["text"].startswith("Extracted 338 items from big-plan.md: P")


def test_more_items_than_one_preview_holds_are_counted_not_offered(bot, slack, fake_slack):
    from tests.fakes.blockkit_limits import validate_view

    preview = _attached_preview(slack, fake_slack, _plan(520))
    assert validate_view(preview, "modal") == [] and len(preview["blocks"]) <= 100
    assert "Only the first 500 of 520 items" in str(preview["blocks"])
    assert "520 items" in preview["blocks"][0]["text"]["text"]
    assert "of 500* (page 1 of 25)" in str(preview["blocks"])


def test_edited_title_priority_owner_deadline_and_kind_are_what_is_created(bot, slack, fake_slack, clock):
    from tests.slack.extraction_steps import edit_values, open_edit, save_edit

    preview = preview_of(slack, fake_slack, PLAN)
    row = preview_rows(preview)[1]  # "Add a startup integration test", carol, default deadline
    form = open_edit(slack, preview, row)
    shown = {b["block_id"]: b.get("element") for b in form["blocks"] if b["type"] == "input"}
    assert shown["extract_item_title"]["initial_value"] == "Add a startup integration test"
    assert shown["extract_item_priority"]["initial_option"]["value"] == row.description[1:3]
    assert shown["extract_item_owner"]["initial_user"] == "UCAROL"
    assert "initial_date" not in shown["extract_item_deadline"]  # the priority's default
    long_title = "Add a startup integration test that boots SMD against a cold database " * 2
    long_title = long_title.strip()[:199]
    day = (clock() + timedelta(days=9)).date()

    ack = save_edit(
        slack,
        form,
        edit_values(
            title=long_title, priority="P0", owner="UDAVE", deadline=day.isoformat(), kind="preventative"
        ),
    )

    assert ack == {}  # the form closes: back to the preview, which shows the edit
    assert form["id"] not in fake_slack.views
    preview = fake_slack.views[preview["id"]]
    edited = preview_rows(preview)[1]
    assert edited.text == f"*2.* {long_title}"  # the whole title, not cut
    assert edited.description.startswith(f"`P0` · <@UDAVE> · due {day.day} {day:%b %Y} · preventative")
    assert items(bot) == []

    confirm(slack, [r.value for r in preview_rows(preview)])

    created = {i.title: i for i in items(bot)}
    item = created[long_title]
    assert (item.priority, item.owner_id, item.kind) == ("P0", "UDAVE", "preventative")
    assert item.deadline == datetime.combine(day, time(17, 0), tzinfo=NEW_YORK)
    assert "Add a startup integration test" not in created
    assert item.source_ref == "FIVE_WHYS.md"
    bot.deliver()
    assert [m for m in fake_slack.messages("UDAVE") if "made you the owner" in m["text"]]
    assert not [m for m in fake_slack.messages("UCAROL") if "made you the owner" in m["text"]]


@pytest.mark.parametrize(
    ("change", "block", "message"),
    [
        ({"priority": "P9"}, "extract_item_priority", "is not a priority"),
        ({"deadline": "2026-11-20"}, "extract_item_deadline", "has passed"),
        ({"title": "x" * 201}, "extract_item_title", "keep it to 200"),
        ({"title": "   "}, "extract_item_title", "needs a title"),
        ({"kind": "heroic"}, "extract_item_kind", "is not a kind"),
        ({"owner": "UNOBODY"}, "extract_item_owner", "not in this workspace"),
        ({"deadline": "tomorrow"}, "extract_item_deadline", "Pick a date"),
    ],
    ids=["priority", "past-deadline", "long-title", "empty-title", "kind", "owner", "garbled-date"],
)
def test_bad_input_in_an_edit_gets_a_field_error_and_changes_nothing(
    change, block, message, bot, slack, fake_slack
):
    from tests.slack.extraction_steps import edit_values, open_edit, save_edit

    preview = preview_of(slack, fake_slack, PLAN)
    form = open_edit(slack, preview, preview_rows(preview)[0])
    before = unchanged_tables(bot)
    values = {"title": "Fix the async chain", "priority": "P1", "owner": "UBOB", "kind": "corrective"}

    ack = save_edit(slack, form, edit_values(**{**values, **change}))

    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == [block] and message in ack["errors"][block], ack
    assert unchanged_tables(bot) == before
    assert form["id"] in fake_slack.views  # the form stays open
    confirm(slack, ["0"], view=fake_slack.views[preview["id"]])
    assert [i.title for i in items(bot)] == ["Fix the async/await chain in SMD startup"]


def test_an_edit_after_the_preview_was_used_changes_nothing(bot, slack, fake_slack):
    from tests.slack.extraction_steps import edit_values, open_edit, save_edit

    preview = preview_of(slack, fake_slack, PLAN)
    form = open_edit(slack, preview, preview_rows(preview)[0])
    driver_ack = slack.view_submission(
        View.EXTRACT_PREVIEW.value, {}, view_id=preview["id"], private_metadata=preview["private_metadata"]
    ).json()
    assert "Created 3 items" in driver_ack["view"]["blocks"][0]["text"]["text"]
    before = [(i.title, i.priority) for i in items(bot)]
    ack = save_edit(slack, form, edit_values(title="Something else", priority="P0"))
    assert ack == {}
    assert [(i.title, i.priority) for i in items(bot)] == before
    assert "already used" in str(fake_slack.views[preview["id"]]["blocks"])
