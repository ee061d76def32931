"""Steps shared by the remediation item tests: run a command, press a card button, read the database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from bot.services.items.changes import get_item
from storage import queries
from storage.models import RemediationItem, TimelineEvent
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import snapshot


def run(slack: SlackDriver, text_: str, *, user: str = "UALICE", channel: str = "CGENERAL") -> dict[str, Any]:
    """`/remediate text_` as `user`; the ephemeral answer (asserted to be one)."""
    reply = slack.command("/remediate", text_, user=user, channel=channel)
    assert reply.status == 200, reply.text
    data = reply.json()
    assert isinstance(data, dict), f"no JSON answer to {text_!r}: {reply.text!r}"
    assert data.get("response_type") == "ephemeral", data
    return data


def create(slack: SlackDriver, args: str, *, user: str = "UALICE") -> str:
    """`/remediate track new …`; the new item's id."""
    data = run(slack, f"track new {args}", user=user)
    assert "Created" in data["text"], data["text"]
    return data["text"].split("*")[1]


def refused(data: dict[str, Any], *needles: str) -> str:
    """The answer is a refusal (ephemeral, with the right form) that mentions each of `needles`."""
    shown = data["text"] + json.dumps(data.get("blocks", []))
    assert ":warning:" in shown, data
    for needle in needles:
        assert needle in shown, f"{needle!r} not in {data['text']!r}"
    return data["text"]


def item(bot: Any, item_id: str) -> RemediationItem:
    with bot.deps.uow(readonly=True) as session:
        found = get_item(session, item_id)
        session.expunge_all()
    return found


def events(bot: Any, item_id: str) -> list[TimelineEvent]:
    with bot.deps.uow(readonly=True) as session:
        found = queries.timeline(session, subject_id=item_id)
        session.expunge_all()
    return found


def domain_snapshot(bot: Any) -> dict[str, Any]:
    """Every table but the users.info cache (which a lookup may fill without anything changing), taken once
    the background sender has sent what was already due, so that a snapshot never races a delivery."""
    from sqlmodel import col, select

    from storage.models import OutboxMessage

    with bot.uow() as session:
        due = session.exec(
            select(OutboxMessage.id).where(
                col(OutboxMessage.status) == "pending", col(OutboxMessage.not_before) <= bot.clock()
            )
        ).all()
    bot.bot.notifier.wait_sent([i for i in due if i is not None], timeout=10)
    snap = snapshot(bot.deps.engine)
    snap.pop("slack_user", None)
    return snap


def button(blocks: list[dict[str, Any]], action_id: str) -> tuple[str | None, dict[str, Any]]:
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    raise AssertionError(f"no {action_id} button in {json.dumps(blocks)[:500]}")


def press_ephemeral(
    slack: SlackDriver,
    fake: FakeSlack,
    blocks: list[dict[str, Any]],
    action_id: str,
    *,
    user: str = "UALICE",
    channel: str = "CGENERAL",
    value: str | None = None,
    option: str | None = None,
) -> Any:
    """Press a button of an ephemeral message (a command's answer), as Slack sends it: the container says
    is_ephemeral and the response URL replaces that message. With `option`, choose that value of an
    overflow menu instead."""
    block_id, element = button(blocks, action_id)
    payload = {
        "type": "block_actions",
        **slack._common(user),
        "container": {
            "type": "message",
            "message_ts": "1.000001",
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "channel": slack._channel(channel),
        "response_url": fake.new_response_url(channel=channel, user=user),
        "trigger_id": fake.new_trigger_id(user=user),
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "type": "button",
                "value": value if value is not None else element.get("value"),
                "text": element.get("text"),
                "action_ts": "1.000002",
            }
        ],
    }
    if option is not None:
        action = payload["actions"][0]
        action.update(
            type="overflow", selected_option={"text": {"type": "plain_text", "text": option}, "value": option}
        )
        action.pop("value", None)
    reply = slack._post_payload(payload)
    assert reply.status == 200, reply.text
    return reply


def count(bot: Any, table: str) -> int:
    with bot.deps.engine.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
