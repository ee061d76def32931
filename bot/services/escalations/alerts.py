"""What people do with an escalation alert: acknowledge it, snooze it, or post a status update.

Each use case reads the alert again, checks the acting user (the owner, the reporter, anyone the ladder
names, or an admin; anyone may post a status update), changes it in one unit of work with a timeline entry
on the item, and brings the alert's messages up to date in place.

A request key (one press, one form; see `bot.slack.dedupe`) is claimed with the change, so a repeated
delivery acts once. Acknowledging records who and when (time-to-acknowledge feeds the weekly report); it
does not stop a higher level from firing later. Snoozing pushes the levels still to come back by the
snoozed time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session

from bot.core.errors import AlreadyDone, Forbidden, NotFound, UserError
from bot.core.escalation.ladder import OPEN_STATUSES, next_rung
from bot.core.mrkdwn import date, escape, truncate, user
from bot.core.timing.durations import format_duration
from bot.core.timing.quiet_hours import tomorrow_at
from bot.deps import Deps
from bot.services import events, outbox
from bot.services.escalations.sweep import KIND, ladder_for, rerender, snooze_state
from bot.services.items import changes as items
from bot.services.people import SLACK_DOWN
from bot.services.people.admins import is_admin
from bot.services.people.users import get_person
from storage import alerts as alert_store
from storage import items as item_store
from storage import queries
from storage.models import Alert

SNOOZE_FOR = timedelta(hours=2)
SNOOZE_MORNING = time(9, 0)
SNOOZE_CHOICES = ("2h", "tomorrow")


def read_alert(deps: Deps, alert_id: int) -> Alert:
    """The escalation alert `alert_id` (detached); NotFound when there is none."""
    return _read(deps, alert_id)


def _read(deps: Deps, alert_id: int) -> Alert:
    """The alert, detached, with the owner and reporter its item has now: an alert that fired before the
    item changed hands must not keep obeying the people who no longer hold it."""
    with deps.uow(readonly=True) as session:
        alert = alert_store.get_alert(session, alert_id=alert_id)
        item = item_store.get_item(session, item_id=alert.subject_id) if alert is not None else None
        session.expunge_all()
    if alert is None or alert.kind != KIND:
        raise NotFound("That alert no longer exists.")
    if item is not None:  # detached: this changes what is checked, never what is stored
        alert.data = {**alert.data, "owner_id": item.owner_id, "reporter_id": item.reporter_id}
    return alert


def _group_members(deps: Deps, group_id: str) -> frozenset[str]:
    try:
        return frozenset(deps.client.usergroups_users_list(usergroup=group_id).get("users") or [])
    except SLACK_DOWN:  # the person can still ask the owner or an admin
        return frozenset()


def may_act(deps: Deps, actor_id: str, alert: Alert) -> bool:
    """The owner, the reporter, anyone named on the ladder (user or user-group member), or an admin.
    Call outside a unit of work (it may ask Slack)."""
    if actor_id in (alert.data.get("owner_id"), alert.data.get("reporter_id")):
        return True
    named = [who for level in deps.settings.escalation_targets.values() for who in level]
    if actor_id in named or is_admin(deps, actor_id):
        return True
    return any(actor_id in _group_members(deps, g) for g in named if g.startswith("S"))


def _refuse_unless_allowed(deps: Deps, actor_id: str, alert: Alert) -> None:
    if may_act(deps, actor_id, alert):
        return
    who = ", ".join(
        x
        for x in (
            f"{user(alert.data['owner_id'])} (owner)" if alert.data.get("owner_id") else "",
            f"{user(alert.data['reporter_id'])} (reporter)" if alert.data.get("reporter_id") else "",
            "the people it escalates to, or an admin",
        )
        if x
    )
    raise Forbidden(f"Only {who} can do that with the alert on *{alert.subject_id}*.")


def _locked(session: Session, alert_id: int) -> Alert:
    alert = alert_store.get_alert(session, alert_id=alert_id, lock=True)
    if alert is None:
        raise NotFound("That alert no longer exists.")
    return alert


def subject_of(alert: Alert) -> str:
    return events.INCIDENT if alert.kind.startswith("incident") else events.ITEM


def _record(
    session: Session, alert: Alert, *, now: datetime, actor_id: str, kind: str, did: str, **data: object
) -> None:
    """The timeline entry of what `actor_id` did with the alert: "Level N escalation <did>"."""
    events.record(
        session,
        subject=subject_of(alert),
        subject_id=alert.subject_id,
        at=now,
        actor_id=actor_id,
        kind=kind,
        summary=f"Level {alert.level} escalation {did}",
        data={"alert_id": alert.id, "level": alert.level, **data},
    )


def _acknowledge_in(session: Session, alert: Alert, *, actor_id: str, now: datetime) -> None:
    alert.acked_by, alert.acked_at = actor_id, now
    waited = now - alert.fired_at
    _record(
        session,
        alert,
        now=now,
        actor_id=actor_id,
        kind="escalation_acknowledged",
        did=f"acknowledged by {user(actor_id)} {format_duration(waited)} after it fired",
        seconds_to_ack=int(waited.total_seconds()),
    )


def _claim(session: Session, request_key: str | None, *, now: datetime, owner: str) -> None:
    """Claim this request (one press, one form) with the change it makes; AlreadyDone when it was made."""
    if request_key and not queries.try_claim(session, key=request_key[:200], now=now, owner=owner):
        raise AlreadyDone(request_key, owner)


def acknowledge(deps: Deps, *, alert_id: int, actor_id: str, request_key: str | None = None) -> str | None:
    """Record who acknowledged and when, and update the alert's messages in place (they say it: nothing
    more to tell, None). Pressing it again is harmless: the answer says who acknowledged it first."""
    alert = _read(deps, alert_id)
    _refuse_unless_allowed(deps, actor_id, alert)
    now = deps.now()
    with deps.uow() as session:
        alert = _locked(session, alert_id)
        if alert.acked_by:
            return f"Already acknowledged by {user(alert.acked_by)} {date(alert.acked_at)}."
        _claim(session, request_key, now=now, owner=alert.subject_id)
        _acknowledge_in(session, alert, actor_id=actor_id, now=now)
        rerender(session, alert, now=now, render=deps.render.alerts)
    return None


def snooze(
    deps: Deps,
    *,
    alert_id: int,
    actor_id: str,
    choice: str,
    request_key: str | None = None,
) -> str:
    """Push the item's next escalation level back: 2 hours, or until tomorrow 09:00 in the owner's time."""
    if choice not in SNOOZE_CHOICES:
        raise UserError(f"Unknown snooze choice `{escape(choice)}`.")
    alert = _read(deps, alert_id)
    _refuse_unless_allowed(deps, actor_id, alert)
    now = deps.now()
    if choice == "2h":
        until, label = now + SNOOZE_FOR, "for 2 hours"
    else:
        owner = alert.data.get("owner_id")
        tz = get_person(deps, owner).tz if owner else deps.settings.tz
        until, label = tomorrow_at(now, tz, SNOOZE_MORNING), f"until tomorrow 09:00 ({tz.key})"
    with deps.uow() as session:
        alert = _locked(session, alert_id)
        _claim(session, request_key, now=now, owner=alert.subject_id)
        already = alert.snoozed_until
        # Only the part not already covered by an earlier snooze pushes the ladder further back.
        added = until - max(now, already) if already else until - now
        alert.snoozed_until = max(until, already) if already else until
        alert.data = {
            **alert.data,
            "snoozed_by": actor_id,
            "snooze_delay_s": float(alert.data.get("snooze_delay_s", 0)) + max(0.0, added.total_seconds()),
        }
        session.flush()
        nxt = _next_level_text(session, alert, deps=deps)
        _record(
            session,
            alert,
            now=now,
            actor_id=actor_id,
            kind="escalation_snoozed",
            did=f"snoozed {label} by {user(actor_id)}, until {date(alert.snoozed_until)}; {nxt}",
            until=alert.snoozed_until.isoformat(),
        )
        rerender(session, alert, now=now, render=deps.render.alerts)
    return f"Snoozed {label}: {nxt}."


def _next_level_text(session: Session, alert: Alert, *, deps: Deps) -> str:
    item = items.get_item(session, alert.subject_id)
    if item.status not in OPEN_STATUSES:
        return "the item is no longer open, so nothing more escalates"
    siblings = alert_store.alerts_for(session, subject_ids=[item.id], kind=KIND)
    state = snooze_state(siblings)
    upcoming = next_rung(
        ladder_for(item.priority, deps.settings),
        state.start(item.deadline),
        {a.level for a in siblings},
        hold_until=state.not_before,
    )
    if upcoming is None:
        return "no higher level is left to fire"
    return f"Level {upcoming.level} now fires {date(upcoming.due_at)} at the earliest"


def post_status_update(
    deps: Deps,
    *,
    alert_id: int,
    actor_id: str,
    text: str,
    request_key: str | None = None,
) -> str:
    """A progress note on the item (it counts as progress), shown in the alert's thread; it acknowledges
    the alert too when nobody had."""
    text = (text or "").strip()
    if not text:
        raise UserError("Write what changed.", field="text")
    alert = _read(deps, alert_id)
    actor = items.actor_for(deps, actor_id)
    channel = deps.settings.incident_channel

    def after(session: Session, view: items.ItemView) -> None:
        now = view.item.updated_at
        _claim(session, request_key, now=now, owner=view.item.id)
        locked = _locked(session, alert_id)
        if not locked.acked_by:
            _acknowledge_in(session, locked, actor_id=actor_id, now=now)
        ref = locked.data.get("channel_ref")
        outbox.post_message(
            session,
            now=now,
            channel=channel,
            thread_ref=ref,
            text=(
                f":memo: Status update on *{locked.subject_id}* from {user(actor_id)}: "
                f"{escape(truncate(text, 2500))}"
            ),
        )
        rerender(session, locked, now=now, render=deps.render.alerts)

    items.add_note(deps, actor=actor, item_id=alert.subject_id, text=text, after=after)
    return f"Posted your status update on *{alert.subject_id}*."
