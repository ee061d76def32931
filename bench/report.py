"""Turn the measurements into the one table (terminal and README), the targets, and the query plans."""

from __future__ import annotations

import re
from typing import Any

JOB_ROWS = ("escalations (sweep)", "escalations (catch-up)", "digest", "weekly-report")
BACKENDS = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))
REFERENCE = "100000"
LARGEST = "1000000"


def _n(size: str) -> str:
    return {"10000": "10k", "100000": "100k", "1000000": "1M"}.get(size, size)


def _ms(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def _target(out: list[dict[str, Any]], target: str, figure: str, met: bool) -> None:
    out.append({"target": target, "figure": figure, "met": met})


def _jobs(scale: dict[str, Any], size: str, backend: str) -> dict[str, Any]:
    return ((scale.get(size) or {}).get(backend) or {}).get("jobs") or {}


def _timed(run: Any) -> bool:
    return isinstance(run, dict) and "seconds" in run


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with the measured figure and whether it is met (absent: not measured)."""
    out: list[dict[str, Any]] = []
    ack = results.get("ack") or {}
    c1, c16 = ack.get("c1"), ack.get("c16")
    if c1:
        _target(out, "bot p50 at c=1 <= 2x floor p50", f"{c1['ratio']['p50']}x", c1["ratio"]["p50"] <= 2)
    if c16:
        p99 = c16["bot"]["p99_ms"]
        _target(out, "bot p99 at c=16 < 100 ms", f"{_ms(p99)} ms", p99 < 100)
        share = c16["ratio"]["rps"]
        _target(out, "bot throughput at c=16 >= 50 % of floor", f"{share * 100:.0f} %", share >= 0.5)
    if ack.get("rows"):
        rows = ack["rows"]
        _target(out, "every track new left its item", f"{rows['found']}/{rows['expected']}", rows["ok"])
    if ack.get("dms"):
        dms = ack["dms"]
        sent = dms["by_status"].get("sent", 0)
        _target(out, "every track new sent its owner DM", f"{sent}/{dms['expected']}", dms["ok"])
    scale = results.get("scale") or {}
    for backend, label in BACKENDS:
        for job in JOB_ROWS:
            run = _jobs(scale, REFERENCE, backend).get(job)
            big = _jobs(scale, LARGEST, backend).get(job)
            if _timed(run):
                ms = run["seconds"] * 1000
                _target(out, f"{job} < 1 s at 100k, {label}", f"{_ms(ms)} ms", ms < 1000)
            if _timed(run) and _timed(big):
                ratio = big["seconds"] / run["seconds"]
                _target(out, f"{job} at 1M < 3x 100k, {label}", f"{ratio:.2f}x", ratio < 3)
        peaks = [
            (size, job, run["rss_peak_mb"])
            for size in scale
            for job, run in _jobs(scale, size, backend).items()
            if _timed(run)
        ]
        if peaks:
            size, job, peak = max(peaks, key=lambda p: p[2])
            _target(
                out, f"job peak memory < 200 MB, {label}", f"{peak:.0f} MB ({job}, {_n(size)})", peak < 200
            )
        commands = ((scale.get(REFERENCE) or {}).get(backend) or {}).get("commands") or {}
        for name in ("list overdue", "show"):
            cmd = commands.get(name)
            if cmd and "p50_ms" in cmd:
                figure = f"p50 {_ms(cmd['p50_ms'])} · p99 {_ms(cmd['p99_ms'])} ms"
                _target(out, f"{name} < 50 ms at 100k (p99), {label}", figure, cmd["p99_ms"] < 50)
    return out


def _ack_rows(ack: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    if ack.get("error"):
        rows.append(("ack latency", f"failed: {ack['error'][:80]}", "", "", ""))
    for level in ("c1", "c16"):
        data = ack.get(level)
        if not data:
            continue
        f, b, r = data["floor"], data["bot"], data["ratio"]
        c = level[1:]
        one, many = c == "1", c == "16"
        p50 = f"floor {_ms(f['p50_ms'])} · bot {_ms(b['p50_ms'])} = {r['p50']}x"
        p99 = f"floor {_ms(f['p99_ms'])} · bot {_ms(b['p99_ms'])}"
        rps = f"floor {f['rps']:.0f} · bot {b['rps']:.0f} = {r['rps'] * 100:.0f} %"
        rows.append((f"ack p50, c={c} (ms)", p50, "", "bot <= 2x floor" if one else "",
                     _met(r["p50"] <= 2) if one else ""))  # fmt: skip
        rows.append((f"ack p99, c={c} (ms)", p99, "", "bot < 100 ms" if many else "",
                     _met(b["p99_ms"] < 100) if many else ""))  # fmt: skip
        rows.append((f"throughput, c={c} (req/s)", rps, "", "bot >= 50 % of floor" if many else "",
                     _met(r["rps"] >= 0.5) if many else ""))  # fmt: skip
        if b.get("drain_s"):
            drained = "last one " + " · ".join(f"{x:.1f}" for x in b["drain_s"]) + " s after it"
            rows.append((f"owner DMs sent after each bot slice, c={c} (s)", drained, "", "", ""))
    if ack.get("rows"):
        found, expected = ack["rows"]["found"], ack["rows"]["expected"]
        rows.append(
            ("items left by `track new`", f"{found:,} of {expected:,}", "", "all", _met(found == expected))
        )
        if ack.get("dms"):
            sent, expected = ack["dms"]["by_status"].get("sent", 0), ack["dms"]["expected"]
            rows.append(
                ("owner DMs sent for them", f"{sent:,} of {expected:,}", "", "all", _met(sent == expected))
            )
    elif ack.get("workload", "").startswith("/remediate help"):
        rows.append(("ack workload", ack["workload"][:100], "", "", ""))
    return rows


def _job_cell(scale: dict[str, Any], size: str, backend: str, job: str) -> tuple[str, bool | None]:
    part = (scale.get(size) or {}).get(backend) or {}
    if "unavailable" in part:
        return "n/a", None
    jobs = part.get("jobs") or {}
    run = jobs.get(job)
    if not _timed(run):
        missing = jobs.get(job.split(" (")[0]) or run or {}
        return ("not available yet" if "unavailable" in missing else "failed" if missing else "—"), None
    cell = f"{_ms(run['seconds'] * 1000)} ms · {run['rss_peak_mb']:.0f} MB · {run['statements']} SQL"
    ok = run["rss_peak_mb"] < 200
    if size == REFERENCE:
        ok = ok and run["seconds"] < 1
    if size == LARGEST:
        ref = _jobs(scale, REFERENCE, backend).get(job)
        if _timed(ref):
            ratio = run["seconds"] / ref["seconds"]
            cell += f" ({ratio:.1f}x 100k)"
            ok = ok and ratio < 3
    return cell, ok


def table(results: dict[str, Any]) -> str:
    """The one table: every figure, with its target and whether it is met."""
    rows = _ack_rows(results.get("ack") or {})
    scale = results.get("scale") or {}
    targets = {REFERENCE: "< 1 s, < 200 MB", LARGEST: "< 3x 100k, < 200 MB"}
    for job in JOB_ROWS:
        for size in scale:
            cells = [_job_cell(scale, size, backend, job) for backend, _ in BACKENDS]
            verdicts = [ok for _, ok in cells if ok is not None]
            met = _met(all(verdicts)) if verdicts else "—"
            rows.append(
                (f"{job}, {_n(size)} items", cells[0][0], cells[1][0], targets.get(size, "< 200 MB"), met)
            )
    ref = scale.get(REFERENCE) or {}
    for name in ("list overdue", "show"):
        texts, verdicts = [], []
        for backend, _label in BACKENDS:
            cmd = ((ref.get(backend) or {}).get("commands") or {}).get(name)
            if not cmd:
                texts.append("—")
            elif "unavailable" in cmd:
                texts.append("not available yet")
            else:
                texts.append(f"p50 {_ms(cmd['p50_ms'])} · p99 {_ms(cmd['p99_ms'])} ms")
                verdicts.append(cmd["p99_ms"] < 50)
        if any(t != "—" for t in texts):
            met = _met(all(verdicts)) if verdicts else "—"
            rows.append((f"/remediate {name}, 100k items", texts[0], texts[1], "p99 < 50 ms", met))
    header = ("measurement", "SQLite (ack: the bot on SQLite)", "PostgreSQL", "target", "met")
    return _markdown([header, *rows])


def _markdown(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine_line(m: dict[str, Any]) -> str:
    pg = f"PostgreSQL {m['postgresql']}" if m.get("postgresql") else "no PostgreSQL"
    load = m.get("load_average")
    busy = f"; load average {load[0]:.1f} at the start" if load else ""
    return (
        f"{m['nproc']} CPU cores ({m['cpu']}), {m['memory_gb']} GB, {m['os']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, {pg}, slack-bolt {m['slack_bolt']}, SQLAlchemy {m['sqlalchemy']}{busy}"
    )


# --- query plans ----------------------------------------------------------------------------------


def _short_sql(sql: str, limit: int = 400) -> str:
    sql = re.sub(r"SELECT .*? FROM", lambda m: _columns(m.group(0)), sql, count=1)
    sql = re.sub(r"(\?, ){4,}\?", "?, …, ?", sql)
    sql = re.sub(r"(%\(\w+\)s(::\w+)?, ){4,}%\(\w+\)s(::\w+)?", "…", sql)
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def _columns(select: str) -> str:
    body = select[len("SELECT ") : -len(" FROM")]
    if len(body) < 120:
        return select
    return "SELECT " + body[:100].rsplit(",", 1)[0] + ", … FROM"


def plans(results: dict[str, Any], *, per_source: int = 3) -> str:
    """The query plans behind each job and command at 100,000 items (the slowest statements first)."""
    ref = (results.get("scale") or {}).get(REFERENCE) or {}
    sections = []
    sources: list[tuple[str, str, list[dict[str, Any]]]] = []
    for backend, label in BACKENDS:
        part = ref.get(backend) or {}
        for job, run in (part.get("jobs") or {}).items():
            if isinstance(run, dict) and run.get("queries"):
                sources.append((job, label, run["queries"]))
        for name, cmd in (part.get("commands") or {}).items():
            if isinstance(cmd, dict) and cmd.get("queries"):
                sources.append((f"/remediate {name}", label, cmd["queries"]))
    for source, label, queries in sources:
        lines = [f"#### {source} — {label}", ""]
        for q in queries[:per_source]:
            flag = f"; reads all of {', '.join(q['full_scan'])}" if q.get("full_scan") else ""
            lines.append(f"`{_short_sql(q['sql'])}` ({q['calls']} call(s), {q['ms']} ms{flag})")
            lines.append("```")
            lines.extend(q["plan"])
            lines.append("```")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def delivery(results: dict[str, Any]) -> list[str]:
    """What delivering the jobs' messages took at 100,000 items (not part of the job times)."""
    out = []
    ref = (results.get("scale") or {}).get(REFERENCE) or {}
    for backend, label in BACKENDS:
        for job, run in (((ref.get(backend) or {}).get("jobs")) or {}).items():
            d = run.get("delivery") if isinstance(run, dict) else None
            if d:
                out.append(
                    f"{label} {job}: {d['sent']} of {d['queued']} message(s) sent in {d['seconds']:.1f} s"
                    + (
                        f" ({d['queued'] - d['sent']} held for quiet hours)"
                        if d["queued"] > d["sent"]
                        else ""
                    )
                )
    return out


def _scan(plan: list[str], table: str) -> str:
    """The plan line that reads `table` whole, with the filter applied to it (PostgreSQL)."""
    for i, line in enumerate(plan):
        text = line.strip().removeprefix("->").strip()
        if text.startswith((f"SCAN {table}", f"Seq Scan on {table}")):
            text = text.split("  (cost=")[0]
            after = plan[i + 1].strip() if i + 1 < len(plan) else ""
            if after.startswith("Filter:"):
                text += "; " + (after if len(after) <= 90 else after[:89] + "…")
            return text
    return "?"


def full_scans(results: dict[str, Any]) -> list[str]:
    """Statements at 100,000 items whose plan reads a whole table, with the table's seeded size."""
    out = []
    ref = (results.get("scale") or {}).get(REFERENCE) or {}
    sizes = (ref.get("seed") or {}).get("rows") or {}
    for backend, label in BACKENDS:
        part = ref.get(backend) or {}
        named = [(j, r) for j, r in (part.get("jobs") or {}).items()] + [
            (f"/remediate {n}", c) for n, c in (part.get("commands") or {}).items()
        ]
        for source, data in named:
            for q in (data or {}).get("queries") or []:
                for table in q.get("full_scan") or []:
                    rows = f"{sizes.get(table, 0):,} rows seeded"
                    line = f"{label} {source}: {table} ({rows}): `{_scan(q['plan'], table)}`"
                    if line not in out:
                        out.append(line)
    return out
