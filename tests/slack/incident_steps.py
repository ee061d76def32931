"""Steps the incident end-to-end tests share: declare through the modal, find the card, press its buttons."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.slack.ids import Action, View
from bot.slack.ids import IncidentInput as F
from storage.models import Incident
from tests.fakes.signing import (
    Reply,
    SlackDriver,
    plain_value,
    static_select,
    users_select,
)
from tests.fakes.slack_api import FakeSlack
from tests.support import INCIDENT_CHANNEL, BotHarness


def field(name: F, value: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name.value: {name.value: value}}


def declare_values(
    *,
    title: str | None = "API returns 500s",
    severity: str | None = "P0",
    impact: str | None = "All API calls fail",
    users_affected: str | None = "1200",
    commander: str | None = None,
) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {}
    values |= field(F.TITLE, plain_value(title))
    values |= field(F.SEVERITY, static_select(severity))
    values |= field(F.IMPACT, plain_value(impact))
    values |= field(F.USERS_AFFECTED, plain_value(users_affected))
    values |= field(F.COMMANDER, users_select(commander))
    values |= field(F.DETECTION, static_select("manual"))
    return values


def open_declare_modal(slack: SlackDriver, fake: FakeSlack, *, user: str = "UALICE") -> str:
    reply = slack.command("/incident", "", user=user)
    assert reply.status == 200
    views = [vid for vid, v in fake.views.items() if v["callback_id"] == View.INCIDENT_DECLARE.value]
    assert views, "the declare modal did not open"
    return views[-1]


def declare(
    slack: SlackDriver, fake: FakeSlack, bot: BotHarness, *, user: str = "UALICE", **values: Any
) -> Incident:
    """Declare through the modal and wait for the announcement; returns the stored incident."""
    view_id = open_declare_modal(slack, fake, user=user)
    reply = slack.view_submission(
        View.INCIDENT_DECLARE.value, declare_values(**values), user=user, view_id=view_id
    )
    assert reply.status == 200 and not (reply.json() or {}).get("errors"), reply.text
    inc = newest_incident(bot)
    wait_card(fake, inc.id)
    return inc


def newest_incident(bot: BotHarness) -> Incident:
    with bot.uow() as session:
        rows = list(session.exec(select(Incident).order_by(Incident.declared_at.desc(), Incident.id.desc())))  # type: ignore[attr-defined]
    assert rows, "no incident was stored"
    return rows[0]


def incident(bot: BotHarness, incident_id: str) -> Incident:
    with bot.uow() as session:
        inc = session.get(Incident, incident_id)
    assert inc is not None
    return inc


def cards(fake: FakeSlack, incident_id: str, channel: str = INCIDENT_CHANNEL) -> list[dict[str, Any]]:
    """Top-level messages in `channel` whose header names the incident and that carry its card fields."""
    out = []
    for m in fake.messages(channel):
        if m.get("thread_ts"):
            continue
        header = next((b for b in m.get("blocks", []) if b.get("type") == "header"), None)
        if header and header["text"]["text"].startswith(incident_id + " ·"):
            out.append(m)
    return out


def wait_card(fake: FakeSlack, incident_id: str, channel: str = INCIDENT_CHANNEL) -> dict[str, Any]:
    found = fake.wait_for(lambda: cards(fake, incident_id, channel), message=f"the card of {incident_id}")
    return found[0]


def thread(fake: FakeSlack, card: dict[str, Any], channel: str = INCIDENT_CHANNEL) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if m.get("thread_ts") == card["ts"]]


def button_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks", [])
        if b.get("type") == "actions"
        for e in b.get("elements", [])
    ]


def text_of(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: the fallback text and every text in its blocks."""
    parts = [message.get("text", "")]
    for b in message.get("blocks", []):
        if isinstance(b.get("text"), dict):
            parts.append(b["text"].get("text", ""))
        for f in b.get("fields", []) or []:
            parts.append(f.get("text", ""))
        for e in b.get("elements", []) or []:
            if isinstance(e, dict) and e.get("type") == "mrkdwn":
                parts.append(e.get("text", ""))
    return "\n".join(parts)


def press(slack: SlackDriver, action: Action, message: dict[str, Any], *, user: str = "UALICE") -> Reply:
    reply = slack.block_action(action.value, message=message, user=user)
    assert reply.status == 200
    return reply


def submit_update(
    slack: SlackDriver,
    fake: FakeSlack,
    *,
    status: str,
    note: str,
    user: str = "UALICE",
    eta: str | None = None,
    next_update: str | None = None,
) -> Reply:
    view_id = next(
        vid for vid, v in reversed(list(fake.views.items())) if v["callback_id"] == View.INCIDENT_UPDATE.value
    )
    values: dict[str, dict[str, Any]] = {}
    values |= field(F.STATUS, static_select(status))
    values |= field(F.NOTE, plain_value(note))
    values |= field(F.IMPACT, plain_value(None))
    values |= field(F.ETA, plain_value(eta))
    values |= field(F.NEXT_UPDATE, plain_value(next_update))
    return slack.view_submission(View.INCIDENT_UPDATE.value, values, user=user, view_id=view_id)


def settle(bot: BotHarness) -> None:
    """Wait until every queued message has been sent (so a snapshot is not racing the sender)."""
    from storage.models import OutboxMessage

    with bot.uow() as session:
        ids = [m.id for m in session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending"))]
    assert bot.bot.notifier.wait_sent([i for i in ids if i is not None], timeout=10)
