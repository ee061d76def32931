"""Incident use cases: declare, acknowledge, post updates, resolve and reopen.

Each use case is one unit of work: it re-reads the incident, applies the rules of `bot.core.incidents.rules`,
appends to the timeline and queues its messages in the same transaction (cards and thread: see
`bot.services.incidents.cards`). Reassigning, closing and reading are in `bot.services.incidents.closeout`.

Timeline summaries of incidents are mrkdwn: mentions as ``<@U…>``, text people typed escaped.

Modal submissions pass a `request_key` (the view id): a second submission of the same modal finds the key
claimed and changes nothing, so a double submit never declares two incidents or posts two announcements.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.errors import Checks, UserError
from bot.core.incidents import rules
from bot.core.mrkdwn import date, escape, truncate, user
from bot.core.records import IncidentRecord
from bot.core.timing.durations import format_duration
from bot.deps import Deps
from bot.services import outbox
from bot.services.incidents.cards import (
    announce_change,
    card_ref,
    clocks_for,
    on_timeline,
    post_in_incident_channel,
    post_in_thread,
    refresh_cards,
    refuse_closed,
    require,
)
from storage import incidents as store
from storage import queries
from storage.models import Incident

log = logging.getLogger(__name__)


class _LostRace(Exception):
    """Another request claimed the same request key first; this transaction is rolled back."""


@dataclass(frozen=True)
class DeclareForm:
    title: str
    severity: str
    impact: str = ""
    users_affected: int | str | None = None  # a number, or as typed ("1,200")
    commander_id: str | None = None
    detection: str = "manual"


@dataclass(frozen=True)
class Outcome:
    """The incident after a use case, and whether this call changed it (False: a harmless repeat)."""

    incident: Incident
    changed: bool


def _claimed(session: Session, request_key: str | None) -> Incident | None:
    if not request_key:
        return None
    owner = store.claim_owner(session, key=request_key)
    return store.get_incident(session, incident_id=owner) if owner else None


def _claim(session: Session, request_key: str | None, *, now: datetime, owner: str) -> None:
    if request_key and not queries.try_claim(session, key=request_key, now=now, owner=owner):
        raise _LostRace


def _repeat(deps: Deps, request_key: str) -> Outcome:
    with deps.uow(readonly=True) as session:
        inc = _claimed(session, request_key)
        session.expunge_all()
    if inc is None:  # the claim's owner is always an incident id; be explicit if that ever breaks
        raise UserError("That form was already submitted.")
    return Outcome(inc, False)


def _once(
    deps: Deps,
    *,
    incident_id: str,
    request_key: str | None,
    now: datetime,
    change: Callable[[Session, Incident], None],
) -> Outcome:
    """Apply `change` to the incident, locked and not closed (it refuses by raising UserError), in one
    unit of work that claims `request_key`: a repeated request, or one that lost the race for its key,
    changes nothing and returns the incident as the first one left it."""
    try:
        with deps.uow() as session:
            if _claimed(session, request_key) is not None:
                return Outcome(require(session, incident_id), False)
            inc = require(session, incident_id, lock=True)
            refuse_closed(inc)
            change(session, inc)
            _claim(session, request_key, now=now, owner=inc.id)
    except _LostRace:
        assert request_key is not None
        return _repeat(deps, request_key)
    return Outcome(inc, True)


# --- declare -------------------------------------------------------------------------------------------


def declare(deps: Deps, *, actor_id: str, form: DeclareForm, request_key: str | None = None) -> Outcome:
    """Create the incident and queue its announcement card to INCIDENT_CHANNEL.

    With `request_key` (the modal's view id) a repeated submission returns the incident it created first.
    Every problem of the form is reported at once (`Invalid`: title, severity, users_affected, impact).
    """
    settings, now = deps.settings, deps.now()
    checks = Checks()
    title = checks("title", rules.clean_title, form.title) or ""
    checks.require("severity", form.severity, "Pick a severity: P0 (production down) to P3 (minor issue).")
    severity = checks("severity", rules.parse_severity, form.severity) or ""
    affected = checks("users_affected", _users_affected, form.users_affected)
    impact = checks("impact", rules.clean_text, form.impact, what="impact") or ""
    checks.done()
    clocks = clocks_for(settings)
    try:
        with deps.uow() as session:
            existing = _claimed(session, request_key)
            if existing is not None:
                return Outcome(existing, False)
            day = now.astimezone(UTC).date()
            inc_id = rules.incident_id(day, queries.next_sequence(session, key=rules.sequence_key(day)))
            _claim(session, request_key, now=now, owner=inc_id)
            commander = form.commander_id or actor_id
            inc = Incident(
                id=inc_id,
                title=title,
                severity=severity,
                status="investigating",
                impact=impact,
                users_affected=affected,
                detection=form.detection if form.detection in rules.DETECTION_METHODS else "manual",
                declared_by=actor_id,
                commander_id=commander,
                responders=list(dict.fromkeys([actor_id, commander])),
                started_at=now,
                declared_at=now,
                updated_at=now,
                next_update_due=clocks.next_update(severity, now),
            )
            session.add(inc)
            on_timeline(
                session,
                inc_id,
                now=now,
                actor_id=actor_id,
                kind="declared",
                summary=f"Declared {severity}: {escape(title)}; commander {user(commander)}",
                data={"severity": severity, "commander": commander},
            )
            post_in_incident_channel(
                session,
                now=now,
                settings=settings,
                message=deps.render.incidents.card(IncidentRecord.of(inc), clocks),
                ref=card_ref(inc_id, settings.incident_channel),
                dedupe_key=card_ref(inc_id, settings.incident_channel),
            )
    except _LostRace:
        assert request_key is not None
        return _repeat(deps, request_key)
    log.info("incident %s declared (%s) by %s", inc.id, severity, actor_id)
    return Outcome(inc, True)


def _users_affected(value: int | str | None) -> int | None:
    return value if isinstance(value, int) else rules.parse_users_affected(value)


def open_incident_channel(deps: Deps, incident_id: str) -> str | None:
    """INCIDENT_CHANNEL_PER_INCIDENT: create ``#inc-…-title``, invite the declarer and commander, post the
    card there. Returns the channel id (None when Slack refused; a note in the thread says why).

    Slack answers synchronously with the new channel's id, which the outbox cannot give back, so this calls
    Slack directly — after the declaring transaction committed and outside any unit of work.
    """
    settings = deps.settings
    with deps.uow(readonly=True) as session:
        inc = require(session, incident_id)
        session.expunge_all()
    if inc.channel_id:
        return inc.channel_id
    base = rules.channel_name(inc.id, inc.title)
    channel_id, name, error = None, base, None
    for candidate in (base, f"{base[:77].rstrip('-_')}-2"):
        try:
            resp = deps.client.conversations_create(name=candidate)
        except SlackApiError as exc:
            error = exc.response.get("error") or "unknown_error"
            if error == "name_taken":
                continue
            break
        channel_id, name = resp["channel"]["id"], candidate
        break
    if channel_id is not None:
        people = list(dict.fromkeys([inc.declared_by, inc.commander_id]))
        try:
            deps.client.conversations_invite(channel=channel_id, users=",".join(people))
        except SlackApiError as exc:
            log.warning("inviting %s to %s failed: %s", people, channel_id, exc.response.get("error"))
    now = deps.now()
    with deps.uow() as session:
        inc = require(session, incident_id, lock=True)
        if channel_id is None:
            log.warning("could not create the channel for %s: %s", incident_id, error)
            post_in_thread(
                session,
                now=now,
                settings=settings,
                inc=inc,
                message=deps.render.incidents.note(
                    f":warning: I could not create a channel for {inc.id} (Slack said `{error}`); "
                    "the incident runs in this thread."
                ),
            )
            return None
        inc.channel_id = channel_id
        inc.updated_at = now
        on_timeline(
            session,
            inc.id,
            now=now,
            actor_id=None,
            kind="channel-created",
            summary=f"Incident channel <#{channel_id}> created",
            data={"channel": channel_id, "name": name},
        )
        text, blocks = deps.render.incidents.card(IncidentRecord.of(inc), clocks_for(settings))
        outbox.post_message(
            session,
            now=now,
            channel=channel_id,
            text=text,
            blocks=blocks,
            ref=card_ref(inc.id, channel_id),
            dedupe_key=card_ref(inc.id, channel_id),
        )
        outbox.update_message(
            session, now=now, ref=card_ref(inc.id, settings.incident_channel), text=text, blocks=blocks
        )
    return channel_id


# --- acknowledge, update, resolve, reopen ----------------------------------------------------------------


def acknowledge(deps: Deps, *, incident_id: str, actor_id: str) -> Outcome:
    """Record who acknowledged and when (stops the initial-response page); a repeat changes nothing."""
    settings, now = deps.settings, deps.now()
    with deps.uow() as session:
        inc = require(session, incident_id, lock=True)
        if inc.acknowledged_at is not None:
            return Outcome(inc, False)
        refuse_closed(inc)
        if inc.status == rules.RESOLVED:
            raise UserError(f"{inc.id} is already resolved; there is nothing to acknowledge.")
        inc.acknowledged_at, inc.acknowledged_by, inc.updated_at = now, actor_id, now
        if actor_id not in inc.responders:
            inc.responders = [*inc.responders, actor_id]
        store.acknowledge_alerts(session, incident_id=inc.id, kind=rules.PAGE, user_id=actor_id, now=now)
        on_timeline(
            session,
            inc.id,
            now=now,
            actor_id=actor_id,
            kind="acknowledged",
            summary=f"Acknowledged by {user(actor_id)}, {format_duration(now - inc.declared_at)} "
            "after declaration",
        )
        refresh_cards(session, now=now, settings=settings, inc=inc, render=deps.render.incidents)
    return Outcome(inc, True)


def post_update(
    deps: Deps,
    *,
    incident_id: str,
    actor_id: str,
    status: str,
    note: str,
    impact: str | None = None,
    eta: str | None = None,
    next_in: timedelta | str | None = None,
    request_key: str | None = None,
) -> Outcome:
    """Post a status update (the status update template) in the thread, move the status, reset the update
    clock. A resolved incident moved back to a working status is reopened; ``resolved`` resolves it.
    `next_in` may be a duration as typed ("30m"). Every problem is reported at once (`Invalid`: status,
    note, impact, next_update); `impact=None` keeps the incident's."""
    checks = Checks()
    status = checks("status", rules.parse_status, status or "") or ""
    cleaned = checks("note", rules.clean_text, note, what="update")
    if cleaned is not None:
        checks.require("note", cleaned, "Say what changed, e.g. “Rolled back deploy 42”.")
    if impact is not None:
        impact = checks("impact", rules.clean_text, impact, what="impact")
    if not isinstance(next_in, timedelta):
        next_in = checks("next_update", rules.parse_next_update, next_in)
    checks.done()
    note = cleaned or ""
    if status == rules.RESOLVED:
        return resolve(
            deps, incident_id=incident_id, actor_id=actor_id, summary=note, request_key=request_key
        )
    settings, now = deps.settings, deps.now()
    clocks = clocks_for(settings)

    def update(session: Session, inc: Incident) -> None:
        previous, reopened = inc.status, inc.status == rules.RESOLVED
        inc.status = status
        if status in rules.MITIGATED_STATUSES and inc.mitigated_at is None:
            inc.mitigated_at = now
        if reopened:
            inc.resolved_at = inc.monitoring_until = None
        if impact is not None:
            inc.impact = impact
        if eta is not None:
            inc.eta = truncate(eta.strip(), 200) or None
        inc.last_update_at = inc.updated_at = now
        inc.next_update_due = clocks.next_update(inc.severity, now, next_in)
        if actor_id not in inc.responders:
            inc.responders = [*inc.responders, actor_id]
        verb = "Reopened" if reopened else "Update"
        announce_change(
            session,
            now=now,
            settings=settings,
            inc=inc,
            render=deps.render.incidents,
            actor_id=actor_id,
            kind="reopened" if reopened else "status-update",
            summary=f"{verb}: {previous.capitalize()} → {status.capitalize()}: {escape(note)}",
            data={"from": previous, "to": status, "note": note, "eta": inc.eta},
            message=deps.render.incidents.status_update(
                IncidentRecord.of(inc), actor_id=actor_id, note=note, reopened=reopened
            ),
            dedupe_key=f"{request_key}:update" if request_key else None,
        )

    return _once(deps, incident_id=incident_id, request_key=request_key, now=now, change=update)


def resolve(
    deps: Deps, *, incident_id: str, actor_id: str, summary: str, request_key: str | None = None
) -> Outcome:
    """Resolve: record what fixed it and start the monitoring period; it closes by itself when that ends."""
    summary = rules.clean_text(summary, what="resolution summary")
    if not summary:
        raise UserError("Say what resolved it (the root cause and the fix).")
    settings, now = deps.settings, deps.now()
    clocks = clocks_for(settings)

    def resolve_it(session: Session, inc: Incident) -> None:
        if inc.status == rules.RESOLVED:
            raise UserError(f"{inc.id} was already resolved {date(inc.resolved_at)}.")
        previous = inc.status
        inc.status = rules.RESOLVED
        inc.resolved_at = inc.last_update_at = inc.updated_at = now
        inc.mitigated_at = inc.mitigated_at or now
        inc.resolution_summary = summary
        inc.monitoring_until = now + clocks.monitoring_for(inc.severity)
        inc.next_update_due = None
        announce_change(
            session,
            now=now,
            settings=settings,
            inc=inc,
            render=deps.render.incidents,
            actor_id=actor_id,
            kind="resolved",
            summary=f"Resolved ({previous.capitalize()} → Resolved): {escape(summary)}",
            data={"from": previous, "summary": summary},
            message=deps.render.incidents.status_update(
                IncidentRecord.of(inc), actor_id=actor_id, note=summary
            ),
            dedupe_key=f"{request_key}:resolve" if request_key else None,
        )

    return _once(deps, incident_id=incident_id, request_key=request_key, now=now, change=resolve_it)


def reopen(
    deps: Deps, *, incident_id: str, actor_id: str, reason: str, status: str = "investigating"
) -> Outcome:
    """Reopen a resolved incident (during its monitoring period) with a status update."""
    with deps.uow(readonly=True) as session:
        inc = require(session, incident_id)
        session.expunge_all()
    refuse_closed(inc)
    if inc.status != rules.RESOLVED:
        raise UserError(f"{inc.id} is not resolved (it is {inc.status}); there is nothing to reopen.")
    return post_update(deps, incident_id=incident_id, actor_id=actor_id, status=status, note=reason)
