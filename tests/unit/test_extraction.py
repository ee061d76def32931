"""The analysis-document extractor: fixtures against hand-written expectations, document checks, the
individual reading rules, and a property test that arbitrary text never makes it raise."""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.extraction import (
    DocumentError,
    ExtractedItem,
    Extraction,
    check_document,
    extract,
    normalise_title,
    similar_titles,
)

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "analyses"
EXPECTED = sorted((FIXTURES / "expected").glob("*.json"))
TODAY = datetime.date(2025, 10, 1)
REQUIRED_KEYS = {"title", "priority", "kind", "owner", "due"}


def _document(stem: str) -> pathlib.Path:
    return next(p for p in FIXTURES.iterdir() if p.is_file() and p.stem == stem)


def _run(stem: str) -> tuple[Extraction, dict]:
    expected = json.loads((FIXTURES / "expected" / f"{stem}.json").read_text(encoding="utf-8"))
    text = check_document(_document(stem).read_bytes())
    result = extract(
        text, today=datetime.date.fromisoformat(expected["today"]), known_users=expected["known_users"]
    )
    return result, expected


def _plain(value: object) -> object:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _extract(text: str, **kwargs: object) -> Extraction:
    return extract(text, today=TODAY, **kwargs)  # type: ignore[arg-type]


def _one(text: str, **kwargs: object) -> ExtractedItem:
    result = _extract(text, **kwargs)
    assert len(result.items) == 1, [i.title for i in result.items]
    return result.items[0]


# --------------------------------------------------------------------------------------- fixtures


def test_there_are_at_least_ten_fixtures_each_with_an_expectation():
    documents = [p for p in FIXTURES.iterdir() if p.is_file()]
    assert len(documents) >= 10
    assert {p.stem for p in documents} == {p.stem for p in EXPECTED}


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_fixture_matches_its_expectation_exactly(path: pathlib.Path):
    result, expected = _run(path.stem)

    assert result.title == expected["title"]
    assert result.severity == expected["severity"]
    assert list(result.warnings) == expected["warnings"]
    for group in ("items", "done"):
        actual_items = getattr(result, group)
        assert [i.title for i in actual_items] == [e["title"] for e in expected[group]], group
        for item, wanted in zip(actual_items, expected[group], strict=True):
            assert wanted.keys() >= REQUIRED_KEYS, wanted["title"]
            assert item.done is (group == "done")
            for key, value in wanted.items():
                assert _plain(getattr(item, key)) == value, f"{wanted['title']!r}: {key}"
    if expected["items"]:
        assert result.nothing_actionable_reason is None
    else:
        assert result.nothing_actionable_reason


def _checkbox_lines(text: str) -> dict[int, str]:
    return {
        n: line
        for n, line in enumerate(text.split("\n"), start=1)
        if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]", line)
    }


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_every_checkbox_is_an_item_a_done_item_or_a_success_criterion(path: pathlib.Path):
    result, _ = _run(path.stem)
    text = check_document(_document(path.stem).read_bytes())
    item_lines = {i.line for i in result.items + result.done}
    criteria = {c for i in result.items + result.done for c in i.success_criteria}
    for number, line in _checkbox_lines(text).items():
        body = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s*", "", line)
        assert number in item_lines or body in criteria, line
        if re.search(r"\[[xX]\]", line) and number in item_lines:
            assert number in {i.line for i in result.done}, line


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_no_heading_why_answer_evidence_bullet_or_prose_becomes_an_item(path: pathlib.Path):
    result, _ = _run(path.stem)
    lines = check_document(_document(path.stem).read_bytes()).split("\n")
    for item in result.items + result.done:
        source = lines[item.line - 1]
        following = lines[item.line] if item.line < len(lines) else ""
        assert not source.lstrip().startswith("#"), source
        assert not re.match(r"^\s*(?:=+|-{2,})\s*$", following), source  # setext heading
        assert not re.match(r"^\s*(?:\*\*)?(?:WHY|Answer|Evidence|ROOT CAUSE)\b", source, re.I), source
        # Only list lines, table rows and prefixed plan steps can be items.
        assert re.match(r"^\s*(?:[-*+]|\d+[.)]|\|)", source), source


def test_five_whys_evidence_bullets_and_answers_stay_out():
    result, _ = _run("five_whys_checkout")
    titles = " ".join(i.title for i in result.items)
    assert "Queue depth rose" not in titles
    assert "health check only verifies" not in titles
    assert "loud and recoverable" not in titles  # the Recommendation prose: the plan already covers it


def test_crlf_fixture_has_crlf_bytes_and_reads_like_its_lf_version():
    raw = _document("crlf_action_items").read_bytes()
    assert b"\r\n" in raw
    lf = raw.replace(b"\r\n", b"\n").decode("utf-8")
    assert extract(check_document(raw), today=TODAY) == extract(lf, today=TODAY)
    # extract() normalises on its own too, so line numbers agree without check_document.
    assert extract(raw.decode("utf-8"), today=TODAY) == extract(lf, today=TODAY)


@pytest.mark.timeout(30)  # a hang guard only; the speed itself is measured by the benchmarks
def test_a_200_kb_document_extracts():
    parts = [check_document(p.read_bytes()) for p in sorted(FIXTURES.iterdir()) if p.is_file()]
    text = ""
    while len(text.encode("utf-8")) < 195_000:
        text += "\n\n".join(parts) + "\n\n"
    text = text.encode("utf-8")[:200_000].decode("utf-8", errors="ignore")
    check_document(text)
    result = extract(text, today=TODAY)
    assert result.items


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] fix " + "@a " * 60_000 + "x",  # trailing-mention stripping must not backtrack
        "- [ ] " + "[" * 200_000,
        "- [ ] " + "**a " * 50_000,
        "- [ ] " + "`" * 200_000,
        "- [ ] a " + "(" * 200_000,
        "- [ ] " + "due " * 50_000,
        "# a" + " " * 200_000 + "b",
    ],
    ids=["mentions", "brackets", "bold", "backticks", "parens", "due-words", "whitespace"],
)
@pytest.mark.timeout(30)  # a quadratic pattern would take minutes; the benchmarks measure the speed
def test_pathological_200_kb_lines_finish(line: str):
    extract(line, today=TODAY, known_users={"alice": "U1"})


# --------------------------------------------------------------------------------------- check_document


def test_check_document_rejects_binary_bytes():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    with pytest.raises(DocumentError, match=r"binary.*paste Markdown or plain text"):
        check_document(png)


def test_check_document_rejects_undecodable_bytes():
    with pytest.raises(DocumentError, match="not UTF-8"):
        check_document(b"Action items\n- [ ] caf\xe9 \xff\xfe")


def test_check_document_rejects_mostly_control_characters():
    with pytest.raises(DocumentError, match="binary"):
        check_document("\x01\x02\x03\x04\x05 ok \x06\x07\x08\x0b\x0e")


@pytest.mark.parametrize("raw", [b"", ""])
def test_check_document_rejects_empty(raw: bytes | str):
    with pytest.raises(DocumentError, match="empty"):
        check_document(raw)


@pytest.mark.parametrize("raw", [b"   \n\t\r\n  ", "\ufeff  \n", " \u00a0 "])
def test_check_document_rejects_whitespace_only(raw: bytes | str):
    with pytest.raises(DocumentError, match="only whitespace"):
        check_document(raw)


def test_check_document_rejects_one_byte_over_the_limit_and_says_both_sizes():
    with pytest.raises(DocumentError) as error:
        check_document(b"a" * 200_001)
    assert "200,001 bytes" in str(error.value)
    assert "200,000 bytes" in str(error.value)
    assert check_document(b"a" * 200_000) == "a" * 200_000


def test_check_document_limit_counts_utf8_bytes_of_str_input():
    with pytest.raises(DocumentError, match="limit is 10 bytes"):
        check_document("é" * 6, max_bytes=10)  # 12 bytes


@pytest.mark.parametrize(
    "html",
    [
        "<!DOCTYPE html>\n<html><body><h1>Post-mortem</h1></body></html>",
        "  <html lang='en'>\n<head></head>\n<body>Action items</body>\n</html>",
        "<div class='a'>\n<p>Summary</p>\n<ul>\n<li>Fix it</li>\n</ul>\n</div>\nplain",
    ],
)
def test_check_document_reads_html_as_the_markdown_it_shows(html: str):
    text = check_document(html)
    assert "<" not in text and text.strip()
    assert text.split("\n")[0] in ("# Post-mortem", "Action items", "Summary")


def test_check_document_accepts_markdown_with_a_little_html_and_slack_markup():
    text = "# Notes<br>\n\n- [ ] <@U123ABC> fix <https://example.com|the page>\n- <!here> see <details>\n"
    assert check_document(text) == text


def test_check_document_strips_a_utf8_bom_and_normalises_newlines():
    raw = "\ufeff# Title\r\n\r\n- [ ] Fix it\rDone\n".encode()
    assert check_document(raw) == "# Title\n\n- [ ] Fix it\nDone\n"


# --------------------------------------------------------------------------------------- titles


def test_normalise_title_strips_markers_punctuation_and_case():
    assert normalise_title("- [ ] ✅ **Fix** the retry-loop!  ") == "fix the retry loop"
    assert normalise_title("1. 🔴 Rotate  the KEYS.") == "rotate the keys"
    assert normalise_title("⚠️ Add `checkout-worker` alert") == "add checkout worker alert"
    assert normalise_title("") == ""


def test_similar_titles():
    assert similar_titles("Add a lint rule for bare excepts", "add a lint-rule for bare excepts!")
    assert similar_titles("Add alert for queue depth", "Add alerts for queue depth")
    assert similar_titles("Rotate the signing secret", "the signing secret Rotate")  # same words
    assert not similar_titles("Add alert for queue depth", "Remove alert for queue depth")
    assert not similar_titles("Fix the retry loop", "Document the retry loop")
    assert not similar_titles("", "")
    assert not similar_titles("Add an alert for queue 0001", "Add an alert for queue 0002")  # numbers differ


def test_distinct_numbered_items_in_one_document_are_all_kept():
    lines = "\n".join(f"- [ ] Add an alert for queue {i:03d}" for i in range(50))
    assert len(_extract(f"## Action Items\n{lines}\n").items) == 50


# --------------------------------------------------------------------------------------- reading rules


@pytest.mark.parametrize(
    ("written", "due", "due_time"),
    [
        ("Due: 2025-10-12", datetime.date(2025, 10, 12), None),
        ("Due: 2025-10-12T17:00", datetime.date(2025, 10, 12), datetime.time(17, 0)),
        ("due 2025-10-12 09:30 UTC", datetime.date(2025, 10, 12), datetime.time(9, 30)),
        ("Due: Oct 12", datetime.date(2025, 10, 12), None),
        ("Due: 12 Oct 2025", datetime.date(2025, 10, 12), None),
        ("Due: October 12, 2026", datetime.date(2026, 10, 12), None),
        ("Deadline: Fri, Oct 17 at 5pm", datetime.date(2025, 10, 17), datetime.time(17, 0)),
        ("by 3 November", datetime.date(2025, 11, 3), None),
    ],
)
def test_due_date_formats(written: str, due: datetime.date, due_time: datetime.time | None):
    item = _one(f"## Action Items\n- [ ] Rotate the signing secret - {written}\n")
    assert (item.due, item.due_time) == (due, due_time)
    assert item.title == "Rotate the signing secret"


def test_a_date_without_a_year_takes_todays_year():
    item = extract("- [ ] Ship it - Due: Jan 5", today=datetime.date(2026, 12, 30)).items[0]
    assert item.due == datetime.date(2026, 1, 5)


@pytest.mark.parametrize(
    ("written", "warning"),
    [
        ("Due: next sprint", "line 2: could not read due date 'next sprint'"),
        ("Due: 2025-02-30", "line 2: could not read due date '2025-02-30'"),
        (
            "Due: 10/12/2025",
            "line 2: could not read due date '10/12/2025' (ambiguous; write 2025-10-12 or Oct 12'",
        ),
    ],
)
def test_unreadable_due_dates_warn_with_the_line(written: str, warning: str):
    result = _extract(f"## Action Items\n- [ ] Rotate the key - {written}\n")
    assert result.items[0].due is None
    assert list(result.warnings) == [warning]


def test_prose_due_and_by_that_are_not_dates_are_ignored_silently():
    result = _extract("## Action Items\n- [ ] Retry the job due to timeouts caused by the scheduler\n")
    assert result.items[0].due is None
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("line", "owner", "user_id"),
    [
        ("- [ ] Fix it @alice", "@alice", "UALICE"),
        ("- [ ] Fix it <@U123ABC>", "<@U123ABC>", "U123ABC"),
        ("- [ ] Fix it <@U123ABC|alice>", "<@U123ABC|alice>", "U123ABC"),
        ("- [ ] Fix it - Owner: Alice Smith", "Alice Smith", "UALICE"),
        ("- [ ] Fix it (assignee: bob)", "bob", "UBOB"),
        ("- [ ] Alice Smith to fix it", "Alice Smith", "UALICE"),
        ("- [ ] Pair with Bob on it", "Bob", "UBOB"),
        ("- [ ] Mark the flag deprecated", None, None),
        ("- [ ] Mail alice@example.com", None, None),
        ("- [ ] Tell @here about it", None, None),
        ("- [ ] Fix it - Owner: TBD", None, None),
    ],
)
def test_owner_forms(line: str, owner: str | None, user_id: str | None):
    known = {"alice smith": "UALICE", "alice": "UALICE", "bob": "UBOB", "mark": "UMARK"}
    item = _one(line, known_users=known)
    assert (item.owner, item.owner_user_id) == (owner, user_id)


def test_owner_without_a_known_user_warns_only_when_a_user_list_was_given():
    assert _extract("- [ ] Fix it @carol").warnings == ()
    assert _extract("- [ ] Fix it @carol", known_users={"alice": "U1"}).warnings == (
        "line 1: owner '@carol' is not a known Slack user",
    )


@pytest.mark.parametrize(
    ("line", "priority", "reason"),
    [
        ("- [ ] [P3] Critical: restore the index", "P3", "explicit P3"),
        ("- [ ] Restore the index (P0)", "P0", "explicit P0"),
        ("- [ ] Restore the index - Priority: High", "P1", "priority 'High'"),
        ("- [ ] Critical Fix: restore the index", "P0", "word 'critical'"),
        ("- [ ] Remove the blocker on deploys", "P0", "word 'blocker'"),
        ("- [ ] Write up the outage for customers", "P0", "word 'outage'"),
        ("- [ ] Urgent: rotate the key", "P1", "word 'urgent'"),
        ("- [ ] Investigation: why the cache expired", "P2", "word 'investigation'"),
        ("- [ ] Verify the backups restore", "P1", "word 'verify'"),
        ("- [ ] Refactor the retry helper", "P2", "word 'refactor'"),
        ("- [ ] Clean up old feature flags", "P2", "word 'clean up'"),
        ("- [ ] Update the docs for the flag", "P3", "word 'docs'"),
        ("- [ ] Document the rollback", "P3", "word 'document'"),
        ("- [ ] Make the non-critical path async", "P1", "document severity P1"),
        ("- [ ] Add a document-count guard", "P1", "document severity P1"),
        ("- [ ] Bump the client", "P1", "document severity P1"),
    ],
)
def test_priority_rules(line: str, priority: str, reason: str):
    item = _one(f"**Severity**: P1\n\n{line}\n")
    assert (item.priority, item.priority_reason) == (priority, reason)


def test_priority_defaults_to_p2_without_a_document_severity():
    item = _one("- [ ] Bump the client\n")
    assert (item.priority, item.priority_reason) == ("P2", "default")


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Severity: P1", "P1"),
        ("**Severity**: P0", "P0"),
        ("**Severity:** Critical", "P0"),
        ("Incident severity = high", "P1"),
        ("**Severity**: [P0/P1/P2/P3]", None),
    ],
)
def test_document_severity_forms(text: str, severity: str | None):
    assert _extract(f"# Post-mortem\n\n{text}\n").severity == severity


def test_a_placeholder_severity_does_not_hide_the_real_one():
    assert _extract("**Severity**: [P0/P1/P2/P3]\n\nSeverity: P1\n").severity == "P1"
    assert _extract("Severity: TBD\nSeverity: P0\n") == _extract("Severity: P0\n")  # and no warning
    assert _extract("Severity: P2\nSeverity: P0\n").severity == "P2"  # the first readable one wins


def test_unreadable_severity_warns():
    result = _extract("Severity: SEV-2\n")
    assert result.severity is None
    assert result.warnings == (
        "line 1: could not read severity 'SEV-2'; expected P0-P3 or critical/high/medium/low",
    )


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("- [ ] Restore the consumer", "corrective"),
        ("- [ ] Prevention: add a lint rule", "preventative"),
        ("- [ ] Add alerting on queue depth", "detective"),
        ("- [ ] Monitor consumer lag", "detective"),
        ("- [ ] Detection: page when lag > 5m", "detective"),
        ("- [ ] Prevention: alert on queue depth", "preventative"),
    ],
)
def test_kind_rules(line: str, kind: str):
    assert _one(line).kind == kind


def test_evidence_references_in_the_items_own_text():
    item = _one(
        "## Action Items\n"
        "- [ ] Fix the loop in `checkout/amqp.py:L205-L230` and smd.py:465\n"
        "  - proven by tests/workers/test_x.py::test_y and commit 4f2a9c1e\n"
        "  - not evidence: example.com:443, 2025-10-01, deadbeef, README.md\n"
    )
    assert item.evidence == (
        "checkout/amqp.py:L205-L230",
        "smd.py:465",
        "tests/workers/test_x.py::test_y",
        "4f2a9c1e",
    )


def test_systems_from_affected_systems_line_backticks_and_flags():
    item = _one(
        "**Affected Systems:** api-gateway, billing (read path)\n\n"
        "## Action Items\n"
        "- [ ] Restart `billing-worker` with `--system ledger` and fix `retry_count` in `billing`\n"
    )
    assert item.systems == ("ledger", "billing-worker", "billing", "api-gateway")


def test_ticked_and_checkmarked_items_are_done_not_new():
    result = _extract(
        "## Action Items\n- [x] One\n- [X] Two\n- ✅ Three\n- Four ✅\n- [ ] Five\n\n## Completed\n- Six\n"
    )
    assert [i.title for i in result.items] == ["Five"]
    assert [i.title for i in result.done] == ["One", "Two", "Three", "Four", "Six"]


def test_all_done_document_says_so():
    result = _extract("## Action Items\n- [x] One\n- [x] Two\n")
    assert result.items == ()
    assert result.nothing_actionable_reason == (
        "nothing left to do: all 2 action items in the document are ticked as done"
    )


def test_empty_and_narrative_documents_have_a_reason():
    for text in ("", "Just a paragraph about the outage.\n", "# Title\n\n## Summary\n- it broke\n"):
        result = _extract(text)
        assert result.items == ()
        assert (result.nothing_actionable_reason or "").startswith("no action items")


def test_prevention_section_rule():
    result = _extract(
        "# Post-mortem\n\n## Action Items\n- [ ] Fix the guard\n\n"
        "## Prevention\n"
        "- Add canary checks to the deploy pipeline\n"
        "- [ ] Add a CI check for cron overlaps\n"
        "- Require review from search - Owner: @ines\n"
        "- [x] Lint for bare excepts\n"
        "Pin the reindex window to nights.\n"
    )
    assert [(i.title, i.kind) for i in result.items] == [
        ("Fix the guard", "corrective"),
        ("Add a CI check for cron overlaps", "preventative"),
        ("Require review from search", "preventative"),
    ]
    assert [i.title for i in result.done] == ["Lint for bare excepts"]
    assert result.items[0].prevention == (
        "Add canary checks to the deploy pipeline",
        "Add a CI check for cron overlaps",
        "Require review from search",
        "Lint for bare excepts",
        "Pin the reindex window to nights.",
    )
    assert result.items[1].prevention == ()


def test_success_criteria_attach_to_items_under_the_same_parent_heading():
    result = _extract(
        "# Plan\n"
        "## Milestone 1\n### Tasks\n- Task one\n### Success Criteria\n- One works\n"
        "## Milestone 2\n### Tasks\n- Task two\n### Validation Criteria\n- [ ] Two works\n"
    )
    assert [(i.title, i.success_criteria) for i in result.items] == [
        ("Task one", ("One works",)),
        ("Task two", ("Two works",)),
    ]


def test_recommendation_prose_is_the_fallback_item_when_nothing_else_is_actionable():
    result = _extract(
        "ROOT CAUSE: pool exhausted.\n\nRecommendation: Raise the pool size and add a saturation alert.\n"
    )
    assert [i.title for i in result.items] == ["Raise the pool size and add a saturation alert."]


def test_code_fences_comments_and_group_labels_are_not_items():
    result = _extract(
        "## Action Items\n"
        "```markdown\n- [ ] [Action 1] - Owner: [Name] - Due: [Date]\n```\n"
        "<!-- - [ ] hidden -->\n"
        "- Immediate:\n  - Roll back the flag\n  - Page the owner\n"
        "- **Owner:** nobody\n"
    )
    assert [i.title for i in result.items] == ["Roll back the flag", "Page the owner"]


def test_template_placeholders_are_not_items():
    assert _extract("## Action Items\n- [ ] [Action 1] - Owner: [Name] - Due: [Date]\n").items == ()


def test_repeated_items_are_merged_with_a_warning():
    result = _extract("## Action Items\n- [ ] Add a lint rule\n\n## Next steps\n- Add a lint-rule.\n")
    assert [i.title for i in result.items] == ["Add a lint rule"]
    assert result.warnings == ("line 5: 'Add a lint-rule.' repeats line 2; kept the first",)


def test_field_bullets_outside_action_sections_are_not_items():
    result = _extract(
        "## Response Time\n- **Detection**: < 5 minutes\n- **Status Update**: every 30 minutes\n"
        "## Process Efficiency\n- **Prevention:** knowledge capture prevents recurrence\n"
        "- **Investigation:** verify the replica lag - Owner: @ana\n"
    )
    assert [i.title for i in result.items] == ["Investigation: verify the replica lag"]


def test_only_separated_field_labels_cut_a_title():
    result = _extract(
        "## Action Items\n- ✅ **Integration with Existing Systems:** uses the test runner\n"
        "- [ ] Restore the index - Status: blocked (Evidence: `a.py:12`)\n"
    )
    assert [i.title for i in result.done] == ["Integration with Existing Systems: uses the test runner"]
    assert [(i.title, i.evidence) for i in result.items] == [("Restore the index", ("a.py:12",))]


def test_emoji_legends_in_narrative_sections_are_not_items():
    assert _extract("## Notes\n- 🔴 means blocked\n- ✅ means done\n").items == ()


def test_extracted_values_are_frozen():
    item = _one("- [ ] Fix it\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.title = "changed"  # type: ignore[misc]


# --------------------------------------------------------------------------------------- property

_FRAGMENTS = [
    "# Title", "## Action Items", "## Prevention", "## Success Criteria", "### WHY #1: why?", "Evidence:",
    "- [ ] Fix it - Owner: @a - Due: Oct 12", "- [x] done", "1. Critical Fix: x", "  - nested",
    "| Task | Due |", "|---|---|", "| t | 2025-02-30 |", "```", "<!--", "-->", "Severity: P9", "Due: 99:99",
    "- ✅", "=====", "-----", "* ", "<@U1|", "@", "`a-b`", "--system", "P0", "Recommendation: do it",
    "ROOT CAUSE:", "\t", "",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(),
        st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=20)), max_size=30).map("\n".join),
    ),
    known=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
def test_extract_never_raises_on_arbitrary_text(text: str, known: dict[str, str]):
    result = extract(text, today=TODAY, known_users=known)
    assert isinstance(result, Extraction)
    assert (result.nothing_actionable_reason is None) == bool(result.items)
    for item in result.items + result.done:
        assert item.priority in {"P0", "P1", "P2", "P3"}
        assert item.kind in {"corrective", "preventative", "detective"}
        assert item.title


def test_replacement_characters_mark_a_document_as_binary():
    # A NUL that Slack's payload cleaning turned into U+FFFD is still a binary document.
    with pytest.raises(DocumentError, match="binary"):
        check_document("- [ ] fix\ufffd\x01\x02 the thing")
