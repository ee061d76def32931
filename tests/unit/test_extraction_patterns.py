"""One test per way real post-mortems write their work down (and per way they write things that are not
work): section names, sentences, titles, done markers, legends, front matter, tables, sub-tasks, and the
seed's own assessment. The wording here is deliberately not the corpus's (test_extraction_realworld.py
measures that)."""

from __future__ import annotations

import datetime

import pytest

from bot.core.extraction import Extraction, extract
from bot.core.extraction.sentences import commitment, split_sentences

TODAY = datetime.date(2025, 10, 1)


def _extract(text: str) -> Extraction:
    return extract(text, today=TODAY)


def _titles(text: str) -> list[str]:
    return [i.title for i in _extract(text).items]


def _done(text: str) -> list[str]:
    return [i.title for i in _extract(text).done]


# --------------------------------------------------------------------------------------- where the work is


@pytest.mark.parametrize(
    "heading",
    [
        "Action items", "Follow-ups", "Follow up work", "Remediation", "Remediations",
        "Corrective actions", "Corrective and preventive actions", "Improving our deploy pipeline",
        "What we're doing", "What we are doing differently", "What we\u2019re changing", "What's next",
        "Next steps", "Lessons learned → actions", "Countermeasures", "Going forward",
        "Remediation and prevention", "Prevention", "Preventive measures",
    ],
)  # fmt: skip
def test_a_plain_bullet_under_a_work_heading_is_an_item(heading: str):
    assert _titles(f"# Cache outage\n\n## {heading}\n\n- Shard the session cache by tenant\n") == [
        "Shard the session cache by tenant"
    ]


@pytest.mark.parametrize(
    "heading",
    [
        "What went well", "What went wrong", "What could be improved", "What didn't go well",
        "Where we got lucky", "Timeline", "Root cause", "Impact", "Business justification",
        "Areas for improvement", "Open questions", "The five whys", "Summary",
    ],
)  # fmt: skip
def test_a_plain_bullet_under_a_narrative_heading_is_not(heading: str):
    assert _titles(f"# Cache outage\n\n## {heading}\n\n- Shard the session cache by tenant\n") == []


def test_neutral_sub_headings_under_an_action_section_stay_action_sections():
    text = (
        "## Corrective actions\n\n### Code and configuration changes\n\n- Bound the retry queue\n\n"
        "### Monitoring\n\n- Page on queue age over ten minutes\n\n"
        "### Timeline\n\n- 10:02 the queue filled up\n"
    )
    assert _titles(text) == ["Bound the retry queue", "Page on queue age over ten minutes"]


@pytest.mark.parametrize(
    "title",
    ["# Incident report", "# Incident summary: login failures", "## Post-incident review: login failures"],
)
def test_the_documents_own_title_does_not_make_everything_narrative(title: str):
    text = (
        f"{title}\n\nWe will add a circuit breaker to the identity client.\n\n- [ ] Rotate the signing key\n"
    )
    assert _titles(text) == ["Add a circuit breaker to the identity client", "Rotate the signing key"]


def test_bold_pseudo_headings_count_as_headings():
    text = (
        "**Incident review — failed nightly exports, 3 March**\n\n**What went well**\n\n"
        "- The on-call found the bad cron quickly\n\n**Action Items**\n\n1. Move the export to the replica\n"
    )
    result = _extract(text)
    assert result.title == "Incident review — failed nightly exports, 3 March"
    assert [i.title for i in result.items] == ["Move the export to the replica"]


# --------------------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("We will shard the session cache by tenant.", "Shard the session cache by tenant"),
        ("We'll add a second DNS provider.", "Add a second DNS provider"),
        ("First, we will require two reviewers on firewall changes.",
         "Require two reviewers on firewall changes"),
        ("We are rolling out per-tenant rate limits this month.",
         "We are rolling out per-tenant rate limits this month"),
        ("We're adding a canary stage to the config pipeline.",
         "We're adding a canary stage to the config pipeline"),
        ("We need to alert on certificate expiry 30 days ahead.",
         "Alert on certificate expiry 30 days ahead"),
        ("We also plan to retire the legacy queue.", "Retire the legacy queue"),
        ("The deploy tool will be changed so that it refuses a partial rollout.",
         "The deploy tool will be changed so that it refuses a partial rollout"),
        ("Billing exports will move to the replica.", "Billing exports will move to the replica"),
        ("Priya will write the customer notice.", "Priya will write the customer notice"),
    ],
)  # fmt: skip
def test_work_written_as_a_sentence_in_a_follow_up_section(sentence: str, title: str):
    assert _titles(
        f"## What we're doing\n\nThe outage was long. {sentence} Thanks for bearing with us.\n"
    ) == [title]


@pytest.mark.parametrize(
    "sentence",
    [
        "We rolled back the release at 10:40.",
        "We have already moved the job to a replica.",
        "Below we will explain what happened.",
        "We will continue to monitor the error rate.",
        "We will publish an update to this post next week.",
        "We will review the action items in two weeks.",
        "We are making several changes as a result of this incident.",
        "We are taking the following steps:",
        "This will reduce the blast radius of a bad rule.",
        "We should probably look at quotas at some point.",
        "Will the new limit hold during the holiday peak?",
        "We are sorry for the disruption this caused.",
        "Emergency changes will still be able to skip the canary.",
        "We want to apologise to every customer affected.",
    ],
)
def test_sentences_that_are_not_work_stay_out(sentence: str):
    assert _titles(f"## What we're doing\n\n{sentence}\n") == []


@pytest.mark.parametrize("heading", ["What happened", "Timeline", "Root cause", "What went well", "Impact"])
def test_no_sentence_in_a_narrative_section_is_an_item(heading: str):
    assert (
        _titles(f"## {heading}\n\nWe will add a guard. The tool will be changed so that it asks first.\n")
        == []
    )


def test_outside_a_follow_up_section_only_unmistakable_sentences_count():
    text = (
        "# Post-mortem: login failures\n\n"
        "We are rolling out the fix to every region. The limiter will be rewritten next quarter. "
        "We will add a synthetic login check. The proxy will be changed so that unknown keys are ignored.\n"
    )
    assert _titles(text) == [
        "Add a synthetic login check",
        "The proxy will be changed so that unknown keys are ignored",
    ]


def test_a_sentence_item_keeps_the_line_it_starts_on():
    text = "## Next steps\n\nThe fix is out, and\nwe keep watching. We will add\na dashboard for lag.\n"
    result = _extract(text)
    assert [(i.title, i.line) for i in result.items] == [("Add a dashboard for lag", 4)]


def test_sentence_splitting_keeps_abbreviations_and_initials_together():
    parts = split_sentences("We will ask J. Smith, e.g. the DBA, to help. Then we stop.")
    assert [p.text for p in parts] == ["We will ask J. Smith, e.g. the DBA, to help.", "Then we stop."]
    assert commitment("We will ask J. Smith, e.g. the DBA, to help.", strict=True) == (
        "Ask J. Smith, e.g. the DBA, to help"
    )


# --------------------------------------------------------------------------------------- titles


def test_a_wrapped_item_keeps_its_whole_title():
    text = (
        "## Follow-ups\n\n- [ ] Move the webhook signing secret into the vault and rotate it on\n"
        "      every deploy\n- Add a lint rule for bare excepts in the\nworker package\n"
        "- Add a status-page banner\n  Owner: @kim\n"
    )
    assert _titles(text) == [
        "Move the webhook signing secret into the vault and rotate it on every deploy",
        "Add a lint rule for bare excepts in the worker package",
        "Add a status-page banner",
    ]
    assert _extract(text).items[2].owner == "@kim"


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] Add a retry budget ([#294][issue-294])",
        "- [ ] Add a retry budget (#294)",
        "- [ ] Add a retry budget. [Issue](https://git.example.org/x/issues/294).",
        "- [ ] Add a retry budget https://git.example.org/x/issues/294",
        "- [ ] Add a retry budget <https://git.example.org/x/issues/294>",
        "- [ ] Add a retry budget (see [#294](https://git.example.org/x/issues/294))",
    ],
)
def test_link_leftovers_are_stripped_from_titles(line: str):
    assert [t.rstrip(".") for t in _titles(line + "\n")] == ["Add a retry budget"]


def test_link_text_that_says_something_is_kept_and_code_is_untouched():
    assert _titles("- [ ] Follow [the retry guide][guide] in `client.retry()`\n") == [
        "Follow the retry guide in `client.retry()`"
    ]


def test_a_long_title_is_cut_at_a_word_and_the_full_text_is_the_description():
    words = "Make every consumer of the order stream acknowledge a message only after its side effects commit"
    long = f"{words}, so that a crash between the two never loses or repeats an order for any merchant"
    item = _extract(f"## Action items\n\n- {long}\n").items[0]
    assert len(item.title) <= 120 and item.title.endswith("…")
    assert long.startswith(item.title[:-1]) and long[len(item.title) - 1] == " "
    assert item.description == long
    short = _extract("## Action items\n\n- Rotate the key\n").items[0]
    assert short.description == ""


# --------------------------------------------------------------------------------------- done markers


@pytest.mark.parametrize(
    "line",
    [
        "- [x] Pin the base image",
        "- Pin the base image ✅",
        "- Pin the base image ✅ (2 Oct)",
        "- Pin the base image (done)",
        "- Pin the base image (fixed in 2.4.1)",
        "- Pin the base image. _done in #4410_",
        "- Pin the base image — **Done**",
        "- Pin the base image - DONE",
        "- DONE: Pin the base image",
        "- [ ] Pin the base image\n  (done)",
        "- We have pinned the base image",
        "- Added a digest pin to the base image",
    ],
)
def test_done_markers_anywhere_make_a_done_item(line: str):
    result = _extract(f"## Follow-ups\n\n{line}\n")
    assert result.items == ()
    assert len(result.done) == 1 and result.done[0].title.startswith(("Pin", "We have pinned", "Added"))
    assert "done" not in result.done[0].title.lower()


@pytest.mark.parametrize(
    "line",
    [
        "- Pin the base image (in progress)",
        "- Pin the base image - not done",
        "- Pin the base image once the migration is done",
        "- [ ] Pin the base image - TODO",
    ],
)
def test_what_is_not_a_done_marker(line: str):
    assert len(_extract(f"## Follow-ups\n\n{line}\n").items) == 1


def test_done_in_any_table_cell():
    text = (
        "## Action Items\n\n| Action Item | Type | Owner | Bug |\n|---|---|---|---|\n"
        "| Pin the base image | prevent | kim | BUG-12 **DONE** |\n"
        "| Add a canary stage | mitigate | lee | n/a DONE |\n"
        "| Alert on image drift | detect | kim | BUG-13 **TODO** |\n"
        "| Review the rollout | process | lee | INFRA-9 — Done |\n"
    )
    result = _extract(text)
    assert [i.title for i in result.items] == ["Alert on image drift"]
    assert [i.title for i in result.done] == [
        "Pin the base image",
        "Add a canary stage",
        "Review the rollout",
    ]


# --------------------------------------------------------------------------------------- legends


def test_legends_and_definitions_inside_an_action_section_are_not_items():
    text = (
        "## Action items\n\n- P0 - Critical for reliability\n- P1 \u2013 Important, this quarter\n"
        "- Prevent - stops the whole class of incident\n- Mitigate: shortens the next one\n"
        "- Add a canary stage\n\nPriority levels:\n\n- P2 = nice to have\n- Urgent things first\n\n"
        "| Item | Priority | Owner |\n|---|---|---|\n| Pin the base image | P0 | kim |\n"
    )
    result = _extract(text)
    assert [(i.title, i.section) for i in result.items] == [
        ("Add a canary stage", "Action items"),
        ("Pin the base image", "Action items"),
    ]


# --------------------------------------------------------------------------------------- front matter


def test_yaml_front_matter_is_skipped_and_never_the_title():
    text = (
        "---\ntitle: The night the queue filled up\ntags: [a, b]\n---\n\n## Next steps\n\n- Bound the queue\n"
    )
    result = _extract(text)
    assert result.title == "Next steps"
    assert [i.title for i in result.items] == ["Bound the queue"]
    assert result.items[0].line == 8


def test_toml_front_matter_is_skipped():
    text = '+++\ntitle = "Queue"\ndraft = false\n+++\n\n## Action items\n\n- Bound the queue\n'
    assert _extract(text).title == "Action items"
    assert _titles(text) == ["Bound the queue"]


def test_a_leading_rule_that_is_not_front_matter_is_read():
    text = "---\n\nSome intro paragraph, not keys.\n\n---\n\n## Action items\n\n- Bound the queue\n"
    assert _titles(text) == ["Bound the queue"]


# --------------------------------------------------------------------------------------- tables


@pytest.mark.parametrize("column", ["Summary", "Description", "Countermeasure", "Corrective action"])
def test_a_task_column_by_another_name_counts_next_to_a_work_column(column: str):
    text = f"| Key | {column} | Assignee | Status |\n|---|---|---|---|\n"
    text += "| OPS-1 | Bound the queue | Kim | To Do |\n"
    item = _extract(text).items[0]
    assert (item.title, item.owner) == ("Bound the queue", "Kim")


def test_summary_alone_or_in_a_risk_register_is_not_a_work_table():
    metrics = "| Summary | Value |\n|---|---|\n| Error rate peaked at 12% | 12 |\n"
    risks = "| Risk | Mitigation | Owner |\n|---|---|---|\n| Vendor outage | Second vendor | Kim |\n"
    assert _titles(metrics) == [] and _titles(risks) == []


def test_a_table_with_owner_ticket_priority_due_and_status_columns():
    text = (
        "| Action | Assignee | Ticket | Priority | Due date | Status |\n|---|---|---|---|---|---|\n"
        "| Bound the queue | Kim Lee | OPS-7 | P1 | 2025-10-20 | IN PROGRESS |\n"
        "| Page on queue age | Ana | OPS-8 | Low | 2025-10-22 | DONE |\n"
    )
    result = _extract(text)
    item = result.items[0]
    assert (item.title, item.owner, item.priority, item.due) == (
        "Bound the queue", "Kim Lee", "P1", datetime.date(2025, 10, 20),
    )  # fmt: skip
    assert [i.title for i in result.done] == ["Page on queue age"]


# --------------------------------------------------------------------------------------- sub-tasks


def test_nested_sub_tasks_are_criteria_of_their_parent_or_items_of_their_own():
    text = (
        "## Follow-ups\n\n- [ ] Build wheels in CI\n  - [ ] Linux\n  - [ ] macOS arm64\n"
        "  - [ ] Add a smoke test that imports every module\n"
        "- Move the scheduler to three nodes\n  - drain one node at a time\n  - Owner: @kim\n"
    )
    result = _extract(text)
    assert [(i.title, i.success_criteria) for i in result.items] == [
        ("Build wheels in CI", ("Linux", "macOS arm64")),
        ("Add a smoke test that imports every module", ()),
        ("Move the scheduler to three nodes", ("Drain one node at a time",)),
    ]
    assert result.items[2].owner == "@kim"


# --------------------------------------------------------------------------------------- the seed's case


def test_closure_criteria_are_the_work_when_everything_else_is_done():
    text = (
        "# Assessment: stalled consumers\n\n## Business Justification\n\n- ✅ Protects $9K MRR\n"
        "- Restores trust with the pilot accounts\n\n## Remediation Status\n\n"
        "- ✅ **Critical Fix:** restore the reconnect loop\n\n**SUCCESS CRITERIA FOR CLOSURE:**\n\n"
        "- [ ] Dropping the broker connection makes the worker resubscribe within 30 seconds\n"
        "- [x] Hotfix deployed\n"
    )
    result = _extract(text)
    assert [i.title for i in result.items] == [
        "Dropping the broker connection makes the worker resubscribe within 30 seconds"
    ]
    assert [i.title for i in result.done] == ["Critical Fix: restore the reconnect loop", "Hotfix deployed"]


def test_closure_criteria_stay_criteria_while_other_work_is_open():
    text = "## Action items\n\n- [ ] Restore the reconnect loop\n\n"
    text += "## Success criteria\n\n- [ ] Resubscribes in 30s\n"
    result = _extract(text)
    assert [(i.title, i.success_criteria) for i in result.items] == [
        ("Restore the reconnect loop", ("Resubscribes in 30s",))
    ]


# --------------------------------------------------------------------------------------- prevention


def test_an_unmarked_prevention_list_is_the_work_and_a_marked_one_only_its_marks():
    unmarked = "## Preventive measures\n\n- Move the rebuild to a replica\n- Set a statement timeout\n"
    assert [(i.title, i.kind) for i in _extract(unmarked).items] == [
        ("Move the rebuild to a replica", "preventative"),
        ("Set a statement timeout", "preventative"),
    ]
    marked = "## Prevention\n\n- Move the rebuild to a replica\n- [ ] Set a statement timeout\n"
    assert _titles(marked) == ["Set a statement timeout"]
