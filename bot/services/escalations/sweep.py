"""The escalation sweep for overdue remediation items: fire each due level once, and tell people.

One sweep reads the overdue items and the alerts they already have, works out which levels are due
(each item's `item_ladder`, through `bot.core.escalation.ladder.due_levels`), and then, in one unit of work,
claims an Alert per (item, level) — `storage.alerts.claim_levels`: the unique constraint makes each fire
once, even with several replicas — and queues the messages in the outbox:

- the incident channel: one post per alert mentioning the owner and the people of every level up to it,
  or, when a sweep finds more than GROUP_AFTER alerts of one level (after an outage), one grouped post;
- the owner: one DM per alert, or one DM listing all of them when there are more than GROUP_AFTER; queued
  as notices (they wait for the end of the owner's quiet hours) unless they concern a P0.

The messages are drawn by `deps.render.alerts` (services never import the Slack layer).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.core.escalation.ladder import (
    OPEN_STATUSES,
    OVERDUE,
    AlertView,
    Due,
    Ladder,
    due_levels,
    earliest_threshold,
    hours_overdue,
    item_ladder,
    last_levels,
    next_rung,
    required_actions,
)
from bot.core.items.impact import mrr_at_risk
from bot.core.timing.quiet_hours import is_page
from bot.deps import Deps
from bot.services import events, outbox
from bot.services.rendering import AlertMessages
from storage import alerts as alert_store
from storage import reports
from storage.models import Alert

log = logging.getLogger(__name__)

KIND = OVERDUE
GROUP_AFTER = 3  # more alerts than this in one sweep (per level, or per owner) are grouped in one message


@dataclass(frozen=True)
class SnoozeState:
    delay: timedelta
    not_before: datetime | None

    def start(self, deadline: datetime) -> datetime:
        """Where the item's ladder starts: its deadline, pushed back by the snoozed time."""
        return deadline + self.delay


def snooze_state(alerts: Sequence[Alert]) -> SnoozeState:
    """How far snoozes have pushed an item's ladder back, and the latest snoozed-until instant."""
    delay = timedelta(seconds=sum(float(a.data.get("snooze_delay_s", 0)) for a in alerts))
    untils = [a.snoozed_until for a in alerts if a.snoozed_until is not None]
    return SnoozeState(delay, max(untils) if untils else None)


def alert_view(alert: Alert) -> AlertView:
    """The alert as it shows: the facts snapshotted when it fired, plus its acknowledgement and snooze."""
    d = alert.data
    assert alert.id is not None
    return AlertView(
        alert_id=alert.id,
        level=alert.level,
        item_id=alert.subject_id,
        title=d.get("title", alert.subject_id),
        priority=d.get("priority", ""),
        owner_id=d.get("owner_id"),
        deadline=datetime.fromisoformat(d["deadline"]),
        fired_at=alert.fired_at,
        hours_overdue=float(d.get("hours_overdue", 0.0)),
        mrr_at_risk=d.get("mrr"),
        mentions=tuple(d.get("mentions", ())),
        required_actions=tuple(d.get("actions", ())),
        acked_by=alert.acked_by,
        acked_at=alert.acked_at,
        snoozed_by=d.get("snoozed_by"),
        snoozed_until=alert.snoozed_until,
    )


@dataclass
class _Plan:
    row: Any
    ladder: Ladder
    due: list[Due]
    fired: set[int]
    snooze: SnoozeState


def ladder_for(priority: str, settings: Settings) -> Ladder:
    """The overdue-item ladder of `priority` from the ESCALATION_L*_AFTER and ESCALATION_L* settings."""
    return item_ladder(
        priority, thresholds=settings.escalation_thresholds, targets=settings.escalation_targets
    )


def sweep_overdue(deps: Deps, now: datetime) -> list[int]:
    """Fire every escalation level due at `now`; returns the ids of the outbox messages queued."""
    settings = deps.settings
    thresholds = settings.escalation_thresholds
    with deps.uow(readonly=True) as session:
        rows = reports.overdue_candidates(
            session,
            now=now,
            statuses=OPEN_STATUSES,
            earliest=earliest_threshold(thresholds),
            last_level=last_levels(thresholds),
            alert_kind=KIND,
        )
        existing = alert_store.alerts_for(session, subject_ids=[r.id for r in rows], kind=KIND)
        session.expunge_all()  # keep the loaded alerts readable after the read-only unit of work ends
    by_item: dict[str, list[Alert]] = defaultdict(list)
    for a in existing:
        by_item[a.subject_id].append(a)
    ladders: dict[str, Ladder] = {}
    plans = []
    for row in rows:
        if row.priority not in ladders:
            ladders[row.priority] = ladder_for(row.priority, settings)
        ladder = ladders[row.priority]
        fired = {a.level for a in by_item[row.id]}
        snooze = snooze_state(by_item[row.id])
        due = due_levels(ladder, snooze.start(row.deadline), now, fired, hold_until=snooze.not_before)
        if due:
            plans.append(_Plan(row, ladder, due, fired, snooze))
    if not plans:
        return []
    facts = [fact for plan in plans for fact in _facts(plan, deps=deps, now=now)]
    _assign_refs(facts, now=now)
    ids: list[int] = []
    with deps.uow() as session:
        new = alert_store.claim_levels(
            session, fired_at=now, claims=[(f["item_id"], KIND, f["level"], f["data"]) for f in facts]
        )
        if not new:
            return []
        ids += _queue(session, new, key="channel_ref", deps=deps, now=now, render=deps.render.alerts)
        ids += _queue(session, new, key="dm_ref", deps=deps, now=now, render=deps.render.alerts)
        for a in sorted(new, key=lambda a: (a.level, a.subject_id)):
            events.publish(
                session,
                events.SubjectEvent(
                    subject=events.ITEM,
                    subject_id=a.subject_id,
                    kind="escalated",
                    at=now,
                    summary=f"Level {a.level} escalation: {a.data.get('title', '')}",
                    data={"level": a.level, **a.data},
                ),
            )
    for a in new:
        deps.metrics.escalations.labels(kind=KIND, level=str(a.level)).inc()
    log.info("escalations: fired %d alert(s) for %d item(s)", len(new), len({a.subject_id for a in new}))
    return ids


def _facts(plan: _Plan, *, deps: Deps, now: datetime) -> list[dict[str, Any]]:
    """What each level about to fire for this item shows (snapshotted in the alert)."""
    settings = deps.settings
    row = plan.row
    done = set(plan.fired)
    out = []
    for due in plan.due:
        level = due.level
        done.add(level)
        upcoming = next_rung(
            plan.ladder, plan.snooze.start(row.deadline), done, hold_until=plan.snooze.not_before
        )
        data = {
            "title": row.title,
            "priority": row.priority,
            "owner_id": row.owner_id,
            "reporter_id": row.reporter_id,
            "deadline": row.deadline.isoformat(),
            "hours_overdue": hours_overdue(row.deadline, now),
            "mrr": mrr_at_risk(row.priority, row.mrr_at_risk, settings.monthly_revenue),
            # The owner, then the people of every level up to this one (the rung's `tell`).
            "mentions": [w for w in dict.fromkeys((row.owner_id, *due.tell)) if w],
            "actions": required_actions(level, (upcoming.level, upcoming.due_at) if upcoming else None, now),
        }
        out.append({"item_id": row.id, "level": level, "data": data})
    return out


def _assign_refs(facts: list[dict[str, Any]], *, now: datetime) -> None:
    """Which message shows each alert: its own (a ref per item and level), or the sweep's grouped post for
    its level / grouped DM for its owner when there are more than GROUP_AFTER of them."""
    stamp = now.isoformat()
    per_level: dict[int, int] = defaultdict(int)
    per_owner: dict[str, int] = defaultdict(int)
    for f in facts:
        per_level[f["level"]] += 1
        if f["data"]["owner_id"]:
            per_owner[f["data"]["owner_id"]] += 1
    for f in facts:
        item, level, owner = f["item_id"], f["level"], f["data"]["owner_id"]
        grouped = per_level[level] > GROUP_AFTER
        f["data"]["channel_ref"] = f"alert-group:L{level}:{stamp}" if grouped else f"alert:{item}:L{level}"
        if owner:
            grouped = per_owner[owner] > GROUP_AFTER
            f["data"]["dm_ref"] = (
                f"alert-dm-group:{owner}:{stamp}" if grouped else f"alert-dm:{item}:L{level}"
            )


def _queue(
    session: Session,
    new: list[Alert],
    *,
    key: str,
    deps: Deps,
    now: datetime,
    render: AlertMessages,
) -> list[int]:
    """One message per ref (`channel_ref`: posts, lowest level first; `dm_ref`: DMs to owners)."""
    settings = deps.settings
    groups: dict[str, list[Alert]] = defaultdict(list)
    for a in sorted(new, key=lambda a: (a.level, a.id or 0)):
        ref = a.data.get(key)
        if ref:
            groups[ref].append(a)
    ids: list[int] = []
    for ref, group in groups.items():
        views = [alert_view(a) for a in group]
        if key == "channel_ref":
            text, blocks = render.alert_message(views, to_owner=False)
            msg_id = outbox.post_message(
                session, now=now, channel=settings.incident_channel, text=text, blocks=blocks, ref=ref
            )
        else:
            owner = group[0].data["owner_id"]
            page = is_page(a.data.get("priority", "") for a in group)
            text, blocks = render.alert_message(views, to_owner=True)
            msg_id = outbox.send_dm(
                session, now=now, user_id=owner, text=text, blocks=blocks, ref=ref, notice=not page
            )
        if msg_id is not None:
            ids.append(msg_id)
    return ids


def rerender(session: Session, alert: Alert, *, now: datetime, render: AlertMessages) -> list[int]:
    """Bring the messages showing `alert` (channel post and owner DM) up to date, in place.

    A message still waiting in the outbox (a DM held for quiet hours) is revised before it goes out;
    one already sent gets a ``chat.update``.
    """
    ids: list[int] = []
    siblings = alert_store.alerts_fired_at(session, kind=KIND, fired_at=alert.fired_at, lock=True)
    for key, to_owner in (("channel_ref", False), ("dm_ref", True)):
        ref = alert.data.get(key)
        if not ref:
            continue
        group = [a for a in siblings if a.data.get(key) == ref] or [alert]
        text, blocks = render.alert_message([alert_view(a) for a in group], to_owner=to_owner)
        if outbox.revise_pending(session, ref=ref, text=text, blocks=blocks):
            continue
        msg_id = outbox.update_message(session, now=now, ref=ref, text=text, blocks=blocks)
        if msg_id is not None:
            ids.append(msg_id)
    return ids
