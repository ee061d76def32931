"""The `remediate` command.

    remediate run [--no-scheduler]        the bot: Slack requests (HTTP or Socket Mode), sender, scheduler
    remediate scheduler                   the scheduler and the sender, /healthz and /metrics (split roles)
    remediate jobs list                   the scheduled jobs
    remediate jobs run NAME [--at ISO]    run one job once as of an instant, deliver what it queued, exit
    remediate db upgrade | check          apply migrations / verify models and migrations agree
    remediate ci report RESULTS.xml --commit SHA --run-url URL [--url BOT_URL]   CI results as evidence
    remediate extract-issues --analysis-file PATH [--auto-add] [--incident INC-…] [--owner-map FILE]
                                          the action items of an analysis file (created with --auto-add)

Exit codes: 0 success, 1 failure, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot.config import Settings, SettingsError, load_settings
from bot.logs import setup_logging

log = logging.getLogger("remediate")


def _parse_at(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO-8601 instant; use e.g. 2026-11-23T09:00:00+00:00"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="remediate", description="Slack bot that makes remediation happen.")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot")
    run.add_argument("--no-scheduler", action="store_true", help="do not run scheduled jobs in this process")

    sub.add_parser(
        "scheduler",
        help="run the scheduler and the outbox sender; serve /healthz and /metrics, no Slack requests",
    )

    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jsub = jobs.add_subparsers(dest="jobs_cmd", required=True, metavar="ACTION")
    jsub.add_parser("list", help="list the jobs")
    jrun = jsub.add_parser("run", help="run one job once and exit")
    jrun.add_argument("name")
    jrun.add_argument("--at", type=_parse_at, help="evaluate the job as of this ISO-8601 instant")
    jrun.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for delivery (default 120)"
    )

    db = sub.add_parser("db", help="database schema")
    dsub = db.add_subparsers(dest="db_cmd", required=True, metavar="ACTION")
    dsub.add_parser("upgrade", help="apply migrations")
    dsub.add_parser("check", help="fail if models and migrations disagree")

    from bot.ci.cli import add_commands as ci_commands

    ci_commands(sub)

    extract = sub.add_parser(
        "extract-issues",
        help="list the action items of an analysis file (Markdown, text or HTML); --auto-add creates them",
    )
    extract.add_argument(
        "--analysis-file", required=True, metavar="PATH", help="the Five Whys or post-mortem"
    )
    extract.add_argument("--auto-add", action="store_true", help="create the items (default: only list them)")
    extract.add_argument("--incident", metavar="INC-…", help="link the items to this incident")
    extract.add_argument(
        "--owner-map",
        metavar="FILE",
        help="names in the document -> Slack user ids (`bob: U0123ABCD` lines or JSON)",
    )
    extract.add_argument(
        "--reporter",
        default="",
        metavar="USER_ID",
        help="the Slack user the items are reported by (default none)",
    )
    return p


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as err:
        print("remediate: the configuration has problems:", file=sys.stderr)
        for problem in err.problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Set them in the environment or in .env (every variable is described in .env.example).",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    if args.cmd == "jobs" and args.jobs_cmd == "list":
        from bot.jobs.registry import JOBS

        for spec in JOBS.values():
            print(f"{spec.name:15} {spec.description}")
        return 0

    if args.cmd == "ci":  # a CI job: with --url it needs only CI_WEBHOOK_SECRET, not the bot's settings
        from bot.ci.cli import run as ci_run

        return ci_run(args, _settings)

    settings = _settings()
    setup_logging(settings.log_level, settings.log_format)

    if args.cmd == "run":
        from bot.runtime import Bot

        Bot(settings, scheduler=not args.no_scheduler).serve_forever()
        return 0
    if args.cmd == "scheduler":
        from bot.runtime import Bot

        Bot(settings, slack=False, scheduler=True).serve_forever()
        return 0
    if args.cmd == "jobs":
        return _run_job(settings, args.name, args.at, args.timeout)
    if args.cmd == "extract-issues":
        return _extract_issues(settings, args)
    if args.cmd == "db":
        from storage.db import make_engine
        from storage.migrate import check, upgrade

        engine = make_engine(settings.database_url)
        if args.db_cmd == "upgrade":
            upgrade(engine)
            print("database is at the latest schema")
        else:
            check(engine)
            print("models and migrations agree")
        return 0
    return 2


def _as_of(at: datetime) -> Callable[[], datetime]:
    """A clock that starts at `at` and then runs: the job sees `at`, and delivery retries (a 429's
    Retry-After, a backoff) come due as real time passes instead of never."""
    started = time.monotonic()
    return lambda: at + timedelta(seconds=time.monotonic() - started)


def _run_job(settings: Settings, name: str, at: datetime | None, timeout: float) -> int:
    from bot.clock import system_clock
    from bot.jobs.registry import UnknownJob, get_job
    from bot.jobs.scheduler import run_job
    from bot.runtime import build_deps, build_notifier
    from storage.migrate import upgrade

    try:
        spec = get_job(name)
    except UnknownJob as err:
        print(f"remediate: {err.message}", file=sys.stderr)
        return 2
    clock = _as_of(at) if at is not None else system_clock
    deps = build_deps(settings, clock)
    upgrade(deps.engine)
    result = run_job(deps, spec, at)
    print(f"{spec.name}: {result.summary}")
    # A cron-only deployment has no other sender: deliver what this run queued before exiting. Leases keep
    # a running bot's sender and this one from sending the same message.
    # DMs held for quiet hours are left for whoever sends next (a running bot, or the next cron run, which
    # delivers everything due, not only its own).
    if result.outbox_ids:
        settled = build_notifier(deps).settle(result.outbox_ids, timeout=timeout)
        print(f"delivered {settled.sent} message(s)")
        if settled.held:
            assert settled.held_until is not None
            until = settled.held_until.isoformat()
            print(f"{settled.held} direct message(s) held for quiet hours, until {until}")
        if settled.failed:
            print(
                f"remediate: {settled.failed} message(s) failed for good (kept in the outbox; see the log)",
                file=sys.stderr,
            )
            return 1
        if settled.pending:
            print(
                "remediate: some messages are still queued; a running bot will deliver them", file=sys.stderr
            )
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def _extract_issues(settings: Settings, args: argparse.Namespace) -> int:
    """The seed's `extract-issues`: "Extracted 3 issues from analysis file", then `- ID: Title` lines."""
    from pathlib import Path

    from bot.core.errors import UserError
    from bot.core.extraction.model import DocumentError
    from bot.core.extraction.owner_map import read_owner_map
    from bot.core.extraction_preview import NothingActionable
    from bot.runtime import build_deps
    from bot.services.extraction.terminal import extract_file

    def fail(message: str, code: int) -> int:
        print(f"remediate extract-issues: {message}", file=sys.stderr)
        return code

    path = Path(args.analysis_file)
    try:
        raw = path.read_bytes()
        owners = read_owner_map(Path(args.owner_map).read_text(encoding="utf-8")) if args.owner_map else {}
    except OSError as exc:
        return fail(f"cannot read {exc.filename}: {exc.strerror}", 2)
    except (DocumentError, UnicodeDecodeError) as exc:
        return fail(str(exc), 2)
    deps = build_deps(settings)
    from storage.migrate import upgrade

    upgrade(deps.engine)  # a fresh database gets its schema, as `remediate run` gives it
    if args.auto_add:
        from bot.integrations import wire

        deps.subscribers = wire(deps).subscribers  # trackers and web hooks hear of the new items
    try:
        found = extract_file(
            deps,
            raw=raw,
            source=path.name,
            auto_add=args.auto_add,
            incident_id=args.incident,
            owner_map=owners,
            reporter_id=args.reporter.strip(),
        )
    except NothingActionable as nothing:
        print(f"Extracted 0 issues from analysis file: {_plain(nothing.reason)}")
        return 0
    except UserError as err:
        return fail(_plain(err.message), 1)
    offered = [i for i in found.items if i.duplicate_of is None and i.id]
    print(f"Extracted {len(offered)} issue{'s' if len(offered) != 1 else ''} from analysis file")
    for item in offered:  # the seed's line, then what it will be created with
        owner = f"owner {item.owner_id}" if item.owner_id else "no owner"
        print(f"- {item.id}: {item.title}")
        print(f"    {item.priority}, {owner}, due {item.deadline:%Y-%m-%d %H:%M %Z}")
    for item in found.items:
        if item.duplicate_of:
            print(f"  already tracked as {item.duplicate_of}: {item.title}")
    for title in found.done:
        print(f"  done in the document, not tracked: {title}")
    if found.found > len(found.items):
        print(f"  only the first {len(found.items)} of {found.found} items were read")
    for warning in found.warnings:
        print(f"warning: {_plain(warning)}", file=sys.stderr)
    if not found.created and offered:
        print("Nothing was created; run again with --auto-add to track them.")
    return 0


def _plain(text: str) -> str:
    """A message written for Slack, for the terminal: no mrkdwn escapes or marks."""
    from bot.core.mrkdwn import unescape

    return unescape(text).replace("`", "").replace("*", "")
