"""How long a CI report of 10,000 test cases takes (``python -m bench.ci_reports``): the hardened JUnit
parse, the index and the matching of every watched test, and the whole report applied to a database with
watched items (SQLite in a temporary directory), each the median of a few runs. Prints one table."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

CASES = 10_000
WATCHED_ITEMS = 200
RUNS = 5
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def junit_xml(cases: int, *, failing_every: int = 97) -> str:
    """A pytest --junitxml report of `cases` cases over 100 modules, some parametrized, a few failing."""
    rows = []
    for n in range(cases):
        module, test = f"tests.pkg{n % 100}.test_mod{n % 7}", f"test_case_{n}"
        name = f"{test}[p{n % 3}]" if n % 5 == 0 else test
        body = '<failure message="AssertionError">assert False</failure>' if n % failing_every == 0 else ""
        rows.append(f'<testcase classname="{module}" name="{name}" time="0.001">{body}</testcase>')
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="'
        + str(cases)
        + '">'
        + "".join(rows)
        + "</testsuite></testsuites>"
    )


def ref_of(n: int) -> str:
    return f"tests/pkg{n % 100}/test_mod{n % 7}.py::test_case_{n}"


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def parse_and_match(xml: str, refs: list[str]) -> int:
    from bot.ci.junit import parse_junit
    from bot.core.evidence.testrefs import CaseIndex

    index = CaseIndex(parse_junit(xml))
    return sum(1 for r in refs if index.verdict(r) is not None)


def whole_report(xml: str) -> float:
    """Milliseconds to apply one report to a fresh database holding WATCHED_ITEMS watched items."""
    import json

    from bot.ci.report import parse_report
    from bot.config import load_settings
    from bot.services.evidence.reports import take_report
    from bot.services.items.changes import create_item_in
    from bot.slack.renderer import slack_renderer
    from storage.db import make_engine, unit_of_work
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = load_settings(
            slack_bot_token="xoxb-bench-token",
            slack_signing_secret="3b1e0c6f5d2a4e8f9a7b6c5d4e3f2a1b",
            database_url=url,
            incident_channel="CINCIDENTS",
            _env_file=None,
        )
        engine = make_engine(url)
        upgrade(engine)
        render = slack_renderer()
        with unit_of_work(engine) as session:
            for n in range(WATCHED_ITEMS):
                item, _ = create_item_in(
                    session,
                    now=NOW,
                    settings=settings,
                    render=render.items,
                    actor_id="UALICE",
                    title=f"Fix {n}",
                    priority="P2",
                    owner_id="UBOB",
                    criteria=[f"Case {n * 37} passes --test {ref_of(n * 37)}"],
                    prevention=["A test in CI"],
                )
                item.status = "in_progress"
        body = json.dumps({"commit": "abc1234", "run_url": "https://ci.example.com/1", "junit": xml}).encode()
        started = time.perf_counter()
        report = parse_report(body)
        with unit_of_work(engine) as session:
            take_report(session, report=report, now=NOW, settings=settings, render=render.items, via="cli")
        elapsed = (time.perf_counter() - started) * 1000
        engine.dispose()
        return elapsed


def main() -> int:
    xml = junit_xml(CASES)
    refs = [ref_of(n) for n in range(0, CASES, 10)]
    parse_ms = median_ms(lambda: parse_and_match(xml, []))
    match_ms = median_ms(lambda: parse_and_match(xml, refs))
    report_ms = statistics.median(whole_report(xml) for _ in range(3))
    size = len(xml.encode()) / (1024 * 1024)
    print(f"CI report of {CASES:,} test cases ({size:.1f} MB of JUnit XML), median of runs:")
    rows = [
        ("parse (defusedxml) and index", parse_ms),
        (f"parse, index and match {len(refs):,} watched tests", match_ms),
        (f"whole report: {WATCHED_ITEMS} watched items ticked and completed (SQLite)", report_ms),
    ]
    for label, ms in rows:
        print(f"  {label:<72} {ms:8.1f} ms")
    return 0 if max(match_ms, report_ms) < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
