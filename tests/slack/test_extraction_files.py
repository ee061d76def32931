"""/remediate extract with a file: uploaded in the channel first, shared with the bot in a DM, or attached
to the form. The bot downloads it with its own token; bad files get a clear message and create nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.slack.ids import Action, View
from tests.slack.extraction_steps import (
    FIXTURES,
    attach,
    confirm,
    items,
    newest_view,
    open_form,
    preview_rows,
    unchanged_tables,
)

NAME = "STARTUP_FAILURE_FIVE_WHYS_ANALYSIS.md"
DOC = (
    "# Five Whys: startup failure\n\nSeverity: P0\n\n## Remediation Plan\n\n"
    "1. **Critical Fix:** Await the WebSocket manager in SMD startup (Owner: @bob)\n"
    "2. **Investigation:** Verify the other startup hooks are awaited - Owner: @carol\n"
    "3. **Prevention:** Add a startup integration test - Owner: @dave\n"
)


def share(slack, fake_slack, name: str, content: bytes, *, user="UALICE", channel="CGENERAL", mimetype=None):
    """A person uploads a file in `channel`: Slack stores it and sends file_shared."""
    file_id = fake_slack.add_file(name, content, mimetype or "text/markdown", user=user)
    reply = slack.event(
        {
            "type": "file_shared",
            "channel_id": channel,
            "file_id": file_id,
            "user_id": user,
            "file": {"id": file_id},
        }
    )
    assert reply.status == 200
    return file_id


def downloads(fake_slack) -> list:
    return [c for c in fake_slack.calls if c.method == "file_download"]


@pytest.mark.both_backends
def test_a_file_uploaded_in_the_channel_is_extracted_by_the_command_there(bot, slack, fake_slack):
    share(slack, fake_slack, NAME, DOC.encode())

    reply = slack.command("/remediate", "extract")

    assert reply.status == 200 and not reply.text.strip()
    assert not [v for v in fake_slack.views.values() if v["callback_id"] == View.EXTRACT_INPUT.value]
    preview = newest_view(fake_slack, View.EXTRACT_PREVIEW)
    assert NAME in preview["blocks"][0]["text"]["text"]
    assert [d.http_status for d in downloads(fake_slack)] == [200]
    assert all(d.token == fake_slack.token for d in downloads(fake_slack))
    rows = preview_rows(preview)
    assert len(rows) == 3
    confirm(slack, [r.value for r in rows])
    created = items(bot)
    assert {i.source_ref for i in created} == {NAME}
    assert {(i.priority, i.owner_id) for i in created} == {("P0", "UBOB"), ("P2", "UCAROL"), ("P0", "UDAVE")}
    bot.deliver()
    [summary] = [p for p in fake_slack.posts("CGENERAL") if p["text"].startswith("Extracted")]
    in_document_order = sorted(created, key=lambda i: i.id[-3:])
    assert summary["text"] == f"Extracted 3 items from {NAME}: " + ", ".join(i.id for i in in_document_order)
    for owner in ("UBOB", "UCAROL", "UDAVE"):
        assert [m for m in fake_slack.messages(owner) if "made you the owner" in m["text"]], owner

    # The file is used up: the next extract in the channel opens the form.
    open_form(slack, fake_slack)


@pytest.mark.both_backends
def test_only_the_typists_own_recent_file_in_that_channel_counts(bot, slack, fake_slack, clock):
    share(slack, fake_slack, NAME, DOC.encode(), user="UBOB")
    share(slack, fake_slack, NAME, DOC.encode(), channel="COTHER")
    open_form(slack, fake_slack)  # Alice shared nothing in CGENERAL
    share(slack, fake_slack, NAME, DOC.encode())
    clock.advance(timedelta(hours=2))
    open_form(slack, fake_slack)  # too long ago
    assert downloads(fake_slack) == []


def test_paste_opens_the_form_even_with_a_file_waiting(bot, slack, fake_slack):
    share(slack, fake_slack, NAME, DOC.encode())
    open_form(slack, fake_slack, "--paste --source wiki/startup")
    form = newest_view(fake_slack, View.EXTRACT_INPUT)
    source = next(b for b in form["blocks"] if b.get("block_id") == "extract_source")
    assert source["element"]["initial_value"] == "wiki/startup"


def test_a_last_file_that_is_not_text_leaves_the_form_with_a_note(bot, slack, fake_slack):
    share(slack, fake_slack, "diagram.png", b"\x89PNG\r\n\x1a\n\x00\x00", mimetype="image/png")
    form = open_form(slack, fake_slack)
    assert "diagram.png" in str(form["blocks"]) and "not a .md, .txt or .html file" in str(form["blocks"])
    assert downloads(fake_slack) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"   \n\n\t  \n", "only whitespace"),
        (b"<!DOCTYPE html><html><body><script>fix()</script></body></html>", "HTML document shows no text"),
        (b"- [ ] Fix the thing\n" * 12_000, "the limit is 200,000 bytes"),
        ("- [ ] Caf\u00e9 fix\n".encode("latin-1"), "not UTF-8"),
    ],
    ids=["empty", "binary", "whitespace", "html", "huge", "latin-1"],
)
def test_a_malformed_file_gets_a_clear_message_and_creates_nothing(content, message, bot, slack, fake_slack):
    share(slack, fake_slack, "analysis.md", content)
    before = unchanged_tables(bot)

    data = slack.command("/remediate", "extract").json()

    assert data["response_type"] == "ephemeral" and message in data["text"], data["text"]
    assert "analysis.md" in data["text"] and "--paste" in data["text"]
    assert not fake_slack.views
    assert unchanged_tables(bot) == before


def test_a_file_with_nothing_actionable_says_so_and_creates_nothing(bot, slack, fake_slack):
    content = (FIXTURES / "narrative_only.md").read_bytes()
    share(slack, fake_slack, "narrative_only.md", content)
    before = unchanged_tables(bot)
    data = slack.command("/remediate", "extract").json()
    assert "nothing to track in narrative_only.md" in data["text"] and "no action items found" in data["text"]
    assert not fake_slack.views
    assert unchanged_tables(bot) == before


def test_a_file_attached_to_the_form_is_read_like_an_upload(bot, slack, fake_slack):
    file_id = fake_slack.add_file(NAME, DOC.encode())
    open_form(slack, fake_slack, "--source runbooks/startup.md")
    ack = slack.view_submission(View.EXTRACT_INPUT.value, attach(file_id, NAME, source="runbooks/startup.md"))
    assert ack.json()["response_action"] == "update"
    confirm(slack, [r.value for r in preview_rows(newest_view(fake_slack, View.EXTRACT_PREVIEW))])
    assert {i.source_ref for i in items(bot)} == {"runbooks/startup.md"}


def test_a_bad_attachment_is_refused_next_to_the_file_field(bot, slack, fake_slack):
    big = fake_slack.add_file("huge.md", b"- [ ] Fix\n" * 30_000)
    png = fake_slack.add_file("shot.png", b"\x89PNG\r\n", "image/png")
    open_form(slack, fake_slack)
    before = unchanged_tables(bot)
    for file_id, name, message in (
        (big, "huge.md", "the limit is 200,000 bytes"),
        (png, "shot.png", "not a Markdown"),
    ):
        ack = slack.view_submission(View.EXTRACT_INPUT.value, attach(file_id, name)).json()
        assert ack["response_action"] == "errors" and message in ack["errors"]["extract_file"], ack
    both = attach(big, "huge.md")
    both["extract_text"] = {"extract_text": {"type": "plain_text_input", "value": "- [ ] Fix"}}
    ack = slack.view_submission(View.EXTRACT_INPUT.value, both).json()
    assert "not both" in ack["errors"]["extract_text"]
    assert unchanged_tables(bot) == before
    assert downloads(fake_slack) == []  # the size in files.info was enough to refuse


# --- a document shared with the bot in a DM -------------------------------------------------------


def dm_channel(fake_slack, user: str) -> str:
    client = WebClient(token=fake_slack.token, base_url=fake_slack.url)
    return client.conversations_open(users=user)["channel"]["id"]


@pytest.mark.both_backends
def test_a_file_shared_with_the_bot_in_a_dm_is_answered_with_a_review_button(bot, slack, fake_slack):
    dm = dm_channel(fake_slack, "UALICE")
    share(slack, fake_slack, NAME, DOC.encode(), channel=dm)
    bot.deliver()
    [offer] = [m for m in fake_slack.messages("UALICE") if m["blocks"]]
    assert "I found 3 items" in offer["text"] and NAME in offer["text"]
    assert items(bot) == []

    slack.block_action(Action.EXTRACT_REVIEW.value, channel="UALICE", message=offer)

    preview = newest_view(fake_slack, View.EXTRACT_PREVIEW)
    rows = preview_rows(preview)
    confirm(slack, [r.value for r in rows][:2])
    assert len(items(bot)) == 2
    bot.deliver()
    summaries = [m for m in fake_slack.messages("UALICE") if m["text"].startswith("Extracted")]
    assert len(summaries) == 1 and NAME in summaries[0]["text"]

    # The button again shows what the preview created; it creates nothing more.
    slack.block_action(Action.EXTRACT_REVIEW.value, channel="UALICE", message=offer)
    again = list(fake_slack.views.values())[-1]
    assert "already used" in again["blocks"][0]["text"]["text"]
    assert len(items(bot)) == 2


def test_someone_else_cannot_open_a_draft_from_its_button(bot, slack, fake_slack):
    dm = dm_channel(fake_slack, "UALICE")
    share(slack, fake_slack, NAME, DOC.encode(), channel=dm)
    bot.deliver()
    [offer] = [m for m in fake_slack.messages("UALICE") if m["blocks"]]
    slack.block_action(Action.EXTRACT_REVIEW.value, user="UBOB", channel="UALICE", message=offer)
    shown = list(fake_slack.views.values())[-1]
    assert "no longer available" in shown["blocks"][0]["text"]["text"]
    assert shown["submit"] is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.html", b"<html><body><img src=x></body></html>", "HTML document shows no text"),
        ("photo.jpg", b"\xff\xd8\xff\xe0", "not a Markdown, text or HTML file"),
        ("summary.md", (FIXTURES / "release_notes.md").read_bytes(), "nothing to track in summary.md"),
    ],
    ids=["html", "not-text", "nothing-actionable"],
)
def test_a_dm_file_that_cannot_be_used_is_answered_plainly(name, content, message, bot, slack, fake_slack):
    dm = dm_channel(fake_slack, "UALICE")
    share(slack, fake_slack, name, content, channel=dm)
    bot.deliver()
    answers = [m["text"] for m in fake_slack.messages("UALICE")]
    assert len(answers) == 1 and message in answers[0], answers
    assert items(bot) == []
    with bot.deps.uow(readonly=True) as session:
        from sqlalchemy import text

        assert session.execute(text("SELECT count(*) FROM extraction_draft")).scalar_one() == 0


def test_the_bots_own_files_are_ignored(bot, slack, fake_slack):
    from tests.fakes.slack_api import BOT_USER_ID

    dm = dm_channel(fake_slack, "UALICE")
    before = unchanged_tables(bot)
    share(slack, fake_slack, "chart.png", b"\x89PNG", user=BOT_USER_ID, channel=dm)
    share(slack, fake_slack, "report.md", DOC.encode(), user=BOT_USER_ID)
    bot.deliver()
    assert fake_slack.messages("UALICE") == [] and downloads(fake_slack) == []
    assert unchanged_tables(bot) == before
