"""One scheduled job, timed in a process of its own (``python -m bench.jobs``, one JSON spec on stdin).

The process imports the job (and, for the weekly report, matplotlib, which the chart imports on first use;
that import is timed on its own and left out), opens a connection, then runs the job as the scheduler does
(`run_job(deps, spec, now)`) once per instant in `runs`. The time is the job itself: reading, building the
messages and queuing them in the outbox, committed. Delivery to the fake Slack follows, timed apart.

Memory is the process's peak resident set during the run (VmHWM, reset just before it: interpreter,
imports and the job together) and how far the job raised it above what the process held before.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from datetime import datetime
from typing import Any


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MiB. Not ru_maxrss: on Linux that survives exec and
    can report the parent's size."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Start a new peak at the current size (Linux >= 4.0), so the next peak is the job's own."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.common import bot_settings
    from bench.statements import Recorder, explain

    name = spec["job"]
    try:
        from bot.jobs.registry import get_job

        job = get_job(name)
        job.load()
    except (ImportError, KeyError, AttributeError) as exc:
        return {"unavailable": f"job {name!r} cannot be loaded ({type(exc).__name__}: {exc})"}
    from bot.jobs.scheduler import run_job
    from bot.runtime import build_deps, build_notifier

    imports = {}
    for module in spec.get("preload", []):
        t0 = time.perf_counter()
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        imports[module] = round(time.perf_counter() - t0, 3)

    current = [datetime.fromisoformat(spec["runs"][0]["now"])]
    settings = bot_settings(spec["database_url"], spec["slack_url"])
    deps = build_deps(settings, clock=lambda: current[0])
    recorder = Recorder().attach(deps.engine)
    with deps.uow(readonly=True) as session:  # a connection in the pool, as a running scheduler has
        session.connection()
    rss_before = _status_mb("VmRSS")
    runs = []
    for r in spec["runs"]:
        now = datetime.fromisoformat(r["now"])
        current[0] = now
        recorder.reset()
        _reset_peak()
        rss_start = _status_mb("VmRSS")
        t0 = time.perf_counter()
        result = run_job(deps, job, now)
        seconds = time.perf_counter() - t0
        rss_after = _status_mb("VmHWM")
        statements = recorder.count
        top = recorder.summary()[:5]
        queries = explain(deps.engine, recorder) if r.get("explain") else []
        delivery: dict[str, Any] = {}
        if result.outbox_ids and spec.get("deliver", True):
            notifier = build_notifier(deps)
            t1 = time.perf_counter()
            stats = notifier.drain(max_batches=1000)
            delivery = {
                "seconds": round(time.perf_counter() - t1, 3),
                "sent": stats.sent,
                "failed": stats.failed,
                "queued": len(result.outbox_ids),
            }
        runs.append(
            {
                "label": r.get("label", ""),
                "now": now.isoformat(),
                "seconds": round(seconds, 4),
                "rss_before_mb": round(rss_start, 1),
                "rss_peak_mb": round(rss_after, 1),
                "statements": statements,
                "summary": result.summary,
                "messages": len(result.outbox_ids),
                "delivery": delivery,
                "slowest": top,
                "queries": queries,
            }
        )
    deps.engine.dispose()
    return {
        "job": name,
        "runs": runs,
        "rss_before_mb": round(rss_before, 1),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
        "imports_s": imports,
    }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(run(spec)) + "\n")


if __name__ == "__main__":
    main()
