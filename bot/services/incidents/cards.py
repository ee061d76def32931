"""Where an incident's messages go: its cards (updated in place) and its thread; plus the shared steps.

The announcement card is posted under the ref ``incident-card:<id>:<channel>`` (INCIDENT_CHANNEL, and the
incident's own channel when it has one); every change updates each card in place with chat.update. Status
updates, notes and nudges are replies in the thread of the card in INCIDENT_CHANNEL.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.config import Settings
from bot.core.errors import NotFound, UserError
from bot.core.incidents import rules
from bot.core.mrkdwn import date
from bot.core.records import IncidentRecord
from bot.services import events, outbox
from bot.services.rendering import IncidentMessages
from storage import incidents as store
from storage.models import Incident


def clocks_for(settings: Settings) -> rules.IncidentClocks:
    return rules.IncidentClocks.parse(
        response=settings.incident_response,
        update=settings.incident_update,
        resolution=settings.incident_resolution,
        monitoring=settings.incident_monitoring,
        level2=settings.incident_escalation_l2_after,
        level3=settings.incident_escalation_l3_after,
    )


def card_ref(incident_id: str, channel: str) -> str:
    return f"incident-card:{incident_id}:{channel}"


def thread_ref(settings: Settings, incident_id: str) -> str:
    """The incident's thread: replies under its card in INCIDENT_CHANNEL."""
    return card_ref(incident_id, settings.incident_channel)


def card_channels(settings: Settings, inc: Incident) -> list[str]:
    channels = [settings.incident_channel]
    if inc.channel_id and inc.channel_id not in channels:
        channels.append(inc.channel_id)
    return channels


def require(session: Session, incident_id: str, *, lock: bool = False) -> Incident:
    """The incident, or NotFound. Use cases that change it pass `lock` (one change at a time)."""
    inc = store.get_incident(session, incident_id=incident_id, for_update=lock)
    if inc is None:
        raise NotFound(f"There is no incident {incident_id}; `/incident list all` shows every incident.")
    return inc


def refuse_closed(inc: Incident) -> None:
    if inc.status == rules.CLOSED:
        raise UserError(
            f"{inc.id} was closed {date(inc.closed_at)}; it takes no more changes. "
            "Declare a new incident if the problem is back."
        )


def close_out_blocked(session: Session, inc: Incident) -> bool:
    """Whether the close-out rule keeps `inc` open: a P0/P1 with no preventative item and no waiver."""
    return rules.close_out_blocked(
        inc.severity,
        has_preventative_item=store.has_preventative_item(session, incident_id=inc.id),
        waiver_reason=inc.waiver_reason,
    )


def on_timeline(
    session: Session,
    incident_id: str,
    *,
    now: datetime,
    actor_id: str | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> None:
    """An entry on the incident's timeline (mrkdwn `summary`), published as an event."""
    events.record(
        session,
        subject=events.INCIDENT,
        subject_id=incident_id,
        at=now,
        actor_id=actor_id,
        kind=kind,
        summary=summary,
        data=data,
    )


def refresh_cards(
    session: Session, *, now: datetime, settings: Settings, inc: Incident, render: IncidentMessages
) -> None:
    """Queue chat.update of every card of the incident (the main channel and its own channel)."""
    text, blocks = render.card(IncidentRecord.of(inc), clocks_for(settings))
    for channel in card_channels(settings, inc):
        outbox.update_message(session, now=now, ref=card_ref(inc.id, channel), text=text, blocks=blocks)


def post_in_incident_channel(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    message: tuple[str, list[dict]],
    ref: str | None = None,
    thread_ref: str | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a message in INCIDENT_CHANNEL (under `ref`; in the thread of `thread_ref`). Returns its id."""
    text, blocks = message
    return outbox.post_message(
        session,
        now=now,
        channel=settings.incident_channel,
        text=text,
        blocks=blocks,
        thread_ref=thread_ref,
        ref=ref,
        dedupe_key=dedupe_key,
    )


def post_in_thread(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    inc: Incident,
    message: tuple[str, list[dict]],
    dedupe_key: str | None = None,
    also_incident_channel: bool = False,
) -> list[int]:
    """Queue a reply in the incident's thread (and, if asked, in its own channel). Returns outbox ids."""
    text, blocks = message
    queued = [
        post_in_incident_channel(
            session,
            now=now,
            settings=settings,
            message=message,
            thread_ref=thread_ref(settings, inc.id),
            dedupe_key=dedupe_key,
        )
    ]
    if also_incident_channel and inc.channel_id and inc.channel_id != settings.incident_channel:
        queued.append(
            outbox.post_message(
                session,
                now=now,
                channel=inc.channel_id,
                text=text,
                blocks=blocks,
                dedupe_key=f"{dedupe_key}:{inc.channel_id}" if dedupe_key else None,
            )
        )
    return [m for m in queued if m is not None]


def announce_change(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    inc: Incident,
    render: IncidentMessages,
    actor_id: str | None,
    kind: str,
    summary: str,
    data: dict | None = None,
    message: tuple[str, list[dict]],
    dedupe_key: str | None = None,
) -> list[int]:
    """The last steps of every change a person sees: the timeline entry (`kind`, `summary`, `data`), the
    message in the thread and the incident's own channel, and its cards redrawn. Returns the outbox ids."""
    on_timeline(
        session,
        inc.id,
        now=now,
        actor_id=actor_id,
        kind=kind,
        summary=summary,
        data=data,
    )
    ids = post_in_thread(
        session,
        now=now,
        settings=settings,
        inc=inc,
        message=message,
        dedupe_key=dedupe_key,
        also_incident_channel=True,
    )
    refresh_cards(session, now=now, settings=settings, inc=inc, render=render)
    return ids


def close_incident(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    inc: Incident,
    actor_id: str | None,
    render: IncidentMessages,
) -> list[int]:
    """Close a resolved incident: status, timeline, a note in its thread and its cards."""
    inc.status = rules.CLOSED
    inc.closed_at = now
    inc.next_update_due = None
    inc.updated_at = now
    ids = announce_change(
        session,
        now=now,
        settings=settings,
        inc=inc,
        render=render,
        actor_id=actor_id,
        kind="closed",
        summary="Closed" if actor_id else "Closed after the monitoring period",
        message=render.closed(IncidentRecord.of(inc), actor_id=actor_id, waived=bool(inc.waiver_reason)),
        dedupe_key=f"incident-closed:{inc.id}",
    )
    return ids
