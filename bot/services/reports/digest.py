"""The daily standup digest, posted once per digest day to the incident channel.

The day (in TIMEZONE) is claimed as ``digest:<date>`` in the same transaction that queues the post, so a
restart, a misfire catch-up, a manual ``jobs run`` or a second replica never posts it twice. Days not in
DIGEST_DAYS post nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from bot.core.escalation.ladder import OPEN_STATUSES
from bot.core.reports.digest import STALE_AFTER, Digest, DigestIncident, DigestItem, compose_digest
from bot.core.timing.deadlines import due_soon_window
from bot.core.trackers.issues import NAMES
from bot.deps import Deps
from bot.services import events, outbox
from bot.services.evidence.figures import ci_figures
from storage import incidents as incident_store
from storage import items as item_store
from storage import queries, reports
from storage import trackers as tracker_store
from storage.items import ItemFilter

# Items fetched per section: more than a message can show, so the renderer decides what fits and counts the
# rest; never so many that a large backlog makes the job slow.
FETCH = 60


@dataclass
class Posted:
    """What a once-per-period post did: the outbox ids it queued and a line for the job's summary."""

    summary: str
    outbox_ids: list[int] = field(default_factory=list)


def digest_key(deps: Deps, now: datetime) -> str:
    return f"digest:{now.astimezone(deps.settings.tz).date().isoformat()}"


def _digest_item(row: Any, links: dict[str, Any] | None = None) -> DigestItem:
    link = (links or {}).get(row.id)
    return DigestItem(
        id=row.id,
        title=row.title,
        priority=row.priority,
        status=row.status,
        owner_id=row.owner_id,
        deadline=row.deadline,
        created_at=row.created_at,
        last_progress_at=row.last_progress_at,
        status_reason=row.status_reason,
        completed_at=row.completed_at,
        validated_at=row.validated_at,
        issue=(NAMES.get(link.tracker, link.tracker), link.number, link.url)
        if link and link.number
        else None,
    )


def gather(session: Session, *, now: datetime, day_start: datetime) -> Digest:
    """Everything the digest shows as of `now`, in bounded queries."""
    completed, completed_total = reports.completed_between(
        session, start=day_start, end=now + timedelta(seconds=1), limit=FETCH
    )
    # Storage filters take [from, before) ranges: `end_exclusive` keeps the window's own end in it.
    soon = due_soon_window(now)
    risky, risky_total = item_store.at_risk(
        session, now=now, due_before=soon.end_exclusive, quiet_since=now - STALE_AFTER, limit=FETCH
    )
    steady, steady_total = reports.on_track(
        session,
        now=now,
        statuses=OPEN_STATUSES,
        due_soon=soon.end_exclusive - now,
        stale_after=STALE_AFTER,
        limit=FETCH,
    )
    due_soon = item_store.count_items(
        session,
        where=ItemFilter(
            statuses=OPEN_STATUSES, deadline_from=soon.start, deadline_before=soon.end_exclusive
        ),
    )
    overdue = item_store.count_by_priority(
        session, where=ItemFilter(statuses=OPEN_STATUSES, deadline_before=now)
    )
    incidents, incidents_total = reports.open_incidents(session, limit=FETCH)
    ids = [r.id for r in completed] + [r.id for r in steady] + [r.id for r in risky]
    links = tracker_store.links_of(session, item_ids=ids)
    held = {i.id for i in incident_store.held_for_close_out(session, now=now)}
    return compose_digest(
        day=now.astimezone(day_start.tzinfo).date(),
        now=now,
        completed=[_digest_item(i, links) for i in completed],
        completed_total=completed_total,
        open_items=[_digest_item(r, links) for r in steady],
        in_progress_total=steady_total,
        at_risk_items=[_digest_item(i, links) for i in risky],
        at_risk_total=risky_total,
        incidents=[
            DigestIncident(
                id=r.id,
                title=r.title,
                severity=r.severity,
                status=r.status,
                commander_id=r.commander_id,
                declared_at=r.declared_at,
                held_open=r.id in held,
            )
            for r in incidents
        ],
        incidents_total=incidents_total,
        due_soon=due_soon,
        overdue_by_priority=overdue,
        ci=ci_figures(session, start=week_start(now, day_start), end=now + timedelta(seconds=1)),
    )


def week_start(now: datetime, day_start: datetime) -> datetime:
    """The start of the week `now` is in, in the digest's time zone (Monday 00:00)."""
    return day_start - timedelta(days=now.astimezone(day_start.tzinfo).weekday())


def post_daily_digest(deps: Deps, now: datetime) -> Posted:
    """Post the digest of `now`'s day once (only on DIGEST_DAYS)."""
    settings = deps.settings
    tz = settings.tz
    local = now.astimezone(tz)
    if local.weekday() not in settings.digest_weekdays:
        return Posted(f"{local.strftime('%A')} is not a digest day (DIGEST_DAYS={settings.digest_days})")
    key = digest_key(deps, now)
    day_start = datetime.combine(local.date(), time(0), tzinfo=tz)
    with deps.uow(readonly=True) as session:
        if queries.is_claimed(session, key=key):
            return Posted(f"{key} was posted already")
        digest = gather(session, now=now, day_start=day_start)
    text, blocks = deps.render.digest.digest_message(digest, dashboard=settings.dashboard_base)
    with deps.uow() as session:
        if not queries.try_claim(session, key=key, now=now, owner=deps.worker_id):
            return Posted(f"{key} was posted already")
        msg_id = outbox.post_message(
            session, now=now, channel=settings.incident_channel, text=text, blocks=blocks, ref=key
        )
        assert msg_id is not None
        # E-mail and web hooks hear of it in this unit of work (bot.services.notifications).
        events.publish(
            session,
            events.SubjectEvent(
                subject="report",
                subject_id=key,
                kind="digest",
                at=now,
                summary=text,
                data={
                    "title": f"Remediation digest — {local.date().isoformat()}",
                    "blocks": blocks,
                    "figures": asdict(digest),
                },
            ),
        )
        return Posted(f"posted {key}", [msg_id])
