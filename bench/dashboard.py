"""Every page of the web dashboard at 100,000 items, on SQLite and PostgreSQL (``python -m bench.dashboard``).

The same history as ``python -m bench`` (bench.seed: 100,000 items over two years, 5,000 incidents, about
5 % of the items open) is written to a fresh SQLite file and a fresh PostgreSQL database. The dashboard's
WSGI application is then built as the bot builds it, a session is opened through a one-time link, and each
page is requested in this process: the time is the server's, from the request reaching the application to
its last byte (route, session check, queries, template), without the network or a browser. Each page is
asked `--runs` times after a few warm-up requests; the table gives the median and the 95th percentile and
the number of SQL statements a request sends. The target is under 300 ms a page.

`--update-readme` puts the table in README.md between the ``<!-- bench:dashboard:start -->`` and
``<!-- bench:dashboard:end -->`` marks. `--keep` keeps the seeded databases (bench/out/dashboard-kept.db and
the PostgreSQL database ``remediate_bench_dashboard_kept``) and reuses them on the next run with `--keep`,
migrated to the latest schema first, with the seed's own "now": seeding 100,000 items twice takes minutes.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    OUT,
    ROOT,
    machine,
    percentile,
    postgres_database,
    postgres_reachable,
    sqlite_database,
)
from bench.seed import PROFILES, seed

TARGET_MS = 300.0
SIZE = 100_000
BASE = "http://127.0.0.1:8080"
README = ROOT / "README.md"
START, END = "<!-- bench:dashboard:start -->", "<!-- bench:dashboard:end -->"
RESULTS = OUT / "dashboard.json"  # git-ignored, as the other outputs of a run
KEPT = OUT / "dashboard-kept.json"  # the instant the kept databases were seeded at, and their URLs
KEPT_SQLITE = OUT / "dashboard-kept.db"
KEPT_POSTGRES = "remediate_bench_dashboard_kept"


def pages(item_ids: list[str], incident_id: str, owner: str) -> list[tuple[str, str, bool]]:
    """(label, path and query, held to the target)."""
    return [
        ("overview", "/", True),
        ("items: first page", "/items", True),
        ("items: open P1, by priority", "/items?priority=P1&status=open&sort=priority", True),
        ("items: overdue only", "/items?overdue=1", True),
        ("items: one owner, created this year", f"/items?owner={owner}&date=created&from=2026-01-01", True),
        ("items: system billing, last page", "/items?system=billing&page=250", True),
        ("items: last of 2,000 pages", "/items?page=2000", True),
        ("items: by title", "/items?sort=title", True),
        # A deep page of a text sort sorts every title first: shown, not held to the target (see README).
        ("items: by title, descending, page 1,000 (not held)", "/items?sort=title&dir=desc&page=1000", False),
        ("items: one incident", f"/items?incident={incident_id}", True),
        ("item page", f"/items/{item_ids[0]}", True),
        ("incident page", f"/incidents/{incident_id}", True),
        ("CSV: open items", "/items.csv?status=open", True),
        ("CSV: all 100,000 items (a download, not a page)", "/items.csv", False),
    ]


class Client:
    """Requests straight into the WSGI application, timed from the call to the last byte of the body."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app
        self.cookie = ""

    def get(self, path_and_query: str) -> tuple[str, list[tuple[str, str]], bytes, float]:
        path, _, query = path_and_query.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/dashboard" + path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "HTTP_HOST": "127.0.0.1:8080",
            "HTTP_COOKIE": self.cookie,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
        }
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = status, headers

        started = time.perf_counter()
        body = b"".join(self.app(environ, start_response))
        ms = (time.perf_counter() - started) * 1000
        return answer["status"], answer["headers"], body, ms


@contextmanager
def dashboard(url: str, t: datetime) -> Iterator[tuple[Client, Any]]:
    from bench.common import bot_settings
    from bot.dashboard.app import make_app
    from bot.runtime import build_deps
    from bot.services.dashboard import access

    # Slack is never called while a page is drawn; the address is a closed port on purpose.
    settings = bot_settings(url, "http://127.0.0.1:9/api/", dashboard_url=BASE)
    deps = build_deps(settings, clock=lambda: t)
    try:
        client = Client(make_app(deps, prefix="/dashboard"))
        link = access.issue_link(deps, user_id="U00001", now=t)
        status, headers, _, _ = client.get(link.url[len(BASE + "/dashboard") :])
        assert status.startswith("303"), status
        cookie = next(v for k, v in headers if k == "Set-Cookie")
        client.cookie = cookie.split(";", 1)[0]
        yield client, deps
    finally:
        deps.engine.dispose()


def sample(deps: Any) -> tuple[list[str], str, str]:
    """An open item with a long timeline, the incident with the most items, a busy owner."""
    from sqlalchemy import text

    with deps.engine.connect() as conn:
        item = conn.execute(
            text(
                "SELECT subject_id FROM timeline_event WHERE subject_id IN (SELECT id FROM remediation_item "
                "WHERE status IN ('identified','planned','in_progress','blocked')) "
                "GROUP BY subject_id ORDER BY count(*) DESC, subject_id LIMIT 1"
            )
        ).scalar_one()
        incident = conn.execute(
            text(
                "SELECT incident_id FROM remediation_item WHERE incident_id IS NOT NULL "
                "GROUP BY incident_id ORDER BY count(*) DESC, incident_id LIMIT 1"
            )
        ).scalar_one()
        owner = conn.execute(
            text(
                "SELECT owner_id FROM remediation_item WHERE owner_id IS NOT NULL "
                "GROUP BY owner_id ORDER BY count(*) DESC, owner_id LIMIT 1"
            )
        ).scalar_one()
    return [str(item)], str(incident), str(owner)


def measure_backend(
    url: str, t: datetime, *, runs: int, warmup: int, log: Callable[[str], None]
) -> dict[str, Any]:
    from bench.statements import Recorder

    out: dict[str, Any] = {}
    with dashboard(url, t) as (client, deps):
        recorder = Recorder().attach(deps.engine)
        item_ids, incident_id, owner = sample(deps)
        for label, path, held in pages(item_ids, incident_id, owner):
            n = runs if held else max(3, runs // 10)
            for _ in range(warmup if held else 1):
                client.get(path)
            recorder.reset()
            times, size, status = [], 0, ""
            for _ in range(n):
                status, _headers, body, ms = client.get(path)
                times.append(ms)
                size = len(body)
            out[label] = {
                "path": path,
                "status": status[:3],
                "runs": n,
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 95), 1),
                "max_ms": round(max(times), 1),
                "statements": round(recorder.count / n, 1),
                "bytes": size,
                "target": held,
                "slowest": recorder.summary()[:3],
            }
            r = out[label]
            log(
                f"  {label}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms, {r['statements']} statements, "
                f"HTTP {r['status']}, {size / 1024:.0f} KiB"
            )
    return out


def table(results: dict[str, Any]) -> str:
    backends = [b for b in ("sqlite", "postgresql") if isinstance(results.get(b), dict)]
    labels = list(next(iter(results[b] for b in backends if "unavailable" not in results[b])))
    head = "| Page (100,000 items) | " + " | ".join(
        f"{'SQLite' if b == 'sqlite' else 'PostgreSQL'} median / p95" for b in backends
    )
    lines = [head + " |", "|---|" + "---:|" * len(backends)]
    for label in labels:
        cells = []
        for b in backends:
            r = results[b].get(label)
            if r is None:
                cells.append(results[b].get("unavailable", "n/a"))
                continue
            miss = r["target"] and r["p95_ms"] >= TARGET_MS
            cell = f"{r['median_ms']:.0f} / {r['p95_ms']:.0f} ms"
            cells.append(cell + (" **(over 300 ms)**" if miss else ""))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def misses(results: dict[str, Any]) -> list[str]:
    return [
        f"{b}: {label} p95 {r['p95_ms']} ms"
        for b in ("sqlite", "postgresql")
        for label, r in (results.get(b) or {}).items()
        if isinstance(r, dict) and r.get("target") and r["p95_ms"] >= TARGET_MS
    ]


def update_readme(results: dict[str, Any], text_table: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} … {END} block to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    m = results["machine"]
    block = "\n".join(
        [
            START,
            f"Last run: {results['started'][:10]}, `python -m bench.dashboard`, {results['runs']} requests a "
            f"page after warm-up, on {m['nproc']} CPUs ({m['cpu']}, load average "
            f"{m['load_average'][0]:.1f} at the start), Python {m['python']}, SQLite {m['sqlite']}, "
            f"PostgreSQL {m['postgresql'] or 'n/a'}.",
            "",
            text_table,
            END,
        ]
    )
    README.write_text(head + block + tail)


def _kept_postgres_url(*, fresh: bool) -> str:
    """The kept PostgreSQL database's URL; created anew (dropped first) when `fresh`."""
    import psycopg
    from sqlalchemy.engine import make_url

    from bench.common import postgres_admin_url

    admin = postgres_admin_url().replace("postgresql+psycopg://", "postgresql://", 1)
    if fresh:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{KEPT_POSTGRES}" WITH (FORCE)')
            conn.execute(f"CREATE DATABASE \"{KEPT_POSTGRES}\" TEMPLATE template0 ENCODING 'UTF8'")
    url = make_url(postgres_admin_url()).set(drivername="postgresql+psycopg", database=KEPT_POSTGRES)
    return url.render_as_string(hide_password=False)


def kept_databases(
    backends: list[str], t: datetime, log: Callable[[str], None]
) -> tuple[dict[str, str], datetime]:
    """The kept databases and the instant they were seeded at: reused (and migrated to the latest schema)
    when a previous `--keep` run left them for the same backends, else seeded now and remembered."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    if KEPT.exists():
        kept = json.loads(KEPT.read_text())
        if kept.get("backends") == backends and (KEPT_SQLITE.exists() or "sqlite" not in backends):
            urls = {"sqlite": f"sqlite:///{KEPT_SQLITE}"} if "sqlite" in backends else {}
            if "postgresql" in backends:
                urls["postgresql"] = _kept_postgres_url(fresh=False)
            for url in urls.values():
                engine = make_engine(url)
                try:
                    upgrade(engine)
                finally:
                    engine.dispose()
            seeded_at = datetime.fromisoformat(kept["seeded_at"])
            log(f"reusing the databases seeded at {seeded_at.isoformat()} (--keep)")
            return urls, seeded_at
    KEPT.unlink(missing_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(KEPT_SQLITE) + suffix).unlink(missing_ok=True)
    urls = {"sqlite": f"sqlite:///{KEPT_SQLITE}"} if "sqlite" in backends else {}
    if "postgresql" in backends:
        urls["postgresql"] = _kept_postgres_url(fresh=True)
    seed(list(urls.values()), PROFILES[SIZE], t, log=log)
    KEPT.write_text(json.dumps({"backends": backends, "seeded_at": t.isoformat()}) + "\n")
    return urls, t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=40, help="timed requests per page (default 40)")
    p.add_argument("--warmup", type=int, default=5, help="untimed requests per page first (default 5)")
    p.add_argument("--update-readme", action="store_true", help="put the table in README.md")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the seeded databases for the next --keep run, and reuse those a previous one kept",
    )
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", flush=True)

    t = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "items": SIZE,
        "runs": args.runs,
        "target_ms": TARGET_MS,
    }
    no_postgres = postgres_reachable()
    if no_postgres:
        results["postgresql"] = {"unavailable": no_postgres}
        log(f"PostgreSQL: not available ({no_postgres}); SQLite only")
    with ExitStack() as stack:
        if args.keep:
            urls, t = kept_databases(["sqlite"] + ([] if no_postgres else ["postgresql"]), t, log)
        else:
            urls = {"sqlite": stack.enter_context(sqlite_database("dashboard-100000"))}
            if not no_postgres:
                urls["postgresql"] = stack.enter_context(postgres_database("dashboard"))
            seed(list(urls.values()), PROFILES[SIZE], t, log=log)
        for backend, url in urls.items():
            log(f"{SIZE:,} items on {backend}:")
            results[backend] = measure_backend(url, t, runs=args.runs, warmup=args.warmup, log=log)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["misses"] = misses(results)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    text_table = table(results)
    print()
    print(text_table)
    print()
    if results["misses"]:
        print("Over the 300 ms target:\n  " + "\n  ".join(results["misses"]))
    else:
        print("Every page is under the 300 ms target at the 95th percentile on every backend.")
    print(f"Wrote {RESULTS.relative_to(ROOT)}.")
    if args.update_readme:
        update_readme(results, text_table)
        print("Updated the dashboard's figures in README.md.")
    return 1 if results["misses"] else 0


if __name__ == "__main__":
    sys.exit(main())
