"""Read-only views of remediation items: lists, the daily status view and a person's Home tab.

Each function is one read-only unit of work of bounded size (a page of rows plus counts), so it stays
fast however many items exist. Items are returned as `ItemRecord`s: plain data, safe to render anywhere.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session
from sqlmodel import Session

from bot.core.items import lifecycle as lc
from bot.core.items.boards import HomeData, Page, Section, StatusBoard
from bot.core.records import ItemRecord
from bot.core.timing.deadlines import due_soon_window
from bot.core.trackers.issues import NAMES
from bot.deps import Deps
from storage import items as store
from storage import trackers as tracker_store
from storage.items import ItemFilter
from storage.models import RemediationItem

UPCOMING = timedelta(days=7)  # `list upcoming` and the status view's upcoming section
QUIET_FOR = timedelta(hours=48)  # due soon with no progress for this long: at risk
SCOPES = ("open", "mine", "overdue", "upcoming", "blocked", "completed", "all")


def scope_filter(scope: str, *, user_id: str, now: datetime) -> ItemFilter:
    """The filter behind `list <scope>`."""
    if scope == "mine":
        return ItemFilter(statuses=lc.OPEN_STATUSES, owner_id=user_id)
    if scope == "overdue":
        return ItemFilter(statuses=lc.OPEN_STATUSES, deadline_before=now)
    if scope == "upcoming":
        return ItemFilter(statuses=lc.OPEN_STATUSES, deadline_from=now, deadline_before=now + UPCOMING)
    if scope == "blocked":
        return ItemFilter(statuses=(lc.BLOCKED,))
    if scope == "completed":
        return ItemFilter(statuses=(lc.COMPLETED,))
    if scope == "all":
        return ItemFilter()
    return ItemFilter(statuses=lc.OPEN_STATUSES)


def list_page(deps: Deps, *, where: ItemFilter, limit: int, offset: int = 0) -> Page:
    with deps.uow(readonly=True) as session:
        items = store.list_items(session, where=where, limit=limit, offset=offset)
        total = len(items) + offset if len(items) < limit else store.count_items(session, where=where)
        records = _records(items)
    return Page(records, total, offset)


def status_board(
    deps: Deps, *, tz: ZoneInfo, show_overdue: bool, show_upcoming: bool, limit: int = 10
) -> StatusBoard:
    now = deps.now()
    local = now.astimezone(tz)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    with deps.uow(readonly=True) as session:
        done, done_total = store.finished_between(
            session, start=day_start, end=now + timedelta(seconds=1), limit=limit
        )
        wip = _section(session, ItemFilter(statuses=(lc.IN_PROGRESS,)), limit)
        soon = due_soon_window(now)
        risky, risky_total = store.at_risk(
            session, now=now, due_before=soon.end_exclusive, quiet_since=now - QUIET_FOR, limit=limit
        )
        due_soon = store.count_items(
            session,
            where=ItemFilter(
                statuses=lc.OPEN_STATUSES, deadline_from=soon.start, deadline_before=soon.end_exclusive
            ),
        )
        overdue_counts = store.count_by_priority(
            session, where=ItemFilter(statuses=lc.OPEN_STATUSES, deadline_before=now)
        )
        overdue: Section | None = None
        upcoming: Section | None = None
        if show_overdue:
            overdue = _section(session, scope_filter("overdue", user_id="", now=now), limit)
        if show_upcoming:
            upcoming = _section(session, scope_filter("upcoming", user_id="", now=now), limit)
        return StatusBoard(
            day_start=day_start,
            completed_today=Section(_records(done), done_total),
            in_progress=wip,
            at_risk=Section(_records(risky), risky_total),
            due_soon=due_soon,
            overdue_by_priority=overdue_counts,
            overdue=overdue,
            upcoming=upcoming,
        )


def home_data(deps: Deps, *, user_id: str, limit: int = 8) -> HomeData:
    now = deps.now()
    soon = due_soon_window(now)
    with deps.uow(readonly=True) as session:
        mine = ItemFilter(statuses=lc.OPEN_STATUSES, owner_id=user_id)
        by_status = store.count_by_status(session, statuses=(lc.BLOCKED, lc.COMPLETED))
        return HomeData(
            user_id=user_id,
            overdue=_section(session, _with(mine, deadline_before=now), limit),
            due_soon=_section(
                session, _with(mine, deadline_from=soon.start, deadline_before=soon.end_exclusive), limit
            ),
            later=_section(session, _with(mine, deadline_from=soon.end_exclusive), limit),
            to_validate=_section(
                session,
                ItemFilter(statuses=(lc.COMPLETED,), reporter_id=user_id, not_owner_id=user_id),
                limit,
            ),
            reported=_section(
                session,
                ItemFilter(statuses=lc.OPEN_STATUSES, reporter_id=user_id, not_owner_id=user_id),
                limit,
            ),
            team_open=store.count_by_priority(session, where=ItemFilter(statuses=lc.OPEN_STATUSES)),
            team_overdue=store.count_items(
                session, where=ItemFilter(statuses=lc.OPEN_STATUSES, deadline_before=now)
            ),
            team_blocked=by_status.get(lc.BLOCKED, 0),
            team_to_validate=by_status.get(lc.COMPLETED, 0),
        )


def _with(base: ItemFilter, **changes: object) -> ItemFilter:
    return ItemFilter(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def _section(session: Session, where: ItemFilter, limit: int) -> Section:
    items = store.list_items(session, where=where, limit=limit)
    total = len(items) if len(items) < limit else store.count_items(session, where=where)
    return Section(_records(items), total)


def _records(rows: list[RemediationItem]) -> tuple[ItemRecord, ...]:
    """The rows as plain data, each with its linked issue (one query for them all)."""
    session = object_session(rows[0]) if rows else None
    links = (
        tracker_store.links_of(session, item_ids=[r.id for r in rows]) if isinstance(session, Session) else {}
    )
    return tuple(
        replace(ItemRecord.of(r), issue=(NAMES.get(x.tracker, x.tracker), x.number or "", x.url))
        if (x := links.get(r.id)) is not None
        else ItemRecord.of(r)
        for r in rows
    )
