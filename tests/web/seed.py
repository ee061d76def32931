"""A known, varied remediation history for the dashboard's tests, written through the bot's own use cases.

Every item is created by `create_item_in` at its creation time and moved, given evidence and validated by the
services with the clock set to when each step happened; incidents are declared, acknowledged and resolved the
same way. The regression is a CI report and its recurrence (storage, as the CI evidence service writes them).

What was seeded is kept as plain records (`World`): the tests compute the dashboard's figures from these,
in plain Python, never through the dashboard's queries.

`NOW` is Monday 23 November 2026, 14:00 UTC: the eight weeks run from Monday 5 October, the month from
1 November. Some titles, notes, sources, owner names and an incident title are XSS attempts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.deps import Deps
from bot.services.incidents import lifecycle as incidents
from bot.services.items.changes import add_evidence, create_item_in, move, validate_item
from bot.services.items.steps import Actor
from storage import evidence as evidence_store
from storage import queries
from tests.fakes.slack_api import FakeSlack
from tests.support import USERS, FakeClock

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
WINDOW_START = datetime(2026, 10, 5, tzinfo=UTC)  # the Monday seven weeks before this one
WINDOW_END = datetime(2026, 11, 30, tzinfo=UTC)  # the end of this week
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
H, D, M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)

REPORTER = "UCAROL"
VALIDATOR = "UADMIN"
XSS_SCRIPT = "<script>window.__xss = 1</script>Payment retries"
XSS_IMG = '<img src=x onerror="window.__xss = 2; alert(2)">'
XSS_SVG = '"><svg onload="window.__xss = 3; alert(3)">'
XSS_JS_LINK = "javascript:window.__xss = 4; alert(4)"
XSS = (XSS_SCRIPT, XSS_IMG, XSS_SVG, XSS_JS_LINK)
# Owners: id -> display name (UMALLORY's is an XSS attempt); None owns the unassigned items.
OWNERS = {
    "UALICE": "Alice",
    "UBOB": "Bob",
    "UDAVE": "Dave",
    "UMALLORY": f"Mallory {XSS_SVG}",
}


@dataclass
class SeededItem:
    key: str
    id: str
    title: str
    priority: str
    status: str
    owner: str | None
    created: datetime
    deadline: datetime
    completed: datetime | None = None
    validated: datetime | None = None
    cancelled: datetime | None = None
    mrr: float | None = None
    prevention: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    incident: str | None = None
    recurred: bool = False
    evidence: list[tuple[str, str, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    reason: str | None = None


@dataclass
class SeededIncident:
    key: str
    id: str
    title: str
    severity: str
    declared: datetime
    acknowledged: datetime | None
    resolved: datetime | None


@dataclass
class World:
    items: dict[str, SeededItem]
    incidents: dict[str, SeededIncident]
    now: datetime = NOW

    def all_items(self) -> list[SeededItem]:
        return list(self.items.values())


class Seeder:
    def __init__(self, deps: Deps, clock: FakeClock):
        self.deps, self.clock = deps, clock
        self.items: dict[str, SeededItem] = {}
        self.incidents: dict[str, SeededIncident] = {}

    def at(self, when: datetime) -> None:
        self.clock.set(when)

    def incident(
        self,
        key: str,
        *,
        title: str,
        severity: str,
        ago: timedelta,
        ack_after: timedelta | None = None,
        resolve_after: timedelta | None = None,
    ) -> SeededIncident:
        declared = NOW - ago
        self.at(declared)
        form = incidents.DeclareForm(title=title, severity=severity, impact=f"{title}: customers affected")
        inc = incidents.declare(self.deps, actor_id="UBOB", form=form).incident
        acked = resolved = None
        if ack_after is not None:
            acked = declared + ack_after
            self.at(acked)
            incidents.acknowledge(self.deps, incident_id=inc.id, actor_id="UDAVE")
        if resolve_after is not None:
            resolved = declared + resolve_after
            self.at(resolved)
            incidents.resolve(
                self.deps, incident_id=inc.id, actor_id="UDAVE", summary="Rolled back the deploy"
            )
        record = SeededIncident(key, inc.id, title, severity, declared, acked, resolved)
        self.incidents[key] = record
        return record

    def item(
        self,
        key: str,
        *,
        priority: str,
        title: str,
        owner: str | None,
        ago: timedelta,
        due: timedelta,
        mrr: float | None = None,
        steps: tuple[tuple[str, timedelta], ...] = (),
        validate_after: timedelta | None = None,
        prevention: tuple[str, ...] = (),
        criteria: tuple[str, ...] = ("The fix is deployed",),
        systems: tuple[str, ...] = (),
        incident: str | None = None,
        note: str | None = None,
        source: str | None = None,
        evidence: tuple[tuple[str, str, str | None], ...] = (),
        reason: str = "Waiting on the vendor",
    ) -> SeededItem:
        """Create at NOW - ago (deadline created + due), then each (verb, after creation) step, then the
        validation `validate_after` creation."""
        created = NOW - ago
        self.at(created)
        incident_id = self.incidents[incident].id if incident else None
        with self.deps.uow() as session:
            made, _ = create_item_in(
                session,
                now=created,
                settings=self.deps.settings,
                render=self.deps.render.items,
                actor_id=REPORTER,
                title=title,
                priority=priority,
                owner_id=owner,
                deadline=created + due,
                force=True,
                systems=systems,
                criteria=criteria,
                prevention=prevention,
                incident_id=incident_id,
                source_ref=source,
                note=note,
                mrr_at_risk=mrr,
                notify_owner=False,
            )
            item_id, status = made.id, made.status
            assert made.mrr_at_risk == mrr, "every P0/P1 item names its figure: no default is assumed"
        record = SeededItem(
            key,
            item_id,
            title,
            priority,
            status,
            owner,
            created,
            created + due,
            mrr=mrr,
            prevention=prevention,
            criteria=criteria,
            systems=systems,
            incident=incident_id,
            notes=[note] if note else [],
            source=source,
        )
        actor = Actor(owner or REPORTER, is_admin=True)
        for kind, ref, text in evidence:
            self.at(created + M)
            add_evidence(self.deps, actor=actor, item_id=item_id, kind=kind, ref=ref, note=text)
            record.evidence.append((kind, ref, text))
        for verb, after in steps:
            self.at(created + after)
            needs = verb in ("block", "cancel")
            view = move(self.deps, actor=actor, item_id=item_id, verb=verb, reason=reason if needs else None)
            record.status = view.item.status
            if verb == "complete":
                record.completed = created + after
            if verb == "cancel":
                record.cancelled = created + after
            if needs:
                record.reason = reason
        if validate_after is not None:
            self.at(created + validate_after)
            view = validate_item(
                self.deps,
                actor=Actor(VALIDATOR, is_admin=True),
                item_id=item_id,
                passed=True,
                ticked=range(len(criteria)),
                criteria_seen=len(criteria),
            )
            record.status, record.validated = view.item.status, created + validate_after
        self.items[key] = record
        return record

    def regression(self, key: str, *, ago: timedelta) -> None:
        """A CI run in which the test proving a validated fix failed again (what the CI evidence service
        records as a recurrence)."""
        record = self.items[key]
        at = NOW - ago
        run = "https://ci.example.test/runs/4711"
        with self.deps.uow() as session:
            report = evidence_store.add_report(
                session,
                values={
                    "key": hashlib.sha256(f"{key}:{run}".encode()).hexdigest(),
                    "repository": "acme/shop",
                    "commit": "0badc0ffee",
                    "run_url": run,
                    "via": "hook",
                    "cases": 1,
                    "failed": 1,
                    "items": [record.id],
                    "received_at": at,
                },
            )
            session.flush()
            assert report.id is not None
            evidence_store.add_recurrence(
                session,
                values={
                    "item_id": record.id,
                    "priority": record.priority,
                    "report_id": report.id,
                    "test_ref": "tests/test_pay.py::test_retry",
                    "commit": "0badc0ffee",
                    "run_url": run,
                    "at": at,
                },
            )
        record.recurred = True


def seed(deps: Deps, clock: FakeClock, fake: FakeSlack) -> World:
    """Write the history; leaves the clock at NOW."""
    for uid, name in OWNERS.items():
        if uid not in ("UALICE", "UBOB", "UDAVE"):
            fake.add_user(uid, uid.lower(), real_name=name)
    names = {uid: name.title() for uid, (name, _) in USERS.items()} | OWNERS
    with deps.uow() as session:
        for uid, name in names.items():
            queries.put_cached_user(
                session,
                values={
                    "id": uid,
                    "name": uid[1:].lower(),
                    "real_name": name,
                    "tz": "UTC",
                    "fetched_at": NOW,
                },
            )
    s = Seeder(deps, clock)

    # Incidents: acknowledge and resolve times across the eight weeks (and one before them).
    s.incident("i1", title="Checkout down", severity="P0", ago=31 * H, ack_after=4 * M)
    s.incident(
        "i2",
        title=f"Search outage {XSS_SVG}",
        severity="P0",
        ago=5 * D,
        ack_after=12 * M,
        resolve_after=3 * H,
    )
    s.incident("i3", title="Slow invoices", severity="P1", ago=20 * D, ack_after=30 * M, resolve_after=26 * H)
    s.incident("i4", title="Login errors", severity="P1", ago=40 * D, ack_after=10 * M, resolve_after=5 * H)
    s.incident("i5", title="Stale dashboards", severity="P2", ago=3 * D)
    s.incident("i6", title="Old outage", severity="P0", ago=70 * D, ack_after=1 * H, resolve_after=2 * H)
    s.incident("i7", title="Email delays", severity="P2", ago=45 * D, ack_after=2 * H, resolve_after=50 * H)

    # Open work: overdue, due within 24 h, blocked, unowned.
    s.item(
        "a1",
        priority="P0",
        title=XSS_SCRIPT,
        owner="UALICE",
        ago=30 * H,
        due=24 * H,
        mrr=50_000,
        steps=(("start", 1 * H),),
        systems=("payments", "checkout"),
        incident="i1",
        note=f"Retries pile up {XSS_IMG}",
        source=XSS_JS_LINK,
        evidence=(("link", "https://ci.example.test/runs/1", XSS_IMG),),
        prevention=("Alert on retry storms",),
    )
    s.item(
        "a2", priority="P0", title="Rotate the leaked key", owner="UBOB", ago=6 * H, due=24 * H, mrr=73_000
    )
    s.item(
        "a3",
        priority="P0",
        title="Fail over the primary",
        owner="UMALLORY",
        ago=10 * H,
        due=24 * H,
        mrr=40_000,
        steps=(("block", 1 * H),),
        reason=f"Waiting on the vendor {XSS_IMG}",
    )
    s.item(
        "b1",
        priority="P1",
        title="Cap the queue",
        owner="UDAVE",
        ago=80 * H,
        due=72 * H,
        mrr=10_000,
        steps=(("plan", 2 * H),),
        systems=("queue",),
    )
    s.item(
        "b2",
        priority="P1",
        title="Add a circuit breaker",
        owner="UALICE",
        ago=60 * H,
        due=72 * H,
        mrr=12_500,
        steps=(("start", 3 * H),),
    )
    s.item("b3", priority="P1", title="Document the runbook", owner=None, ago=2 * H, due=72 * H, mrr=8_000)
    s.item(
        "c1",
        priority="P2",
        title="Upgrade the driver",
        owner="UDAVE",
        ago=10 * D,
        due=7 * D,
        steps=(("block", 1 * D),),
        systems=("db",),
    )
    s.item(
        "c2",
        priority="P2",
        title="Tune the pool",
        owner="UMALLORY",
        ago=3 * D,
        due=7 * D,
        mrr=1_200.5,
        steps=(("start", 1 * H),),
        systems=("db",),
    )
    s.item(
        "x1",
        priority="P2",
        title="Rewrite the cron",
        owner="UBOB",
        ago=5 * D,
        due=7 * D,
        steps=(("cancel", 4 * D),),
        reason="Superseded",
    )

    # Finished work: completed (awaiting validation) and validated, on time and late, in the window or not.
    s.item(
        "b4",
        priority="P1",
        title="Retry budget",
        owner="UBOB",
        ago=5 * D,
        due=72 * H,
        mrr=9_000,
        steps=(("start", 1 * H), ("complete", 48 * H)),
        prevention=("Budget alarm",),
    )
    s.item(
        "c3",
        priority="P2",
        title="Clean the logs",
        owner="UALICE",
        ago=20 * D,
        due=7 * D,
        steps=(("start", 1 * D), ("complete", 5 * D)),
    )
    s.item(
        "v8",
        priority="P1",
        title="Index the orders",
        owner="UALICE",
        ago=50 * D,
        due=72 * H,
        mrr=15_000,
        steps=(("start", 1 * D), ("complete", 5 * D)),
    )
    done = (("start", 1 * H),)
    s.item(
        "v1",
        priority="P0",
        title="Stop the retry storm",
        owner="UALICE",
        ago=4 * D,
        due=24 * H,
        mrr=60_000,
        steps=(*done, ("complete", 20 * H)),
        validate_after=2 * D,
        prevention=("Retry storms page the on-call",),
        criteria=("No retry storm in a load test", "Alert fires in staging"),
        incident="i2",
        evidence=(("commit", "4f2a9c1", "the fix"), ("link", XSS_JS_LINK, "a crafted link")),
    )
    s.item(
        "v2",
        priority="P0",
        title="Pin the TLS library",
        owner="UBOB",
        ago=12 * D,
        due=24 * H,
        mrr=73_000,
        steps=(*done, ("complete", 30 * H)),
        validate_after=2 * D,
        prevention=("Dependency updates are reviewed",),
    )
    s.item(
        "v3",
        priority="P1",
        title="Bound the cache",
        owner="UDAVE",
        ago=30 * D,
        due=72 * H,
        mrr=36_500,
        steps=(*done, ("complete", 50 * H)),
        validate_after=10 * D,
        prevention=("Cache size alarm",),
    )
    s.item(
        "v4",
        priority="P1",
        title="Split the monolith job",
        owner="UMALLORY",
        ago=40 * D,
        due=72 * H,
        mrr=20_000,
        steps=(*done, ("complete", 100 * H)),
        validate_after=7 * D,
        prevention=("Job duration alarm",),
    )
    s.item(
        "v5",
        priority="P2",
        title="Vacuum nightly",
        owner="UBOB",
        ago=15 * D,
        due=7 * D,
        mrr=5_000,
        steps=(*done, ("complete", 3 * D)),
        validate_after=6 * D,
        prevention=("Bloat check in CI",),
    )
    s.item(
        "v6",
        priority="P3",
        title="Tidy the flags",
        owner="UDAVE",
        ago=25 * D,
        due=30 * D,
        steps=(*done, ("complete", 10 * D)),
        validate_after=11 * D,
        prevention=("Flag expiry lint",),
    )
    s.item(
        "v7",
        priority="P0",
        title="Old fix",
        owner="UALICE",
        ago=70 * D,
        due=24 * H,
        mrr=30_000,
        steps=(*done, ("complete", 20 * H)),
        validate_after=2 * D,
        prevention=("Old measure",),
    )
    s.regression("v2", ago=5 * D)

    # A backlog long enough for two pages: P3 items, owners in turn, some more than 30 days old (overdue).
    owners = ("UALICE", "UBOB", "UDAVE", None)
    for n in range(48):
        s.item(
            f"p{n:02d}",
            priority="P3",
            title=f"Backlog chore {n:02d}",
            owner=owners[n % 4],
            ago=(n + 1) * D + n * H,
            due=30 * D,
            systems=("billing",) if n % 3 == 0 else (),
        )
    clock.set(NOW)
    return World(s.items, s.incidents)
