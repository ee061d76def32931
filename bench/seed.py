"""A realistic history, written in bulk (executemany on SQLite, COPY on PostgreSQL), never through the app.

The shape of the data, for `items` remediation items ending at `now`:

- spread over two years; about 5 % open (identified, planned, in progress, blocked), 1.5 % completed and
  waiting for validation, the rest validated (90 %) or cancelled (10 %);
- of the open items, 20 % are overdue (by an hour up to six weeks), 8 % due within 24 hours, the rest due
  later; half have a progress note from the last three days, a third none at all;
- priorities P0 5 %, P1 20 %, P2 45 %, P3 30 %; owners and reporters from a pool of 200 users (3 % of open
  items have no owner yet); half the items come from one of the incidents;
- timeline entries for every open item (creation and up to three notes or moves) and for a fifth of the
  closed ones (creation, completion, validation); one sent owner DM in the outbox per owned item; an
  acknowledged level-1 escalation for one closed item in ten; the claims of past due-soon reminders,
  digests and weekly reports (none for the periods the benchmark runs);
- `incidents` incidents over the same two years: nine still active or recently resolved, the rest closed;
- the Slack user cache for the 200 users, and the id counters, so new items get fresh ids.

`history` adds older closed items (and `history_incidents` closed incidents), dated from two to twenty
years back: the 1,000,000-item database is the 100,000-item one with 900,000 items of older history, so it
has the same open backlog and the same activity in the last two years. That is what "growing with the
history" means: a job that reads only open, overdue or recent rows costs the same on both.
"""

from __future__ import annotations

import bisect
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import N_USERS, user_ids, user_name, user_zone

TWO_YEARS = timedelta(days=730)
TWENTY_YEARS = timedelta(days=7300)

PRIORITY_WEIGHTS = (("P0", 5), ("P1", 20), ("P2", 45), ("P3", 30))
DEADLINE = {
    "P0": timedelta(hours=24),
    "P1": timedelta(hours=72),
    "P2": timedelta(days=7),
    "P3": timedelta(days=30),
}
TIME_TO_FIX = {  # how long closed work took, by priority (low, high)
    "P0": (timedelta(hours=2), timedelta(hours=40)),
    "P1": (timedelta(hours=12), timedelta(days=6)),
    "P2": (timedelta(days=1), timedelta(days=14)),
    "P3": (timedelta(days=3), timedelta(days=45)),
}
SYSTEMS = ("payments-api", "checkout", "auth", "search", "ledger", "notifications", "edge-proxy", "billing")
VERBS = ("Add", "Fix", "Alert on", "Rate-limit", "Backfill", "Harden", "Document", "Load-test", "Retry")
THINGS = ("connection pool", "timeouts", "failover", "queue depth", "disk usage", "TLS renewal", "cache")


@dataclass(frozen=True)
class Profile:
    items: int
    incidents: int
    history: int = 0
    history_incidents: int = 0

    @property
    def total(self) -> int:
        return self.items + self.history


PROFILES = {
    10_000: Profile(10_000, 500),
    100_000: Profile(100_000, 5_000),
    1_000_000: Profile(100_000, 5_000, history=900_000, history_incidents=45_000),
}


@dataclass
class Seeded:
    """What was written, and what the measurements need from it."""

    counts: dict[str, int]
    open_items: int
    overdue_items: int
    seconds: float
    sample_ids: list[str]  # items for `/remediate show`, open and closed


# --- rows -------------------------------------------------------------------------------------------


ITEM_COLUMNS = (
    "id", "title", "title_key", "description", "priority", "kind", "status", "owner_id", "reporter_id",
    "incident_id", "source_ref", "mrr_at_risk", "users_affected", "availability_impact", "blocked_from",
    "status_reason", "validated_by", "systems", "criteria", "prevention", "evidence", "deadline",
    "created_at", "updated_at", "started_at", "completed_at", "validated_at", "cancelled_at",
    "last_progress_at",
)  # fmt: skip
INCIDENT_COLUMNS = (
    "id", "title", "severity", "status", "impact", "users_affected", "detection", "declared_by",
    "commander_id", "responders", "channel_id", "resolution_summary", "waiver_reason", "eta", "started_at",
    "declared_at", "updated_at", "acknowledged_at", "acknowledged_by", "mitigated_at", "resolved_at",
    "closed_at", "monitoring_until", "last_update_at", "next_update_due",
)  # fmt: skip
EVENT_COLUMNS = ("subject_id", "at", "actor_id", "kind", "summary", "data")
OUTBOX_COLUMNS = (
    "method", "payload", "channel_key", "ref", "status", "attempts", "not_before", "created_at", "sent_at",
    "result",
)  # fmt: skip
USER_COLUMNS = ("id", "name", "real_name", "tz", "is_bot", "deleted", "fetched_at")
ALERT_COLUMNS = ("subject_id", "kind", "level", "fired_at", "acked_by", "acked_at", "snoozed_until", "data")
CLAIM_COLUMNS = ("key", "claimed_at", "owner")
COUNTER_COLUMNS = ("key", "value")


def _j(value: Any) -> str:
    """A value serialised as JSON once, so both backends take it as is."""
    return json.dumps(value)


EMPTY_LIST = _j([])
EMPTY_DICT = _j({})


def _weighted(pairs: Sequence[tuple[str, int]]) -> Callable[[random.Random], str]:
    population = [p for p, w in pairs for _ in range(w)]
    return lambda rng: population[int(rng.random() * len(population))]


@dataclass
class _Item:
    created: datetime
    row: list[Any]
    history: bool


class Generator:
    """Deterministic rows for one profile ending at `now` (the same seed gives the same database)."""

    def __init__(self, profile: Profile, now: datetime, seed: int = 20261123):
        self.profile = profile
        self.now = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC inside; typed on the way out
        # Older history draws from its own generator, so the last two years come out the same with or
        # without it (the 1,000,000-item database is the 100,000-item one plus older rows).
        self._rngs = (random.Random(seed), random.Random(seed + 1))
        self.rng = self._rngs[0]
        self.users = user_ids()
        self.priority = _weighted(PRIORITY_WEIGHTS)
        pick = random.Random(seed - 1).choice
        self.titles = [f"{pick(VERBS)} {pick(THINGS)} for {pick(SYSTEMS)} #{n}" for n in range(1, 20_001)]
        self.incident_times: list[datetime] = []
        self.incident_ids: list[str] = []
        self.counters: Counter[str] = Counter()
        self.open_items = 0
        self.overdue_items = 0
        self.sample_ids: list[str] = []

    # ---- helpers
    def _user(self) -> str:
        return self.users[int(self.rng.random() * N_USERS)]

    def _between(self, low: timedelta, high: timedelta) -> timedelta:
        return low + (high - low) * self.rng.random()

    def _title(self) -> str:
        return self.titles[int(self.rng.random() * len(self.titles))]

    # ---- incidents
    def incidents(self) -> list[tuple[Any, ...]]:
        p, now = self.profile, self.now
        rows: list[tuple[datetime, list[Any]]] = []
        plan: list[tuple[timedelta, timedelta, str, bool]] = []
        active = ["investigating", "investigating", "identified", "mitigating", "monitoring", "monitoring"]
        for status in active:
            plan.append((timedelta(0), timedelta(hours=30), status, False))
        for _ in range(3):
            plan.append((timedelta(hours=2), timedelta(days=3), "resolved", False))
        for _ in range(max(0, p.incidents - len(plan))):
            plan.append((timedelta(days=3), TWO_YEARS, "closed", False))
        for _ in range(p.history_incidents):
            plan.append((TWO_YEARS, TWENTY_YEARS, "closed", True))
        severity = _weighted((("P0", 5), ("P1", 25), ("P2", 40), ("P3", 30)))
        for low, high, status, history in plan:
            self.rng = r = self._rngs[history]
            declared = now - self._between(low, high)
            sev = severity(r)
            commander, declarer = self._user(), self._user()
            acked = declared + timedelta(minutes=r.randrange(1, 30))
            mitigated = resolved = closed = monitoring = None
            if status in ("monitoring", "resolved", "closed"):
                mitigated = declared + timedelta(minutes=r.randrange(20, 600))
            if status in ("resolved", "closed"):
                resolved = (mitigated or declared) + timedelta(minutes=r.randrange(10, 600))
                monitoring = resolved + timedelta(hours=4)
            if status == "closed":
                closed = (resolved or declared) + timedelta(hours=r.randrange(4, 72))
            if status == "monitoring":
                monitoring = now + timedelta(hours=2)
            last_update = min(now, declared + timedelta(minutes=r.randrange(5, 120)))
            next_due = last_update + timedelta(minutes=30) if status in active else None
            rows.append(
                (
                    declared,
                    [
                        None, f"{r.choice(SYSTEMS)} {r.choice(('outage', 'errors', 'latency', 'degraded'))}",
                        sev, status, "Customers saw errors at checkout", r.randrange(10, 50_000),
                        r.choice(("automated", "manual")), declarer, commander,
                        _j([self._user(), self._user()]), f"CINC{len(rows):06d}",
                        "Root cause fixed and verified" if resolved else None, None, None,
                        declared - timedelta(minutes=r.randrange(0, 45)), declared,
                        closed or resolved or last_update, acked, commander, mitigated, resolved, closed,
                        monitoring, last_update, next_due,
                    ],
                )
            )  # fmt: skip
        self.rng = self._rngs[0]
        rows.sort(key=lambda x: x[0])
        out = []
        for declared, row in rows:
            key = f"incident:{declared:%Y%m%d}"
            self.counters[key] += 1
            row[0] = f"INC-{declared:%Y%m%d}-{self.counters[key]:03d}"
            self.incident_times.append(declared)
            self.incident_ids.append(row[0])
            out.append(tuple(row))
        return out

    def _incident_before(self, when: datetime) -> str | None:
        i = bisect.bisect_right(self.incident_times, when)
        if i == 0:
            return None
        return self.incident_ids[max(0, i - 1 - int(self.rng.random() * 20))]

    # ---- items
    def items(self) -> list[_Item]:
        p, now = self.profile, self.now
        n_open = round(p.items * 0.05)
        n_waiting = round(p.items * 0.015)
        out: list[_Item] = []
        open_status = _weighted((("identified", 30), ("planned", 20), ("in_progress", 40), ("blocked", 10)))
        criteria = [EMPTY_LIST, _j([{"text": "Alert fires in staging", "done": False}])]
        systems = [_j([s]) for s in SYSTEMS]
        for k in range(p.total):
            self.rng = r = self._rngs[k >= p.items]
            prio = self.priority(r)
            owner: str | None = self._user()
            started = completed = validated = cancelled = progress = None
            reason = blocked_from = validated_by = None
            if k < n_open:
                status = open_status(r)
                created = now - timedelta(days=90) * r.random() ** 2 - timedelta(minutes=5)
                roll = r.random()
                if roll < 0.20:
                    deadline = now - self._between(timedelta(hours=1), timedelta(days=42))
                    created = min(created, deadline - DEADLINE[prio])
                    self.overdue_items += 1
                elif roll < 0.28:
                    deadline = now + self._between(timedelta(minutes=10), timedelta(hours=24))
                else:
                    deadline = now + self._between(timedelta(days=1), timedelta(days=60))
                if r.random() < 0.03:
                    owner = None
                if status in ("in_progress", "blocked"):
                    started = created + (now - created) * r.random() * 0.5
                roll = r.random()
                if roll < 0.5:
                    progress = now - self._between(timedelta(minutes=30), timedelta(days=3))
                elif roll < 0.67:
                    progress = now - self._between(timedelta(days=3), timedelta(days=14))
                progress = max(progress, created) if progress else None
                if status == "blocked":
                    reason, blocked_from = "Waiting on the vendor", "in_progress"
                updated = max(x for x in (created, started, progress) if x is not None)
                self.open_items += 1
            else:
                if k < n_open + n_waiting:
                    created = now - self._between(timedelta(days=1), timedelta(days=40))
                elif k < p.items:
                    created = now - self._between(timedelta(days=2), TWO_YEARS)
                else:
                    created = now - self._between(TWO_YEARS, TWENTY_YEARS)
                deadline = created + DEADLINE[prio]
                if r.random() < 0.1 and k >= n_open + n_waiting:
                    status = "cancelled"
                    cancelled = min(now, created + self._between(timedelta(hours=1), timedelta(days=10)))
                    reason = "Superseded"
                    updated = cancelled
                else:
                    started = created + timedelta(minutes=10 + 590 * r.random())
                    completed = min(now - timedelta(hours=1), started + self._between(*TIME_TO_FIX[prio]))
                    completed = max(completed, started)
                    progress = completed
                    if k < n_open + n_waiting:
                        status = "completed"
                        updated = completed
                    else:
                        status = "validated"
                        validated = min(now, completed + self._between(timedelta(hours=2), timedelta(days=5)))
                        validated_by = self._user()
                        updated = validated
            title = self._title()
            row = [
                None, title, title.lower(), "", prio, "corrective" if r.random() < 0.7 else "preventive",
                status, owner, self._user(), self._incident_before(created) if r.random() < 0.5 else None,
                None, None, None, None, blocked_from, reason, validated_by,
                systems[int(r.random() * len(systems))], criteria[int(r.random() < 0.3)], EMPTY_LIST,
                EMPTY_LIST, deadline, created, updated, started, completed, validated, cancelled, progress,
            ]  # fmt: skip
            out.append(_Item(created, row, k >= p.items))
        self.rng = r = self._rngs[0]
        out.sort(key=lambda it: it.created)
        for it in out:
            key = f"item:{it.created:%Y%m%d}"
            self.counters[key] += 1
            it.row[0] = f"{it.row[4]}-{it.created:%Y%m%d}-{self.counters[key]:03d}"
        picks = [it.row[0] for it in out if it.row[6] in ("identified", "planned", "in_progress", "blocked")]
        closed = [it.row[0] for it in out[-p.items :] if it.row[6] == "validated"]
        self.sample_ids = r.sample(picks, min(50, len(picks))) + r.sample(closed, min(50, len(closed)))
        return out

    def events(self, items: Iterable[_Item]) -> Iterator[tuple[Any, ...]]:
        created_data = _j({"source": "seed"})
        for it in items:
            r = self._rngs[it.history]
            row = it.row
            item_id, status, owner = row[0], row[6], row[7]
            is_open = status in ("identified", "planned", "in_progress", "blocked")
            if not is_open and r.random() >= 0.2:
                continue
            yield (item_id, it.created, row[8], "created", f"Created ({row[4]}): {row[1]}", created_data)
            if is_open:
                for _ in range(r.randrange(0, 4)):
                    at = it.created + (self.now - it.created) * r.random()
                    yield (item_id, at, owner, "note", "Progress: rolled out to canary", EMPTY_DICT)
            else:
                if row[25] is not None:
                    yield (item_id, row[25], owner, "status", "Moved to Completed", EMPTY_DICT)
                if row[26] is not None:
                    yield (item_id, row[26], row[16], "status", "Validated", EMPTY_DICT)

    def outbox(self, items: Iterable[_Item]) -> Iterator[tuple[Any, ...]]:
        for it in items:
            owner = it.row[7]
            if owner is None:
                continue
            payload = f'{{"channel": "{owner}", "text": "You own {it.row[0]}"}}'
            sent = it.created + timedelta(seconds=2)
            yield (
                "chat.postMessage",
                payload,
                owner,
                None,
                "sent",
                1,
                it.created,
                it.created,
                sent,
                EMPTY_DICT,
            )

    def alerts(self, items: Iterable[_Item]) -> Iterator[tuple[Any, ...]]:
        """Escalations that fired, and were acknowledged, for one closed item in ten that ran late."""
        late = {"P0": timedelta(hours=4), "P1": timedelta(hours=12), "P2": timedelta(hours=48)}
        for it in items:
            row = it.row
            after = late.get(row[4])
            done = row[25] or row[27]
            if after is None or done is None or row[6] not in ("validated", "cancelled", "completed"):
                continue
            r = self._rngs[it.history]
            if r.random() >= 0.1:
                continue
            fired = row[21] + after
            deadline = row[21].replace(tzinfo=UTC).isoformat()
            hours = after.total_seconds() / 3600
            data = _j({"title": row[1], "priority": row[4], "owner_id": row[7], "deadline": deadline,
                       "hours_overdue": hours})  # fmt: skip
            yield (
                row[0],
                "overdue",
                1,
                fired,
                row[7],
                fired + timedelta(minutes=20 + 400 * r.random()),
                None,
                data,
            )

    def claims(self, items: Iterable[_Item]) -> Iterator[tuple[Any, ...]]:
        """Periods and reminders already done: due-soon DMs of past deadlines, digests and reports until
        three days (digest) or three weeks (report) ago, so the runs measured find their period free."""
        for it in items:
            deadline = it.row[21]
            if it.row[7] is not None and deadline < self.now:
                yield (f"due-soon:{it.row[0]}:{deadline.replace(tzinfo=UTC).isoformat()}", deadline, "seed")
        day = self.now - timedelta(days=3)
        while day > self.now - TWO_YEARS:
            if day.weekday() < 5:
                yield (f"digest:{day.date().isoformat()}", day, "seed")
            if day.weekday() == 0 and day < self.now - timedelta(weeks=3):
                year, week, _ = day.isocalendar()
                yield (f"weekly-report:{year}-W{week:02d}", day, "seed")
            day -= timedelta(days=1)

    def slack_users(self) -> list[tuple[Any, ...]]:
        return [
            (u, user_name(u), user_name(u).title(), user_zone(u), False, False, self.now) for u in self.users
        ]

    def id_counters(self) -> list[tuple[Any, ...]]:
        return sorted(self.counters.items())


# --- writing ----------------------------------------------------------------------------------------


def _fallback(col: dict[str, Any], model_default: Any) -> Any:
    if model_default is not None:
        return model_default
    if col["nullable"]:
        return None
    kind = type(col["type"]).__name__.upper()
    if "JSON" in kind:
        return EMPTY_LIST
    if "INT" in kind or "FLOAT" in kind or "NUMERIC" in kind or "REAL" in kind:
        return 0
    if "BOOL" in kind:
        return False
    return ""


class Writer:
    """Bulk-loads rows into one database whose schema the migrations made.

    Secondary indexes are dropped for the load and rebuilt afterwards (much faster than maintaining them
    row by row); columns the benchmark does not know (added since) get their model default.
    """

    def __init__(self, url: str):
        from sqlalchemy import inspect

        from storage.db import make_engine
        from storage.migrate import upgrade

        self.url = url
        self.engine = make_engine(url, pool_size=1)
        upgrade(self.engine)
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.inspector = inspect(self.engine)

    def _layout(
        self, table: str, ours: Sequence[str]
    ) -> tuple[list[str], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
        from sqlmodel import SQLModel

        model = SQLModel.metadata.tables.get(table)
        db_cols = self.inspector.get_columns(table)
        names, picks, extras = [], [], []
        for col in db_cols:
            name = col["name"]
            if name in ours:
                names.append(name)
                picks.append(ours.index(name))
            elif col.get("autoincrement") is True or (name == "id" and "INT" in str(col["type"]).upper()):
                continue
            else:
                default = None
                if model is not None and name in model.c and model.c[name].default is not None:
                    arg = model.c[name].default.arg
                    default = None if callable(arg) else arg
                extras.append((name, _fallback(col, default)))
        names += [n for n, _ in extras]
        tail = tuple(self._value(v) for _, v in extras)
        value = self._value

        def shape(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple([value(row[i]) for i in picks]) + tail

        return names, shape

    def _value(self, v: Any) -> Any:
        if isinstance(v, datetime):
            # SQLAlchemy's SQLite DATETIME text (naive UTC); an explicit UTC offset for PostgreSQL.
            text = v.isoformat(" ", "microseconds")
            return text if self.sqlite else text + "+00:00"
        if isinstance(v, bool) and self.sqlite:
            return int(v)
        if isinstance(v, (list, dict)):
            return json.dumps(v)
        return v

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
        names, shape = self._layout(table, columns)
        indexes = self._drop_indexes(table)
        count = 0
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            quoted = ", ".join(f'"{n}"' for n in names)
            if self.sqlite:
                cur.execute("BEGIN")
                sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
                batch: list[tuple[Any, ...]] = []
                for row in rows:
                    batch.append(shape(row))
                    if len(batch) >= 20_000:
                        cur.executemany(sql, batch)
                        count += len(batch)
                        batch.clear()
                if batch:
                    cur.executemany(sql, batch)
                    count += len(batch)
                cur.execute("COMMIT")
            else:
                with cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(shape(row))
                        count += 1
                raw.commit()
            for ddl in indexes:
                cur.execute(ddl)
            if not self.sqlite:
                raw.commit()
        finally:
            raw.close()
        return count

    def _drop_indexes(self, table: str) -> list[str]:
        """Drop the table's secondary (non-unique) indexes; return the statements that rebuild them."""
        from sqlalchemy import text

        with self.engine.begin() as conn:
            if self.sqlite:
                rows = conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=:t"
                        " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
                    ),
                    {"t": table},
                ).all()
            else:
                rows = conn.execute(
                    text(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                        " JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid"
                        " WHERE i.tablename = :t AND NOT x.indisunique AND NOT x.indisprimary"
                    ),
                    {"t": table},
                ).all()
            for name, _ in rows:
                conn.execute(text(f'DROP INDEX "{name}"'))
        return [ddl for _, ddl in rows]

    def finish(self) -> None:
        if self.sqlite:
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        else:
            # What autovacuum does soon after a bulk load; without it the planner guesses row counts.
            raw = self.engine.raw_connection()
            try:
                conn = raw.driver_connection
                conn.rollback()
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")
                conn.autocommit = False
            finally:
                raw.close()
        self.engine.dispose()


def seed(
    urls: Sequence[str], profile: Profile, now: datetime, *, log: Callable[[str], None] = lambda _m: None
) -> Seeded:
    """Write `profile` into each (empty; migrated on the way) database of `urls`: the same rows in each."""
    started = time.perf_counter()
    gen = Generator(profile, now)
    incidents = gen.incidents()
    items = gen.items()
    rows: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]] = [
        ("incident", INCIDENT_COLUMNS, incidents),
        ("remediation_item", ITEM_COLUMNS, [tuple(it.row) for it in items]),
        ("timeline_event", EVENT_COLUMNS, list(gen.events(items))),
        ("outbox", OUTBOX_COLUMNS, list(gen.outbox(items))),
        ("alert", ALERT_COLUMNS, list(gen.alerts(items))),
        ("claim", CLAIM_COLUMNS, list(gen.claims(items))),
        ("slack_user", USER_COLUMNS, gen.slack_users()),
        ("id_counter", COUNTER_COLUMNS, gen.id_counters()),
    ]
    del items
    log(f"generated {profile.total:,} items in {time.perf_counter() - started:.1f}s")
    counts: dict[str, int] = {}
    for url in urls:
        t0 = time.perf_counter()
        writer = Writer(url)
        for table, columns, data in rows:
            counts[table] = writer.write(table, columns, data)
        writer.finish()
        log(f"wrote {profile.total:,} items to {url.split(':', 1)[0]} in {time.perf_counter() - t0:.1f}s")
    return Seeded(counts, gen.open_items, gen.overdue_items, time.perf_counter() - started, gen.sample_ids)
