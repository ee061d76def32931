"""`remediate extract-issues` on the terminal, as the seed runs it, in a real process.

On a fresh database (it gets its schema) and on the running bot's database (the bot's sender delivers the
summary and the owners' DMs the command queued). The fake Slack answers users.list, so the document's
"@bob" is Bob.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.slack.extraction_steps import items
from tests.slack.incident_steps import declare, settle
from tests.support import BOT_TOKEN, INCIDENT_CHANNEL, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
NAME = "STARTUP_FAILURE_FIVE_WHYS_ANALYSIS_20250908.md"
DOC = (
    "# Five Whys: startup failure\n\nSeverity: P0\n\n## Remediation Plan\n\n"
    "1. **Critical Fix:** Fix the async/await chain in SMD startup (Owner: @bob)\n"
    "2. **Investigation:** Verify the WebSocket manager instance type - Owner: @carol\n"
    "3. **Investigation:** Test the complete startup sequence - Owner: Dev Patel\n"
    "- [x] Restart the pods\n"
)
# The seed's "- ID: Title" line, then what the item is created with.
LINE = re.compile(
    r"^- (P[0-3]-\d{8}-\d{3}): (.+)\n    P[0-3], (owner \w+|no owner), due \d{4}-\d\d-\d\d \d\d:\d\d \w+$",
    re.M,
)


def _env(fake_slack: Any, database_url: str) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "GITHUB_", "JIRA_"))
    }
    return {
        **base,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "INCIDENT_CHANNEL": INCIDENT_CHANNEL,
        "DATABASE_URL": database_url,
        "QUIET_HOURS": "off",
    }


def extract_issues(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "extract-issues", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def listed(stdout: str) -> list[tuple[str, str, str]]:
    return [m.groups() for m in LINE.finditer(stdout)]  # type: ignore[misc]


def _count(database_url: str, table: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_on_a_fresh_database_it_lists_then_creates_the_items_once(fake_slack, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = _env(fake_slack, url)
    document = tmp_path / NAME
    document.write_text(DOC)

    shown = extract_issues(env, "--analysis-file", str(document))

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Extracted 3 issues from analysis file"
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert listed(shown.stdout) == [
        (f"P0-{today}-001", "Critical Fix: Fix the async/await chain in SMD startup", "owner UBOB"),
        (f"P2-{today}-002", "Investigation: Verify the WebSocket manager instance type", "owner UCAROL"),
        (f"P2-{today}-003", "Investigation: Test the complete startup sequence", "no owner"),
    ]
    assert "done in the document, not tracked: Restart the pods" in shown.stdout
    assert "Nothing was created; run again with --auto-add" in shown.stdout
    assert _count(url, "remediation_item") == 0 and _count(url, "extraction_draft") == 0

    added = extract_issues(env, "--analysis-file", str(document), "--auto-add")

    assert added.returncode == 0, added.stderr
    assert listed(added.stdout) == listed(shown.stdout)  # the ids it said they would get
    assert "Nothing was created" not in added.stdout
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, owner_id, source_ref, status FROM remediation_item ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (f"P0-{today}-001", "UBOB", NAME, "identified"),
        (f"P2-{today}-002", "UCAROL", NAME, "identified"),
        (f"P2-{today}-003", None, NAME, "identified"),
    ]

    again = extract_issues(env, "--analysis-file", str(document), "--auto-add")

    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "Extracted 0 issues from analysis file"
    assert again.stdout.count("already tracked as P") == 3
    assert _count(url, "remediation_item") == 3


def test_an_owner_map_names_people_the_workspace_does_not(fake_slack, tmp_path):
    env = _env(fake_slack, f"sqlite:///{tmp_path / 'fresh.db'}")
    document = tmp_path / NAME
    document.write_text(DOC)
    owners = tmp_path / "owners.txt"
    owners.write_text("# who is who\nDev Patel: UDAVE\n@bob = UCAROL\n")

    shown = extract_issues(env, "--analysis-file", str(document), "--owner-map", str(owners))

    assert shown.returncode == 0, shown.stderr
    assert [owner for _id, _title, owner in listed(shown.stdout)] == [
        "owner UCAROL",
        "owner UCAROL",
        "owner UDAVE",
    ]
    as_json = tmp_path / "owners.json"
    as_json.write_text(json.dumps({"dev patel": "UDAVE"}))
    assert extract_issues(env, "--analysis-file", str(document), "--owner-map", str(as_json)).returncode == 0

    owners.write_text("Dev Patel: dave@example.com\n")
    bad = extract_issues(env, "--analysis-file", str(document), "--owner-map", str(owners))
    assert bad.returncode == 2 and "not a Slack user id" in bad.stderr


@pytest.mark.parametrize(
    ("content", "args", "code", "said"),
    [
        (None, (), 2, "cannot read"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", (), 1, "looks binary"),
        (DOC.encode(), ("--incident", "INC-20990101-001"), 1, "INC-20990101-001"),
        (b"# Notes\n\nAll good, nothing to do.\n", (), 0, "Extracted 0 issues from analysis file"),
    ],
    ids=["missing", "binary", "unknown-incident", "nothing-to-do"],
)
def test_what_it_cannot_use_is_said_with_the_exit_code_and_creates_nothing(
    fake_slack, tmp_path, content, args, code, said
):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    document = tmp_path / NAME
    if content is not None:
        document.write_bytes(content)

    done = extract_issues(_env(fake_slack, url), "--analysis-file", str(document), "--auto-add", *args)

    assert done.returncode == code, (done.stdout, done.stderr)
    assert said in (done.stdout + done.stderr)
    if Path(tmp_path / "fresh.db").exists():
        assert _count(url, "remediation_item") == 0


@pytest.mark.both_backends
def test_on_the_bots_database_the_bot_delivers_the_summary_and_the_owners_dms(
    bot, slack, fake_slack, tmp_path, database_url
):
    incident = declare(slack, fake_slack, bot, title="Checkout is down").id
    document = tmp_path / "checkout.html"
    document.write_text(
        "<html><body><h2>Action items</h2><ul><li>Add a canary stage to config pushes (Owner: @bob)</li>"
        "<li>Alert on the checkout error rate (Owner: @carol)</li></ul></body></html>"
    )

    done = extract_issues(
        _env(fake_slack, database_url), "--analysis-file", str(document), "--auto-add", "--incident", incident
    )

    assert done.returncode == 0, done.stderr
    ids = [i for i, _title, _owner in listed(done.stdout)]
    assert len(ids) == 2
    created = {i.id: i for i in items(bot)}
    assert set(ids) <= set(created)
    assert {created[i].incident_id for i in ids} == {incident}
    assert {created[i].source_ref for i in ids} == {"checkout.html"}
    bot.clock.set(datetime.now(UTC))  # the command ran on the real clock: the bot catches up with it
    settle(bot)
    summaries = [p for p in fake_slack.posts(INCIDENT_CHANNEL) if p["text"].startswith("Extracted 2 items")]
    assert len(summaries) == 1 and "remediate extract-issues" in str(summaries[0]["blocks"])
    for owner in ("UBOB", "UCAROL"):
        assert len([m for m in fake_slack.messages(owner) if "made you the owner" in m["text"]]) == 1
