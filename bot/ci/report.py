"""The body of a CI report (``POST /hooks/ci``, built by `remediate ci report`) read into a `TestReport`.

JSON: ``commit``, ``run_url`` (required), ``ref``, ``repository``, ``items`` (item ids), ``message`` (the
commit message, for ``Remediates:`` trailers), and the results: ``junit`` (the JUnit XML as a string) or
``tests`` (``[{"id": "tests/test_boot.py::test_start", "outcome": "passed" | "failed" | "skipped"}]``).
Anything else is refused with `BadReport` and a sentence saying what is wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.ci.junit import MAX_CASES, BadReport, parse_junit
from bot.core.errors import UserError
from bot.core.evidence.reports import TestReport
from bot.core.evidence.testrefs import OUTCOMES, Case, check_ref, parse_ref
from bot.core.items import rules

MAX_BODY = 5 * 1024 * 1024
MAX_MESSAGE = 64 * 1024
MAX_ITEMS = 50
_COMMIT = re.compile(r"[0-9A-Za-z._-]{4,64}")
_URL = re.compile(r"https?://[^\s<>|]{1,2000}")


def _text(data: dict[str, Any], name: str, *, limit: int, required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadReport(f"`{name}` is missing")
        return ""
    if not isinstance(value, str):
        raise BadReport(f"`{name}` must be a string")
    if len(value) > limit:
        raise BadReport(f"`{name}` is longer than {limit} characters")
    return value.strip()


def parse_report(body: bytes) -> TestReport:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadReport("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadReport("the body must be a JSON object")
    commit = _text(data, "commit", limit=64, required=True)
    if not _COMMIT.fullmatch(commit):
        raise BadReport("`commit` must be a commit id (4 to 64 letters, digits, . _ -)")
    run_url = _text(data, "run_url", limit=2000, required=True)
    if not _URL.fullmatch(run_url):
        raise BadReport("`run_url` must be an http(s) URL")
    items = data.get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise BadReport("`items` must be a list of item ids")
    if len(items) > MAX_ITEMS:
        raise BadReport(f"`items` names more than {MAX_ITEMS} items")
    try:
        item_ids = tuple(dict.fromkeys(rules.normalise_item_id(i) for i in items))
    except UserError as exc:
        raise BadReport(f"`items`: {exc}") from None
    junit, tests = data.get("junit"), data.get("tests")
    if (junit is None) == (tests is None):
        raise BadReport("give the results as `junit` (the JUnit XML) or `tests` (a list), one of them")
    if junit is not None:
        if not isinstance(junit, str):
            raise BadReport("`junit` must be the JUnit XML as a string")
        cases = parse_junit(junit.encode("utf-8"))
    else:
        cases = _tests(tests)
    return TestReport(
        commit=commit,
        run_url=run_url,
        cases=tuple(cases),
        repository=_text(data, "repository", limit=200),
        ref=_text(data, "ref", limit=200),
        items=item_ids,
        message=_text(data, "message", limit=MAX_MESSAGE),
    )


def _tests(tests: Any) -> list[Case]:
    if not isinstance(tests, list):
        raise BadReport("`tests` must be a list of {id, outcome}")
    if len(tests) > MAX_CASES:
        raise BadReport(f"more than {MAX_CASES} tests in one report")
    out = []
    for n, entry in enumerate(tests, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise BadReport(f"`tests` entry {n} needs an `id` (e.g. tests/test_boot.py::test_start)")
        outcome = entry.get("outcome")
        if outcome not in OUTCOMES:
            raise BadReport(f"`tests` entry {n}: `outcome` is one of {', '.join(OUTCOMES)}")
        try:
            ref = parse_ref(check_ref(entry["id"]))
        except ValueError as exc:
            raise BadReport(f"`tests` entry {n}: {exc}") from None
        message = entry.get("message")
        out.append(
            Case(
                classname=".".join(ref.container),
                name=ref.name,
                outcome=str(outcome),
                message=message[:300] if isinstance(message, str) else "",
            )
        )
    return out


def report_body(
    *,
    commit: str,
    run_url: str,
    junit: str | None = None,
    tests: list[dict[str, str]] | None = None,
    ref: str = "",
    repository: str = "",
    items: list[str] | None = None,
    message: str = "",
) -> bytes:
    """The JSON body of a report (what CI sends; the CLI's builder)."""
    data: dict[str, Any] = {"commit": commit, "run_url": run_url, "ref": ref, "repository": repository}
    if items:
        data["items"] = items
    if message:
        data["message"] = message
    if junit is not None:
        data["junit"] = junit
    if tests is not None:
        data["tests"] = tests
    return json.dumps(data).encode("utf-8")
