"""The performance benchmark: ``python -m bench`` (see README, "Performance").

Starts a fake Slack, the floor (a bare Bolt app) and the bot, each in a process of its own, times slash
command acks from a separate load-generator process, then seeds SQLite and PostgreSQL with 10,000, 100,000
and 1,000,000 remediation items and times the scheduled jobs and two commands on them. Prints one table and
writes bench/results.json (query plans and logs of the last run go to bench/out/).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from bench import ack, report, scale
from bench.common import OUT, RESULTS, ROOT, Server, machine

README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes", default="10000,100000,1000000", help="item counts to seed (10000, 100000, 1000000)"
    )
    p.add_argument("--skip-million", action="store_true", help="leave out the 1,000,000-item databases")
    p.add_argument("--only", choices=("ack", "scale"), help="run one half of the benchmark")
    p.add_argument("--quick", action="store_true", help="fewer requests (a smoke run; figures are rougher)")
    p.add_argument("--update-readme", action="store_true", help="put the table and the plans in README.md")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.skip_million:
        sizes = [s for s in sizes if s < 1_000_000]
    unknown = [s for s in sizes if s not in scale.PROFILES]
    if unknown:
        print(f"unknown size(s) {unknown}; choose from {sorted(scale.PROFILES)}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", flush=True)

    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
    }
    log(report.machine_line(results["machine"]))
    slack = Server("slack", "fake-slack")
    try:
        if args.only in (None, "ack"):
            try:
                results["ack"] = ack.measure(slack.url, quick=args.quick, log=log)
            except Exception as exc:
                results["ack"] = {"error": f"{type(exc).__name__}: {exc}"}
                log("ack latency failed:\n" + traceback.format_exc())
        if args.only in (None, "scale"):
            results["scale"] = scale.measure(sizes, slack.url, quick=args.quick, log=log)
    finally:
        results["slack_calls"] = slack.stop().get("calls", {})
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.evaluate(results)

    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    plans = report.plans(results)
    (OUT / "plans.md").write_text(plans + "\n")
    table = report.table(results)
    print()
    print(f"remediate benchmark, {results['started']}, {results['seconds']:.0f} s")
    print(report.machine_line(results["machine"]))
    print()
    print(table)
    for title, lines in _notes(results):
        print(f"\n{title}:")
        for line in lines:
            print("  " + line)
    print(f"\nWrote {RESULTS.relative_to(ROOT)}; query plans in {(OUT / 'plans.md').relative_to(ROOT)}.")
    if args.update_readme:
        _update_readme(results, table, report.plans(results, per_source=2))
        print("Updated the Performance section of README.md.")
    return 0


def _notes(results: dict[str, Any]) -> list[tuple[str, list[str]]]:
    notes = [
        ("Delivery at 100k items, not in the job times (paced at SLACK_CHANNEL_RATE per channel)",
         report.delivery(results)),
        ("Statements at 100k items that read a whole table", report.full_scans(results)),
    ]  # fmt: skip
    return [(title, lines) for title, lines in notes if lines]


def _update_readme(results: dict[str, Any], table: str, plans: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} … {END} block to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    block = "\n".join(
        [
            START,
            f"Last run: {results['started'][:10]}, `{results['command'].strip()}`, "
            f"{results['seconds']:.0f} s on {report.machine_line(results['machine'])}.",
            "",
            table,
            "",
            *[
                f"{title}:\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
                for title, lines in _notes(results)
            ],
            "<details><summary>Query plans at 100,000 items (the slowest statements of each job and command)"
            "</summary>",
            "",
            plans,
            "",
            "</details>",
            END,
        ]
    )
    README.write_text(head + block + tail)


if __name__ == "__main__":
    raise SystemExit(main())
