"""Each dashboard page is one read-only unit of work: the aggregates from `storage.dashboard`, the figures
from `bot.core.dashboard`, and plain data for the template. Names come from the cached Slack users; nothing
here calls Slack."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.core.dashboard import charts, overview
from bot.core.dashboard.listing import CSV_COLUMNS, NOBODY, PAGE_SIZE, ListFilter, csv_cell, parse_instant
from bot.core.items.impact import mrr_at_risk
from bot.core.reports.weekly import current_week
from bot.core.timing.durations import PRIORITIES
from bot.deps import Deps
from storage import dashboard as store

DUE_SOON = timedelta(hours=24)
OWNER_ROWS = 25
OPEN_INCIDENTS = 50


def stamp(when: datetime) -> str:
    """An instant as the list's filters take it (and as links carry it): ISO 8601 in UTC."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _by(rows: Sequence[Any], key: str) -> dict[str, dict[str, Any]]:
    return {getattr(r, key): dict(r._mapping) for r in rows}


@dataclass(frozen=True)
class Window:
    """The eight weeks the team and incident figures cover (the last one is this week so far) and the month
    to date of the business impact panel."""

    weeks: tuple[datetime, ...]  # nine boundaries
    labels: tuple[str, ...]
    month_start: datetime

    @property
    def start(self) -> datetime:
        return self.weeks[0]

    @property
    def end(self) -> datetime:
        return self.weeks[-1]


def window(deps: Deps, now: datetime) -> Window:
    tz = deps.settings.tz
    week = current_week(now, tz)
    weeks = [week.shifted(k - overview.WEEKS + 1, tz) for k in range(overview.WEEKS)]
    local = now.astimezone(tz).date()
    month = datetime.combine(local.replace(day=1), time(0), tzinfo=tz).astimezone(UTC)
    return Window(
        weeks=(*(w.start for w in weeks), weeks[-1].end),
        labels=tuple(w.monday.strftime("%d %b") for w in weeks),
        month_start=month,
    )


@dataclass(frozen=True)
class Overview:
    now: datetime
    window: Window
    board: overview.StatusBoard
    impact: overview.Impact
    team: overview.TeamPerformance
    trend: charts.LineChart
    trend_counts: dict[str, tuple[int, ...]]
    incidents: tuple[Any, ...]
    incident_times: tuple[overview.SeverityTimes, ...]
    names: dict[str, str]
    links: dict[str, str]
    revenue_configured: bool


def _links(now: datetime, w: Window, owners: Sequence[str | None]) -> dict[str, str]:
    """The item list behind each number of the overview, as a query string."""
    soon = now + DUE_SOON
    done_window = {"statuses": ("done",), "date_field": "completed", "date_from": stamp(w.start)}
    links: dict[str, str] = {}
    for p in (*PRIORITIES, "all"):
        pr: tuple[str, ...] = () if p == "all" else (p,)
        links[f"open:{p}"] = ListFilter(priorities=pr, statuses=("open",)).query()
        links[f"overdue:{p}"] = ListFilter(priorities=pr, overdue=True).query()
        links[f"due_soon:{p}"] = ListFilter(
            priorities=pr,
            statuses=("open",),
            date_field="deadline",
            date_from=stamp(now),
            date_to=stamp(soon),
        ).query()
        links[f"blocked:{p}"] = ListFilter(priorities=pr, statuses=("blocked",)).query()
        links[f"awaiting:{p}"] = ListFilter(priorities=pr, statuses=("completed",)).query()
        links[f"resolved:{p}"] = ListFilter(priorities=pr, **done_window).query()  # type: ignore[arg-type]
    links["validated:month"] = ListFilter(
        statuses=("validated",), date_field="validated", date_from=stamp(w.month_start)
    ).query()
    for o in owners:
        key = o or NOBODY
        links[f"owner-open:{key}"] = ListFilter(owner=key, statuses=("open",)).query()
        links[f"owner-overdue:{key}"] = ListFilter(owner=key, overdue=True).query()
        links[f"owner-completed:{key}"] = ListFilter(owner=key, **done_window).query()  # type: ignore[arg-type]
    return links


def get_overview(deps: Deps, *, now: datetime) -> Overview:
    s = deps.settings
    w = window(deps, now)
    with deps.uow(readonly=True) as session:
        board_rows = store.status_board(session, now=now, soon=now + DUE_SOON)
        open_rows = store.open_impact(session)
        validated_rows = store.validated_impact(session, start=w.month_start, end=now + timedelta(seconds=1))
        resolution = store.resolution_stats(session, start=w.start, end=w.end)
        trend_rows = store.resolution_trend(session, boundaries=w.weeks)
        analysis = store.analysis_to_execution(session, start=w.start, end=w.end)
        owner_rows = store.per_owner(session, now=now, start=w.start, limit=OWNER_ROWS)
        incidents = store.open_incidents(session, limit=OPEN_INCIDENTS)
        times = store.incident_times(session, boundaries=w.weeks)
        people = [r.owner_id for r in owner_rows] + [i.commander_id for i in incidents]
        names = store.user_names(session, user_ids=[p for p in people if p])
    team = overview.team_performance(
        _by(resolution, "priority"),
        analysis=dict(analysis._mapping),
        owners=[dict(r._mapping) for r in owner_rows],
    )
    weekly: dict[str, list[float | None]] = {p: [None] * overview.WEEKS for p in PRIORITIES}
    counts: dict[str, list[int]] = {p: [0] * overview.WEEKS for p in PRIORITIES}
    for r in trend_rows:
        if 0 <= int(r.bucket) < overview.WEEKS and r.priority in weekly:
            weekly[r.priority][int(r.bucket)] = round(float(r.h), 1) if r.h is not None else None
            counts[r.priority][int(r.bucket)] = int(r.resolved)
    chart = charts.line_chart(
        title="Average resolution time by week and priority",
        description="Average hours from creation to completion of the items completed each week, "
        "one line per priority, over the last eight weeks.",
        unit="hours",
        labels=w.labels,
        series={p: weekly[p] for p in PRIORITIES},
        css={p: f"line-{p.lower()}" for p in PRIORITIES},
    )
    return Overview(
        now=now,
        window=w,
        board=overview.status_board(_by(board_rows, "priority")),
        impact=overview.impact(
            _by(open_rows, "priority"),
            _by(validated_rows, "priority"),
            monthly_revenue=s.monthly_revenue,
            hours_saved=s.dashboard_hours_saved_by_priority,
            cost_per_fix=s.dashboard_remediation_cost,
        ),
        team=team,
        trend=chart,
        trend_counts={p: tuple(c) for p, c in counts.items()},
        incidents=tuple(incidents),
        incident_times=overview.incident_times([dict(r._mapping) for r in times]),
        names=names,
        links=_links(now, w, [o.owner_id for o in team.owners]),
        revenue_configured=s.monthly_revenue is not None,
    )


# --- the item list ----------------------------------------------------------------------------------------


def _query(f: ListFilter, now: datetime) -> store.ItemQuery:
    return store.ItemQuery(
        priorities=f.priorities,
        statuses=f.exact_statuses,
        owner_id=None if not f.owner else ("" if f.owner == NOBODY else f.owner),
        system=f.system or None,
        incident_id=f.incident or None,
        date_field=f.date_field,
        date_from=parse_instant(f.date_from),
        date_to=parse_instant(f.date_to, end=True),
        overdue_at=now if f.overdue else None,
        sort=f.sort,
        descending=f.descending,
    )


@dataclass(frozen=True)
class ItemList:
    filter: ListFilter
    rows: tuple[Any, ...]
    total: int
    pages: int
    names: dict[str, str]
    owners: tuple[tuple[str, str], ...]  # (value, label) of the owner filter
    incidents: tuple[str, ...]
    now: datetime
    mrr: dict[str, float | None] = field(default_factory=dict)


def list_items(deps: Deps, *, filter: ListFilter, now: datetime) -> ItemList:
    with deps.uow(readonly=True) as session:
        owner_ids = store.owners(session)
        incidents = store.incident_ids(session)
        if filter.errors:
            rows, total = [], 0
        else:
            q = _query(filter, now)
            total = store.count_items(session, query=q)
            rows = store.list_items(session, query=q, offset=(filter.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        names = store.user_names(session, user_ids=[o for o in owner_ids if o])
    pages = max(1, -(-total // PAGE_SIZE))
    owners = sorted(
        ((o or NOBODY, names.get(o, o) if o else "nobody") for o in owner_ids), key=lambda t: t[1].lower()
    )
    revenue = deps.settings.monthly_revenue
    return ItemList(
        filter=filter,
        rows=tuple(rows),
        total=total,
        pages=pages,
        names=names,
        owners=tuple(owners),
        incidents=tuple(incidents),
        now=now,
        mrr={r.id: mrr_at_risk(r.priority, r.mrr_at_risk, revenue) for r in rows},
    )


def export_csv_rows(deps: Deps, *, filter: ListFilter, now: datetime) -> Iterator[Sequence[str]]:
    """The header and every item the filter matches (all pages), each cell safe to open in a spreadsheet.

    The rows are read as they are consumed, inside one read-only unit of work: consume it at once, in the
    thread that started it (the dashboard writes the whole CSV before it answers).
    Ids, priorities, statuses and times are the bot's own and never start a formula; every cell people or
    other systems wrote (title, owner, incident, systems) and the amount go through `csv_cell`."""
    yield CSV_COLUMNS
    if filter.errors:
        return
    revenue = deps.settings.monthly_revenue
    cell = csv_cell
    with deps.uow(readonly=True) as session:
        for rows in store.export_items(session, query=_query(filter, now)):
            for (
                item_id,
                title,
                priority,
                status,
                owner,
                due,
                created,
                done,
                valid,
                incident,
                systems,
                mrr,
            ) in rows:
                amount = mrr_at_risk(priority, mrr, revenue)
                yield (
                    item_id,
                    cell(title),
                    priority,
                    status,
                    cell(owner) if owner else "",
                    due,
                    created,
                    done or "",
                    valid or "",
                    cell(incident) if incident else "",
                    cell("; ".join(systems)) if systems else "",
                    "" if amount is None else cell(f"{amount:.2f}"),
                )


# --- one item, one incident -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemPage:
    item: Any
    timeline: tuple[Any, ...]
    incident: Any | None
    issues: tuple[dict[str, Any], ...]
    names: dict[str, str]
    mrr: float | None
    overdue: bool
    now: datetime


def get_item(deps: Deps, *, item_id: str, now: datetime) -> ItemPage | None:
    with deps.uow(readonly=True) as session:
        item = store.item(session, item_id=item_id)
        if item is None:
            return None
        events = store.timeline(session, subject_id=item.id)
        incident = store.incident(session, incident_id=item.incident_id) if item.incident_id else None
        issues = store.linked_issues(session, item_id=item.id)
        people = [item.owner_id, item.reporter_id, item.validated_by, *(e.actor_id for e in events)]
        people += [e.get("by") for e in item.evidence if isinstance(e, dict)]
        names = store.user_names(session, user_ids=[p for p in people if isinstance(p, str)])
    return ItemPage(
        item=item,
        timeline=tuple(events),
        incident=incident,
        issues=tuple(issues),
        names=names,
        mrr=mrr_at_risk(item.priority, item.mrr_at_risk, deps.settings.monthly_revenue),
        overdue=item.status in store.OPEN and item.deadline < now,
        now=now,
    )


@dataclass(frozen=True)
class IncidentPage:
    incident: Any
    timeline: tuple[Any, ...]
    items: tuple[Any, ...]
    names: dict[str, str]
    now: datetime


def get_incident(deps: Deps, *, incident_id: str, now: datetime) -> IncidentPage | None:
    with deps.uow(readonly=True) as session:
        incident = store.incident(session, incident_id=incident_id)
        if incident is None:
            return None
        events = store.timeline(session, subject_id=incident.id)
        items = store.incident_items(session, incident_id=incident.id)
        people = [
            incident.commander_id,
            incident.declared_by,
            incident.acknowledged_by,
            *incident.responders,
            *(e.actor_id for e in events),
            *(i.owner_id for i in items),
        ]
        names = store.user_names(session, user_ids=[p for p in people if isinstance(p, str)])
    return IncidentPage(incident=incident, timeline=tuple(events), items=tuple(items), names=names, now=now)
