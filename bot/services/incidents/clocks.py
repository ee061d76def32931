"""The incident clocks, run by the scheduled jobs: pages, escalations, update nudges and close-outs.

- `sweep_incident_escalations` (the ``escalations`` job): pages the on-call when an incident is not
  acknowledged within its initial-response time, and escalates unresolved incidents at Level 2 and Level 3.
  They are the incident's escalation ladder (`bot.core.escalation.ladder.incident_ladder`) and fire like
  every ladder: once per incident and level, claimed by an ``alert`` row unique per (incident, kind, level)
  (`storage.alerts.claim_levels`) in the same transaction as the message, so reruns, catch-ups and other
  replicas never repeat one. After downtime every missed one fires once, in order.
- `sweep_incident_reminders` (the ``reminders`` job): nudges the commander in the incident thread when a
  status update is overdue (claimed per missed interval, so at most once each), and closes incidents whose
  monitoring period ended — except P0/P1 without a preventative item or waiver, which stay resolved and are
  reported once in the thread (the digest lists them through `held_incidents`).

Both return the outbox ids they queued. What is due is decided by `bot.core.incidents.rules`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.config import Settings, split_mentions
from bot.core.incidents import rules
from bot.core.mrkdwn import users
from bot.core.records import IncidentRecord
from bot.deps import Deps
from bot.services import outbox
from bot.services.incidents.cards import (
    clocks_for,
    close_incident,
    close_out_blocked,
    on_timeline,
    post_in_incident_channel,
    post_in_thread,
)
from bot.services.rendering import IncidentMessages
from storage import alerts as alert_store
from storage import incidents as store
from storage import queries
from storage.models import Incident

log = logging.getLogger(__name__)

_TARGET_SETTINGS = {2: "INCIDENT_ESCALATION_L2", 3: "INCIDENT_ESCALATION_L3"}


def sweep_incident_escalations(deps: Deps, now: datetime) -> list[int]:
    """Fire the pages and escalations due at `now`, each once. Returns the outbox ids queued."""
    settings = deps.settings
    clocks = clocks_for(settings)
    queued: list[int] = []
    fired: list[tuple[str, int]] = []
    targets = who_to_tell(settings)
    with deps.uow() as session:
        active = store.active_incidents(session)
        done = alert_store.fired_levels(session, subject_ids=[i.id for i in active], kinds=rules.ALERT_KINDS)
        due = [
            (inc, d)
            for inc in active
            for d in rules.due_alerts(inc, now, clocks, fired=done.get(inc.id, ()), targets=targets)
        ]
        new = alert_store.claim_levels(
            session,
            fired_at=now,
            claims=[(inc.id, d.kind, d.level, {"due_at": d.due_at.isoformat()}) for inc, d in due],
        )
        claimed = {(a.subject_id, a.kind, a.level) for a in new}
        for inc, d in due:
            if (inc.id, d.kind, d.level) not in claimed:
                continue
            if d.kind == rules.PAGE:
                queued += _page(
                    session,
                    now=now,
                    settings=settings,
                    inc=inc,
                    clocks=clocks,
                    oncall=list(d.tell),
                    render=deps.render.incidents,
                )
            else:
                queued += _escalate(
                    session,
                    now=now,
                    settings=settings,
                    inc=inc,
                    level=d.level,
                    targets=list(d.tell),
                    render=deps.render.incidents,
                )
            fired.append((d.kind, d.level))
    for kind, level in fired:
        deps.metrics.escalations.labels(kind=kind, level=str(level)).inc()
    if fired:
        log.info("incident alerts fired: %s", ", ".join(f"{k}/L{lvl}" for k, lvl in fired))
    return queued


def who_to_tell(settings: Settings) -> dict[int, list[str]]:
    """Who each rung of the incident ladder tells: the on-call (ONCALL) for the page, then the people of
    INCIDENT_ESCALATION_L2 and INCIDENT_ESCALATION_L3."""
    return {
        1: split_mentions(settings.oncall),
        2: split_mentions(settings.incident_escalation_l2),
        3: split_mentions(settings.incident_escalation_l3),
    }


def _page(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    inc: Incident,
    clocks: rules.IncidentClocks,
    oncall: list[str],
    render: IncidentMessages,
) -> list[int]:
    """Page the on-call (ONCALL; the commander when nobody is configured) in the channel and by DM."""
    text, blocks = render.page(IncidentRecord.of(inc), now=now, clocks=clocks, oncall=oncall)
    messages = [
        post_in_incident_channel(
            session, now=now, settings=settings, message=(text, blocks), dedupe_key=f"incident-page:{inc.id}"
        )
    ]
    # A user group cannot be sent a DM; its mention in the channel notifies its members.
    for person in [u for u in oncall if not u.startswith("S")] or [inc.commander_id]:
        messages.append(
            outbox.send_dm(
                session,
                now=now,
                user_id=person,
                text=text,
                blocks=blocks,
                dedupe_key=f"incident-page:{inc.id}:{person}",
            )
        )
    on_timeline(
        session,
        inc.id,
        now=now,
        actor_id=None,
        kind="paged",
        summary=f"Paged {users(oncall) if oncall else 'the commander'}: not acknowledged in time",
        data={"oncall": oncall},
    )
    return [m for m in messages if m is not None]


def _escalate(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    inc: Incident,
    level: int,
    targets: list[str],
    render: IncidentMessages,
) -> list[int]:
    """One message per level reached, in INCIDENT_CHANNEL, mentioning that level's people."""
    message = post_in_incident_channel(
        session,
        now=now,
        settings=settings,
        message=render.escalation(
            IncidentRecord.of(inc),
            level=level,
            now=now,
            targets=targets,
            setting_name=_TARGET_SETTINGS.get(level, ""),
        ),
        dedupe_key=f"incident-escalation:{inc.id}:{level}",
    )
    on_timeline(
        session,
        inc.id,
        now=now,
        actor_id=None,
        kind="escalated",
        summary=f"Escalated to Level {level}" + (f" ({users(targets)})" if targets else ""),
        data={"level": level, "targets": targets},
    )
    return [message] if message is not None else []


def sweep_incident_reminders(deps: Deps, now: datetime) -> list[int]:
    """Nudge overdue status updates (once per missed interval) and close incidents whose monitoring ended.
    Returns the outbox ids queued."""
    settings = deps.settings
    clocks = clocks_for(settings)
    queued: list[int] = []

    def say_once(
        session: Session, inc: Incident, key: str, message: tuple[str, list[dict]], **entry: Any
    ) -> list[int]:
        """`message` in the incident's thread and an entry on its timeline, once per `key`."""
        if not queries.try_claim(session, key=key, now=now, owner=deps.worker_id[:64]):
            return []
        ids = post_in_thread(session, now=now, settings=settings, inc=inc, message=message, dedupe_key=key)
        on_timeline(session, inc.id, now=now, actor_id=None, **entry)
        return ids

    with deps.uow() as session:
        for inc in store.update_overdue(session, now=now):
            interval = rules.missed_update_interval(inc, now, clocks)
            if interval is None:
                continue
            queued += say_once(
                session,
                inc,
                f"incident-nudge:{inc.id}:{interval.isoformat()}",
                deps.render.incidents.nudge(IncidentRecord.of(inc), now=now, clocks=clocks),
                kind="nudged",
                summary="Status update overdue; commander nudged",
                data={"due": inc.next_update_due.isoformat() if inc.next_update_due else None},
            )
        for inc in store.monitoring_ended(session, now=now):
            if not close_out_blocked(session, inc):
                queued += close_incident(
                    session, now=now, settings=settings, inc=inc, actor_id=None, render=deps.render.incidents
                )
                continue
            assert inc.monitoring_until is not None
            queued += say_once(
                session,
                inc,
                f"incident-held:{inc.id}:{inc.monitoring_until.isoformat()}",
                deps.render.incidents.held(IncidentRecord.of(inc), now=now),
                kind="close-out-held",
                summary="Monitoring ended; held open: no preventative action item or waiver yet",
            )
    return queued
