"""Recall and precision of the extractor on post-mortems written in the styles other teams use.

The corpus (tests/fixtures/analyses/realworld/) holds documents in the shapes public post-mortems take:
cloud-provider incident reports that promise work in prose, SRE-style tables with Owner/Bug columns,
GitHub-issue checklists, Jira exports, Google Docs exports with bold pseudo-headings, blog posts with
front matter, Five Whys write-ups, the seed's own assessment. Each document's expectation (same stem,
``.json``) was written by hand before the extractor was run on it:

* ``items``: the work to track, as a person would title it;
* ``done``: work the document marks as finished (reported as done, never created);
* ``subtasks``: nested sub-tasks, acceptable as items or as criteria of their parent;
* ``not_items``: phrases from narrative, timelines, legends and justifications that must not surface.

``tuning/`` is what the rules were developed against. ``heldout/`` was written, labelled and evaluated
once after the rules were final, and no rule was changed for it: its misses are known and listed in
its table. (Three earlier held-out batches were each evaluated once, then folded into ``tuning/`` when
their misses exposed general gaps.) An extracted item matches an expected one when their normalised
titles are at least 80 % similar (difflib); a long title cut by the extractor is compared through its
description, which keeps the full text. The ≥ 90 % targets apply to the whole corpus; each set's own
figures are printed.
"""

from __future__ import annotations

import datetime
import difflib
import json
import pathlib
from dataclasses import dataclass

import pytest

from bot.core.extraction import ExtractedItem, check_document, extract, normalise_title

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "analyses" / "realworld"
SETS = ("tuning", "heldout")
THRESHOLD = 0.8
TARGET = 0.9


def _documents(name: str) -> list[pathlib.Path]:
    return sorted(p for p in (CORPUS / name).iterdir() if p.suffix in (".md", ".txt"))


def _similarity(a: str, b: str) -> float:
    left, right = normalise_title(a), normalise_title(b)
    if not left or not right:
        return 0.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def _texts(item: ExtractedItem) -> list[str]:
    return [item.title, item.description] if item.description else [item.title]


def _best(expected: str, items: list[ExtractedItem], taken: set[int]) -> int | None:
    scored = [
        (max(_similarity(expected, t) for t in _texts(item)), index)
        for index, item in enumerate(items)
        if index not in taken
    ]
    best = max(scored, default=(0.0, -1))
    return best[1] if best[0] >= THRESHOLD else None


@dataclass
class Score:
    name: str
    expected: int  # open items expected
    found: int  # open items extracted
    hits: int  # expected open items matched by extracted open items
    done_expected: int
    done_found: int
    done_hits: int
    misses: list[str]
    extras: list[str]
    forbidden: list[str]  # not_items phrases that surfaced in an extracted item


def score(path: pathlib.Path) -> Score:
    wanted = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    text = check_document(path.read_bytes())
    result = extract(text, today=datetime.date.fromisoformat(wanted["today"]))
    items, done = list(result.items), list(result.done)

    taken: set[int] = set()
    misses: list[str] = []
    for title in wanted["items"]:
        index = _best(title, items, taken)
        if index is None:
            misses.append(title)
        else:
            taken.add(index)
    # A nested sub-task may be an item of its own or a criterion of its parent: either counts, neither
    # is an error of precision, and a missing one is a miss.
    criteria = [c for item in items for c in item.success_criteria]
    as_criteria = 0
    for title in wanted.get("subtasks", []):
        index = _best(title, items, taken)
        if index is not None:
            taken.add(index)
        elif any(_similarity(title, c) >= THRESHOLD for c in criteria):
            as_criteria += 1
        else:
            misses.append(title)
    extras = [item.title for index, item in enumerate(items) if index not in taken]

    done_taken: set[int] = set()
    for title in wanted["done"]:
        index = _best(title, done, done_taken)
        if index is None:
            misses.append(f"(done) {title}")
        else:
            done_taken.add(index)
    extras += [f"(done) {item.title}" for index, item in enumerate(done) if index not in done_taken]

    surfaced = [normalise_title(" ".join(_texts(item))) for item in items + done]
    forbidden = [
        phrase
        for phrase in wanted.get("not_items", [])
        if any(normalise_title(phrase) in s for s in surfaced)
    ]
    return Score(
        path.name,
        expected=len(wanted["items"]) + len(wanted.get("subtasks", [])),
        found=len(items) + as_criteria,  # a sub-task kept as a criterion is found, and right
        hits=len(taken) + as_criteria,
        done_expected=len(wanted["done"]),
        done_found=len(done),
        done_hits=len(done_taken),
        misses=misses,
        extras=extras,
        forbidden=forbidden,
    )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def report(name: str) -> tuple[list[Score], str]:
    scores = [score(p) for p in _documents(name)]
    lines = [f"{'document':<40} {'recall':>9} {'precision':>10} {'done':>7}  notes"]
    for s in scores:
        notes = "; ".join([*(f"missed {m!r}" for m in s.misses), *(f"extra {e!r}" for e in s.extras)])
        notes += "".join(f"; must-not {f!r}" for f in s.forbidden)
        lines.append(
            f"{s.name:<40} {s.hits:>4}/{s.expected:<4} {s.hits:>5}/{s.found:<4} "
            f"{s.done_hits:>3}/{s.done_expected:<3}  {notes}"
        )
    hits, expected, found = (sum(getattr(s, k) for s in scores) for k in ("hits", "expected", "found"))
    done_hits = sum(s.done_hits for s in scores)
    done_expected = sum(s.done_expected for s in scores)
    done_found = sum(s.done_found for s in scores)
    lines.append(
        f"{name}: recall {_ratio(hits, expected):.1%} ({hits}/{expected}), "
        f"precision {_ratio(hits, found):.1%} ({hits}/{found}), "
        f"done recall {_ratio(done_hits, done_expected):.1%}, "
        f"done precision {_ratio(done_hits, done_found):.1%}"
    )
    return scores, "\n".join(lines)


def test_the_corpus_is_varied_and_every_document_has_an_expectation():
    documents = [p for name in SETS for p in _documents(name)]
    assert len(documents) >= 12
    assert len(_documents("heldout")) >= 5
    for path in documents:
        wanted = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert wanted["style"] and "items" in wanted and "done" in wanted, path.name
    nothing_left = [
        p for p in documents if not json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))["items"]
    ]
    assert len(nothing_left) >= 2  # documents whose work is all done are part of the measure


def test_recall_and_precision_reach_ninety_percent_over_the_corpus(capsys: pytest.CaptureFixture[str]):
    reports = {name: report(name) for name in SETS}
    scores = [s for name in SETS for s in reports[name][0]]
    hits, expected, found = (sum(getattr(s, k) for s in scores) for k in ("hits", "expected", "found"))
    done_hits = sum(s.done_hits for s in scores)
    done_expected = sum(s.done_expected for s in scores)
    done_found = sum(s.done_found for s in scores)
    summary = (
        f"corpus: recall {_ratio(hits, expected):.1%} ({hits}/{expected}), "
        f"precision {_ratio(hits, found):.1%} ({hits}/{found}), "
        f"done recall {_ratio(done_hits, done_expected):.1%}, "
        f"done precision {_ratio(done_hits, done_found):.1%}"
    )
    table = "\n\n".join(reports[name][1] for name in SETS) + "\n\n" + summary
    with capsys.disabled():
        print(f"\n{table}")
    assert _ratio(hits, expected) >= TARGET, table
    assert _ratio(hits, found) >= TARGET, table
    assert _ratio(done_hits, done_expected) >= TARGET, table
    assert _ratio(done_hits, done_found) >= TARGET, table


def test_the_tuning_set_is_read_without_a_miss():
    # The rules were developed against it: anything less is a regression, not a limit of the rules.
    scores, table = report("tuning")
    assert all(not s.misses and not s.extras and not s.forbidden for s in scores), table
