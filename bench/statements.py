"""Record the SQL a piece of work sends, and ask each database how it runs the statements that read.

`Recorder` counts every statement (a per-row round trip shows up as a count that grows with the data) and
keeps each distinct one with its first parameters and its total time; `explain` runs ``EXPLAIN QUERY PLAN``
(SQLite) or ``EXPLAIN`` (PostgreSQL) on them. A plan that reads a whole large table is flagged.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

BIG_TABLES = ("remediation_item", "timeline_event", "outbox", "incident", "alert", "claim")
_READS = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


@dataclass
class Statement:
    sql: str
    params: Any
    calls: int = 0
    seconds: float = 0.0


@dataclass
class Recorder:
    """Attach to an engine; `count` and `statements` grow as SQL is sent (only from threads whose name
    starts with `threads`, when given: the HTTP workers of a server, not its outbox sender)."""

    threads: str | None = None
    count: int = 0
    statements: dict[str, Statement] = field(default_factory=dict)
    _started: dict[int, float] = field(default_factory=dict)

    def attach(self, engine: Engine) -> Recorder:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        return self

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()

    def _before(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        took = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        if self.threads and not threading.current_thread().name.startswith(self.threads):
            return
        self.count += 1
        entry = self.statements.get(statement)
        if entry is None:
            entry = self.statements[statement] = Statement(statement, parameters)
        entry.calls += 1
        entry.seconds += took

    def summary(self) -> list[dict[str, Any]]:
        """Distinct statements, most time first."""
        rows = sorted(self.statements.values(), key=lambda s: -s.seconds)
        return [{"sql": _one_line(s.sql), "calls": s.calls, "ms": round(s.seconds * 1000, 2)} for s in rows]


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


def explain(engine: Engine, recorder: Recorder, *, limit: int = 12) -> list[dict[str, Any]]:
    """The plan of each distinct reading statement (most time first), and whether it scans a big table."""
    out = []
    candidates = sorted(recorder.statements.values(), key=lambda s: -s.seconds)
    for stmt in candidates:
        if not _READS.match(stmt.sql) or len(out) >= limit:
            continue
        try:
            plan = _plan(engine, stmt.sql, stmt.params)
        except Exception as exc:  # a plan we cannot get is reported, not fatal
            plan = [f"(no plan: {type(exc).__name__}: {str(exc).splitlines()[0][:160]})"]
        out.append(
            {
                "sql": _one_line(stmt.sql),
                "calls": stmt.calls,
                "ms": round(stmt.seconds * 1000, 2),
                "plan": plan,
                "full_scan": full_scans(plan),
            }
        )
    return out


def _plan(engine: Engine, sql: str, params: Any) -> list[str]:
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        if engine.dialect.name == "sqlite":
            rows = raw.execute("EXPLAIN QUERY PLAN " + sql, params or ()).fetchall()
            depth: dict[int, int] = {0: -1}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
            return lines
        cur = raw.cursor()
        try:
            cur.execute("EXPLAIN " + sql, params or None)
            return [r[0] for r in cur.fetchall()]
        finally:
            cur.close()
            raw.rollback()


def full_scans(plan: list[str]) -> list[str]:
    """The big tables a plan reads from end to end (SQLite ``SCAN t``, PostgreSQL ``Seq Scan on t``)."""
    found = []
    for line in plan:
        text = line.strip()
        m = re.match(r"(?:SCAN|Seq Scan on)\s+(\w+)", text) or re.search(r"->\s+Seq Scan on (\w+)", text)
        if m and m.group(1) in BIG_TABLES:
            found.append(m.group(1))
    return sorted(set(found))
