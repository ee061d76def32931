"""Recall and precision of the extractor on real public post-mortems (tests/fixtures/postmortems/).

Every document there is a verbatim copy of a post-mortem, incident report or security post-mortem that
another team published (DFDS, the Rust project, etcd, Envoy); its first line names its source and
license. Each document's expectation (same stem, ``.json``, same fields as the written corpus in
test_extraction_realworld.py) was written by hand and committed before the extractor was run on it.
``tuning/`` is what the rules were developed against; ``heldout/`` was evaluated once, after the rules
were final. The ≥ 90 % targets apply to the whole corpus; every document's figures are printed.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.unit.test_extraction_realworld import Score, _ratio, score

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "postmortems"
SETS = ("tuning", "heldout")
TARGET = 0.9


def _documents(name: str) -> list[pathlib.Path]:
    return sorted(p for p in (CORPUS / name).iterdir() if p.suffix in (".md", ".txt", ".html"))


def _totals(scores: list[Score]) -> str:
    hits, expected, found = (sum(getattr(s, k) for s in scores) for k in ("hits", "expected", "found"))
    done_hits, done_expected, done_found = (
        sum(getattr(s, k) for s in scores) for k in ("done_hits", "done_expected", "done_found")
    )
    return (
        f"recall {_ratio(hits, expected):.1%} ({hits}/{expected}), "
        f"precision {_ratio(hits, found):.1%} ({hits}/{found}), "
        f"done {done_hits}/{done_expected} found {done_found}"
    )


def _table(scores: list[Score]) -> str:
    lines = [f"{'document':<42} {'expected':>8} {'found':>6} {'recall':>7} {'precision':>9}  notes"]
    for s in scores:
        notes = "; ".join([*(f"missed {m!r}" for m in s.misses), *(f"extra {e!r}" for e in s.extras)])
        notes += "".join(f"; must-not {f!r}" for f in s.forbidden)
        lines.append(
            f"{s.name:<42} {s.expected:>8} {s.found:>6} {_ratio(s.hits, s.expected):>7.0%} "
            f"{_ratio(s.hits, s.found):>9.0%}  {notes}"
        )
    return "\n".join(lines)


def test_the_corpus_is_real_varied_and_every_document_has_its_source_and_expectation():
    documents = [p for name in SETS for p in _documents(name)]
    assert len(documents) >= 25
    nothing_left = 0
    for path in documents:
        head = path.read_text(encoding="utf-8")[:600]
        assert "https://github.com/" in head and "icense" in head, path.name  # source and license on top
        wanted = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert wanted["style"] and "items" in wanted and "done" in wanted and "not_items" in wanted, path.name
        nothing_left += not wanted["items"]
    assert nothing_left >= 3


def test_recall_and_precision_reach_ninety_percent_over_the_real_corpus(capsys: pytest.CaptureFixture[str]):
    scored = {name: [score(p) for p in _documents(name)] for name in SETS}
    everything = [s for name in SETS for s in scored[name]]
    report = "\n\n".join(f"{_table(scored[name])}\n{name}: {_totals(scored[name])}" for name in SETS)
    report += f"\n\nreal corpus ({len(everything)} documents): {_totals(everything)}"
    with capsys.disabled():
        print(f"\n{report}")
    hits, expected, found = (sum(getattr(s, k) for s in everything) for k in ("hits", "expected", "found"))
    assert _ratio(hits, expected) >= TARGET, report
    assert _ratio(hits, found) >= TARGET, report
    forbidden = [f"{s.name}: {f}" for s in everything for f in s.forbidden]
    assert not forbidden, report
