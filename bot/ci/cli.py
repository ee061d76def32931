"""``remediate ci report RESULTS --commit SHA --run-url URL [--ref REF] [--item ID …] [--message-file F]
[--repository NAME] [--url BOT_URL]``: a CI job's test results as evidence.

With ``--url`` the report is signed with CI_WEBHOOK_SECRET (from the environment) and posted to
``<BOT_URL>/hooks/ci``; without it, it is written straight to the configured database through the same
service. RESULTS is JUnit XML, or a JSON list of ``{"id", "outcome"}``. Exit 0 when the report was taken
(or had been already), 1 when it was refused or could not be delivered, 2 on bad usage or configuration.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.ci.junit import BadReport
from bot.ci.report import MAX_BODY, parse_report, report_body
from bot.config import Settings
from bot.hooks.signatures import sign_v0

TIMEOUT = 60.0


def add_commands(sub: Any) -> None:
    """`ci report` on the CLI's sub-command parser."""
    ci = sub.add_parser("ci", help="CI test results as evidence")
    csub = ci.add_subparsers(dest="ci_cmd", required=True, metavar="ACTION")
    report = csub.add_parser("report", help="send a test report: tick criteria, catch regressions")
    report.add_argument("results", help="JUnit XML file (or a JSON list of {id, outcome})")
    report.add_argument("--commit", required=True, help="the commit tested (full SHA)")
    report.add_argument("--run-url", required=True, help="the CI run's URL (shown on the items)")
    report.add_argument("--ref", default="", help="the branch or tag")
    report.add_argument(
        "--repository",
        default=os.environ.get("GITHUB_REPOSITORY") or os.environ.get("CI_PROJECT_PATH") or "",
        help="owner/name (default: $GITHUB_REPOSITORY or $CI_PROJECT_PATH)",
    )
    report.add_argument("--item", action="append", default=[], metavar="ID", help="an item it remediates")
    report.add_argument("--message-file", help="the commit message, for its Remediates: trailers")
    report.add_argument("--url", help="the bot's address: post the signed report to <URL>/hooks/ci")


def _fail(message: str, code: int = 1) -> int:
    print(f"remediate ci report: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace, settings: Callable[[], Settings]) -> int:
    if args.url and not os.environ.get("CI_WEBHOOK_SECRET"):
        return _fail("CI_WEBHOOK_SECRET is not set: the report must be signed with the bot's CI secret", 2)
    try:
        raw = Path(args.results).read_bytes()
        message = Path(args.message_file).read_text(encoding="utf-8") if args.message_file else ""
    except OSError as exc:
        return _fail(f"cannot read {exc.filename}: {exc.strerror}", 2)
    if len(raw) > MAX_BODY:
        return _fail(f"{args.results} is larger than {MAX_BODY // (1024 * 1024)} MB", 1)
    text = raw.decode("utf-8", errors="replace")
    results: dict[str, Any] = {"junit": text}
    if text.lstrip().startswith("["):
        try:
            results = {"tests": json.loads(text)}
        except ValueError:
            return _fail(f"{args.results} is neither JUnit XML nor a JSON list of tests")
    body = report_body(
        commit=args.commit,
        run_url=args.run_url,
        ref=args.ref,
        repository=args.repository,
        items=list(args.item),
        message=message,
        **results,
    )
    try:
        report = parse_report(body)  # refused here with the reason, before anything is sent or written
    except BadReport as exc:
        return _fail(f"refused: {exc}")
    if args.url:
        return _post(args.url, body)
    from bot.runtime import build_deps  # the database path needs the bot's whole configuration
    from bot.services.evidence.reports import record_report

    deps = build_deps(settings())
    from bot.integrations import wire

    deps.subscribers = wire(deps).subscribers  # other integrations hear of what the report changed
    taken = record_report(deps, report=report, via="cli")
    return _done(taken.summary())


def _post(url: str, body: bytes) -> int:
    secret = os.environ["CI_WEBHOOK_SECRET"]
    target = urllib.parse.urlsplit(url.rstrip("/") + "/hooks/ci")
    if target.scheme not in ("http", "https") or not target.hostname:
        return _fail(f"--url {url!r} is not an http(s) address", 2)
    stamp = int(time.time())
    connection = (http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection)(
        target.hostname, target.port, timeout=TIMEOUT
    )
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Remediate-Timestamp": str(stamp),
                "X-Remediate-Signature": sign_v0(secret, stamp, body),
            },
        )
        response = connection.getresponse()
        raw = response.read()
    except OSError as exc:
        return _fail(f"could not reach {url}: {exc}")
    finally:
        connection.close()
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {"error": raw[:200].decode("utf-8", errors="replace")}
    if response.status not in (200, 202) or not isinstance(answer, dict) or not answer.get("ok", True):
        reason = answer.get("error") if isinstance(answer, dict) else None
        return _fail(f"the bot refused the report ({response.status}): {reason or 'no reason given'}")
    return _done(answer)


def _done(summary: dict[str, Any]) -> int:
    if summary.get("duplicate"):
        print("this report was taken before; nothing changed")
        return 0
    cases = summary.get("cases") or {}
    print(
        f"report taken: {cases.get('total', 0)} test(s) ({cases.get('passed', 0)} passed, "
        f"{cases.get('failed', 0)} failed); items {', '.join(summary.get('items') or []) or 'none'}; "
        f"{summary.get('ticked', 0)} criteria ticked; completed {_ids(summary, 'completed')}; "
        f"validated {_ids(summary, 'validated')}; regressed {_ids(summary, 'regressed')}"
    )
    if summary.get("unknown_items"):
        print(f"warning: no such item: {', '.join(summary['unknown_items'])}", file=sys.stderr)
    return 0


def _ids(summary: dict[str, Any], key: str) -> str:
    return ", ".join(summary.get(key) or []) or "none"
