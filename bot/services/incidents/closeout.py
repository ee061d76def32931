"""Running an incident's close-out: reassigning the commander, closing it (with the P0/P1 close-out rule),
and reading incidents (show, list, the ones held open)."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.core.errors import Forbidden, UserError
from bot.core.incidents import rules
from bot.core.incidents.detail import IncidentDetail
from bot.core.mrkdwn import escape, user
from bot.core.permissions import may_run_incident
from bot.core.records import IncidentRecord, ItemRecord, TimelineEntry
from bot.deps import Deps
from bot.services.incidents.cards import (
    announce_change,
    close_incident,
    close_out_blocked,
    on_timeline,
    refuse_closed,
    require,
)
from bot.services.incidents.lifecycle import Outcome
from bot.services.people.admins import is_admin
from storage import incidents as store
from storage import queries
from storage.models import Incident

log = logging.getLogger(__name__)


def _refuse_unless_runner(inc: Incident, actor_id: str, admin: bool, what: str) -> None:
    if not may_run_incident(actor_id, commander_id=inc.commander_id, is_admin=admin):
        raise Forbidden(f"Only the commander {user(inc.commander_id)} or an admin can {what} {inc.id}.")


def assign(deps: Deps, *, incident_id: str, actor_id: str, commander_id: str) -> Outcome:
    """Make someone else the commander (the commander or an admin may)."""
    settings, now = deps.settings, deps.now()
    admin = is_admin(deps, actor_id)  # may ask Slack: before the unit of work
    with deps.uow() as session:
        inc = require(session, incident_id, lock=True)
        refuse_closed(inc)
        _refuse_unless_runner(inc, actor_id, admin, "reassign")
        if commander_id == inc.commander_id:
            return Outcome(inc, False)
        previous = inc.commander_id
        inc.commander_id, inc.updated_at = commander_id, now
        if commander_id not in inc.responders:
            inc.responders = [*inc.responders, commander_id]
        announce_change(
            session,
            now=now,
            settings=settings,
            inc=inc,
            render=deps.render.incidents,
            actor_id=actor_id,
            kind="commander-changed",
            summary=f"Commander {user(previous)} → {user(commander_id)}",
            data={"from": previous, "to": commander_id},
            message=deps.render.incidents.note(
                f":busts_in_silhouette: {user(actor_id)} made {user(commander_id)} the commander of "
                f"*{inc.id}* (was {user(previous)})."
            ),
        )
    if inc.channel_id:
        try:
            deps.client.conversations_invite(channel=inc.channel_id, users=commander_id)
        except SlackApiError as exc:  # already_in_channel, or the channel is gone: the thread still has it
            log.info("inviting %s to %s: %s", commander_id, inc.channel_id, exc.response.get("error"))
    return Outcome(inc, True)


def close(deps: Deps, *, incident_id: str, actor_id: str, waiver: str | None = None) -> Outcome:
    """Close a resolved incident now (commander or admin). P0/P1 need a preventative item or a waiver."""
    settings, now = deps.settings, deps.now()
    admin = is_admin(deps, actor_id)
    waiver = rules.clean_text(waiver, what="waiver") or None
    with deps.uow() as session:
        inc = require(session, incident_id, lock=True)
        refuse_closed(inc)
        if inc.status != rules.RESOLVED:
            raise UserError(
                f"{inc.id} is still {inc.status}; resolve it first: "
                f'`/incident resolve {inc.id} "what fixed it"`.'
            )
        _refuse_unless_runner(inc, actor_id, admin, "close")
        if waiver:
            inc.waiver_reason = waiver
            on_timeline(
                session,
                inc.id,
                now=now,
                actor_id=actor_id,
                kind="close-out-waived",
                summary=f"Close-out waived: {escape(waiver)}",
                data={"reason": waiver},
            )
        if close_out_blocked(session, inc):
            raise UserError(f"{inc.id} cannot close yet. {rules.close_out_rule(inc.id)}")
        close_incident(
            session, now=now, settings=settings, inc=inc, actor_id=actor_id, render=deps.render.incidents
        )
    return Outcome(inc, True)


# --- reading ----------------------------------------------------------------------------------------------


def get(deps: Deps, incident_id: str) -> Incident:
    """The incident as stored now (NotFound when there is none)."""
    with deps.uow(readonly=True) as session:
        inc = require(session, incident_id)
        session.expunge_all()
    return inc


def detail(deps: Deps, incident_id: str) -> IncidentDetail:
    now = deps.now()
    with deps.uow(readonly=True) as session:
        inc = require(session, incident_id)
        session.expunge_all()
        events = queries.timeline(session, subject_id=inc.id)
        items = store.linked_items(session, incident_id=inc.id)
        held = rules.monitoring_over(inc, now) and rules.close_out_blocked(
            inc.severity,
            has_preventative_item=store.has_preventative_item(session, incident_id=inc.id),
            waiver_reason=inc.waiver_reason,
        )
        session.expunge_all()  # a read-only unit of work ends in a rollback, which would expire them
    return IncidentDetail(
        IncidentRecord.of(inc),
        tuple(TimelineEntry.of(e) for e in events),
        tuple(ItemRecord.of(i) for i in items),
        held,
    )


def list_incidents(deps: Deps, *, include_closed: bool, limit: int = 25) -> tuple[list[Incident], int]:
    """The newest incidents (open ones only unless `include_closed`) and how many there are in all."""
    with deps.uow(readonly=True) as session:
        rows = store.list_incidents(session, include_closed=include_closed, limit=limit)
        total = store.count_incidents(session, include_closed=include_closed)
        session.expunge_all()
    return rows, total


def held_incidents(deps: Deps, now: datetime) -> list[Incident]:
    """P0/P1 incidents held open by the close-out rule (for the digest)."""
    with deps.uow(readonly=True) as session:
        rows = store.held_for_close_out(session, now=now)
        session.expunge_all()
    return rows
