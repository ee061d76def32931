"""Jobs and commands on a large history, on SQLite and on PostgreSQL.

For each size a fresh SQLite file and a fresh PostgreSQL database get the same seeded rows (bench.seed),
dated relative to T, the moment seeding starts. Every job then runs in a process of its own (bench.jobs):

- ``escalations`` twice: at T - 5 min it is the *catch-up* (the first sweep over a history whose overdue
  items have never been escalated: every due level fires at once), at T the regular five-minute *sweep*;
- ``digest`` at T (or the last digest day before it) and ``weekly-report`` at T.

On the 100,000-item databases what the jobs queued is then delivered to the fake Slack, timed apart from the
job (delivery is paced per channel at SLACK_CHANNEL_RATE, one message a second by default, as Slack asks).

Each database is new, so no period is claimed yet: nothing is cleared between runs. On the 100,000-item
database the bot is then started and `/remediate list overdue` and `/remediate show <id>` are timed over
signed HTTP. The statements behind all of it are recorded and their query plans kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    SIGNING_SECRET,
    Server,
    Unavailable,
    load,
    percentile,
    postgres_database,
    postgres_reachable,
    run_child,
    sqlite_database,
    user_ids,
)
from bench.seed import PROFILES, seed

JOBS = ("escalations", "digest", "weekly-report")
COMMANDS = {"list overdue": 200, "show": 200}
QUICK_COMMANDS = {"list overdue": 50, "show": 50}
WEEKDAYS = (0, 1, 2, 3, 4)  # DIGEST_DAYS default, mon-fri


def _digest_instant(t: datetime) -> datetime:
    while t.weekday() not in WEEKDAYS:  # the default TIMEZONE is UTC
        t -= timedelta(days=1)
    return t


def job_runs(job: str, t: datetime, *, explain: bool) -> list[dict[str, Any]]:
    if job == "escalations":
        return [
            {"label": "catch-up", "now": (t - timedelta(minutes=5)).isoformat(), "explain": explain},
            {"label": "sweep", "now": t.isoformat(), "explain": explain},
        ]
    if job == "digest":
        return [{"label": "", "now": _digest_instant(t).isoformat(), "explain": explain}]
    return [{"label": "", "now": t.isoformat(), "explain": explain}]


def run_jobs(
    url: str, slack_url: str, t: datetime, *, explain: bool, deliver: bool, log: Callable[[str], None]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for job in JOBS:
        spec = {
            "job": job,
            "database_url": url,
            "slack_url": slack_url,
            "runs": job_runs(job, t, explain=explain),
            "preload": ["matplotlib", "matplotlib.figure"] if job == "weekly-report" else [],
            "deliver": deliver,
        }
        try:
            result = run_child("bench.jobs", spec)
        except RuntimeError as exc:
            out[job] = {"error": str(exc)[-600:]}
            log(f"  {job}: failed ({str(exc).splitlines()[-1][:120]})")
            continue
        if "unavailable" in result:
            out[job] = {"unavailable": result["unavailable"]}
            log(f"  {job}: not available yet: {result['unavailable']}")
            continue
        for run in result["runs"]:
            name = f"{job} ({run['label']})" if run["label"] else job
            out[name] = {**run, "imports_s": result["imports_s"]}
            log(f"  {name}: {run['seconds'] * 1000:.0f} ms, {run['statements']} statements, "
                f"peak {run['rss_peak_mb']:.0f} MB; {run['summary'][:70]}")  # fmt: skip
    return out


def _probe(url: str, text: str, user: str) -> str:
    from tests.fakes.signing import SlackDriver

    with SlackDriver(url, SIGNING_SECRET) as driver:
        reply = driver.command("/remediate", text, user=user)
    if reply.status != 200:
        raise Unavailable(f"HTTP {reply.status}")
    if "is not a command I know" in reply.text or "Something went wrong" in reply.text:
        raise Unavailable(" ".join(reply.text.split())[:140])
    return reply.text


def run_commands(
    url: str, slack_url: str, sample_ids: list[str], *, quick: bool, log: Callable[[str], None], tag: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    users = user_ids()
    counts = QUICK_COMMANDS if quick else COMMANDS
    bot = Server("bot", f"bot-{tag}", database_url=url, slack_url=slack_url, record=True)
    try:
        for name, n in counts.items():
            if name == "show":
                requests = [
                    [users[i % len(users)], f"show {sample_ids[i % len(sample_ids)]}"] for i in range(n)
                ]
            else:
                requests = [[users[i % len(users)], name] for i in range(n)]
            try:
                sample = _probe(bot.url, requests[0][1], requests[0][0])
            except Unavailable as exc:
                out[name] = {"unavailable": str(exc)}
                log(f"  {name}: not available yet: {exc}")
                continue
            bot.ask("reset")
            warmup = requests[: max(10, n // 10)]
            result = load({"bot": bot.url}, [("bot", requests)], concurrency=1, warmup={"bot": warmup})["bot"]
            lat = result["latencies_ms"]
            plans = bot.ask("explain")
            out[name] = {
                "requests": n,
                "p50_ms": round(percentile(lat, 50), 2),
                "p99_ms": round(percentile(lat, 99), 2),
                "non_200": n - int(result["statuses"].get("200", 0)),
                "errors": result["error_count"],
                "statements_per_request": round(plans["statements"] / (n + len(warmup)), 1),
                "sample_reply": sample[:300],
                "queries": plans["queries"],
            }
            log(f"  {name}: p50 {out[name]['p50_ms']} ms, p99 {out[name]['p99_ms']} ms, "
                f"{out[name]['statements_per_request']} statements per request")  # fmt: skip
    finally:
        bot.stop()
    return out


def measure(
    sizes: list[int],
    slack_url: str,
    *,
    commands_at: int = 100_000,
    explain_at: int = 100_000,
    quick: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    no_postgres = postgres_reachable()
    if no_postgres:
        log(f"PostgreSQL: not available ({no_postgres}); SQLite only")
    for size in sizes:
        profile = PROFILES[size]
        t = datetime.now(UTC).replace(microsecond=0)
        entry: dict[str, Any] = {"items": profile.total, "T": t.isoformat()}
        with sqlite_database(f"items-{size}") as sqlite_url:
            urls = {"sqlite": sqlite_url}
            if no_postgres:
                entry["postgresql"] = {"unavailable": no_postgres}
                seeded = seed([sqlite_url], profile, t, log=log)
                entry["seed"] = _seed_info(seeded)
                entry["sqlite"] = _measure_backend(sqlite_url, slack_url, t, size, seeded, commands_at,
                                                   explain_at, quick, log, "sqlite")  # fmt: skip
            else:
                with postgres_database(f"{size}") as pg_url:
                    urls["postgresql"] = pg_url
                    seeded = seed([sqlite_url, pg_url], profile, t, log=log)
                    entry["seed"] = _seed_info(seeded)
                    for backend, url in urls.items():
                        entry[backend] = _measure_backend(url, slack_url, t, size, seeded, commands_at,
                                                          explain_at, quick, log, backend)  # fmt: skip
        results[str(size)] = entry
    return results


def _seed_info(seeded: Any) -> dict[str, Any]:
    return {
        "rows": seeded.counts,
        "open_items": seeded.open_items,
        "overdue_items": seeded.overdue_items,
        "seconds": round(seeded.seconds, 1),
    }


def _measure_backend(
    url: str,
    slack_url: str,
    t: datetime,
    size: int,
    seeded: Any,
    commands_at: int,
    explain_at: int,
    quick: bool,
    log: Callable[[str], None],
    backend: str,
) -> dict[str, Any]:
    log(f"{size:,} items on {backend}:")
    at_reference = size == explain_at
    out: dict[str, Any] = {
        "jobs": run_jobs(url, slack_url, t, explain=at_reference, deliver=at_reference, log=log)
    }
    if size == commands_at:
        out["commands"] = run_commands(url, slack_url, seeded.sample_ids, quick=quick, log=log,
                                       tag=f"{backend}-{size}")  # fmt: skip
    return out
