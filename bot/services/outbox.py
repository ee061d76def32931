"""Queue deliveries inside the caller's unit of work (the transactional outbox).

Every outward effect is a delivery: a row naming its destination (``slack`` for the functions below; any
other destination through `deliver`), its method, its payload and its idempotency key. Nothing here calls
anything: each destination's worker (`bot.delivery.worker`; Slack's is `bot.slack.notifier`) sends what is
queued, retries it and marks it sent once. A delivery written here is committed with the state change that
caused it, or not at all.

Payloads may name other messages by *ref* (a stable string such as ``incident-card:INC-20251010-001``):
- ``ref``: remember where this message lands, so it can later be updated in place or threaded under;
- ``payload["thread_ref"]``: post in the thread of that message;
- ``update_message(ref=…)``: ``chat.update`` the message that ref names.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.logs import request_id
from storage import queries
from storage.models import OutboxMessage

REQUEST_ID_KEY = "_request_id"
NOTICE_KEY = "_notice"  # a DM the sender holds during its recipient's quiet hours (removed before sending)


def deliver(
    session: Session,
    *,
    destination: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    key: str | None = None,
    pace_key: str = "",
    not_before: datetime | None = None,
) -> int | None:
    """Queue one delivery to `destination` (``github``, ``pagerduty``, ``email``, ``webhook``, …) and return
    its outbox id; None when `key` (its idempotency key) was queued before. Deliveries with one `pace_key`
    are sent in order, one at a time (a retry holds the rest back)."""
    return enqueue(
        session,
        method=method,
        payload=payload,
        now=now,
        dedupe_key=key,
        not_before=not_before,
        channel_key=pace_key,
        destination=destination,
    )


def enqueue(
    session: Session,
    *,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    ref: str | None = None,
    channel_key: str = "",
    destination: str = "slack",
) -> int | None:
    """Queue one Web API call and return its outbox id. With `dedupe_key`, a second enqueue of the same key
    is a no-op (None).

    The row is INSERTed at once (it is never in the ORM's unit of work), so it commits or rolls back with
    the caller's transaction like everything else in it.

    The current request id travels with the message (``_request_id``, removed before sending), so the
    sender's log lines for it carry the id of the command that caused it."""
    rid = request_id.get()
    if rid != "-":
        payload = {**payload, REQUEST_ID_KEY: rid}
    return queries.insert_outbox(
        session,
        values={
            "dedupe_key": dedupe_key,
            "destination": destination,
            "method": method,
            "payload": payload,
            "channel_key": channel_key or str(payload.get("channel", "")),
            "ref": ref,
            "not_before": not_before or now,
            "created_at": now,
        },
    )


def post_message(
    session: Session,
    *,
    now: datetime,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ref: str | None = None,
    ref: str | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    unfurl: bool = False,
    extra: dict[str, Any] | None = None,
) -> int | None:
    """Queue ``chat.postMessage``. `text` is the fallback shown in notifications; always give it. `extra`:
    keys for the sender (named ``_…``), removed before the call."""
    if not text:
        raise ValueError("every message needs fallback text")
    payload: dict[str, Any] = {
        "channel": channel,
        "text": text,
        "unfurl_links": unfurl,
        "unfurl_media": unfurl,
        **(extra or {}),
    }
    if blocks:
        payload["blocks"] = blocks
    if thread_ref:
        payload["thread_ref"] = thread_ref
    return enqueue(
        session,
        method="chat.postMessage",
        payload=payload,
        now=now,
        dedupe_key=dedupe_key,
        not_before=not_before,
        ref=ref,
    )


def send_dm(
    session: Session,
    *,
    now: datetime,
    user_id: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    ref: str | None = None,
    notice: bool = False,
) -> int | None:
    """Queue a direct message (``chat.postMessage`` to the user id opens the DM).

    `notice=True` for what a person is told about their work (assignments, reminders, escalations, ...):
    the sender holds it while the recipient's quiet hours last (`core.timing.quiet_hours`). Pages (the on-call
    page, anything about a P0: see `quiet_hours.is_page`) and answers to what the recipient has just done
    leave it False and go at once."""
    return post_message(
        session,
        now=now,
        channel=user_id,
        text=text,
        blocks=blocks,
        dedupe_key=dedupe_key,
        not_before=not_before,
        ref=ref,
        extra={NOTICE_KEY: True} if notice else None,
    )


def update_message(
    session: Session,
    *,
    now: datetime,
    ref: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue ``chat.update`` of the message remembered under `ref` (sent after that message is)."""
    payload: dict[str, Any] = {"ref": ref, "text": text}
    if blocks is not None:
        payload["blocks"] = blocks
    return enqueue(
        session, method="chat.update", payload=payload, now=now, dedupe_key=dedupe_key, channel_key=ref
    )


def revise_pending(
    session: Session, *, ref: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> bool:
    """Rewrite the not-yet-sent message remembered under `ref` (e.g. a DM held for quiet hours) so it goes
    out as it should read now. False when it was sent, or a sender has leased it (it may be on the wire):
    then update it in place with `update_message`."""
    stmt = select(OutboxMessage).where(OutboxMessage.ref == ref, OutboxMessage.status == "pending")
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # wait for a sender leasing it right now, then see its lease
    row = session.scalars(stmt).first()
    if row is None or row.leased_by is not None:
        return False
    payload = {**row.payload, "text": text}
    if blocks is not None:
        payload["blocks"] = blocks
    row.payload = payload
    return True


def publish_home(session: Session, *, now: datetime, user_id: str, view: dict[str, Any]) -> int | None:
    return enqueue(
        session,
        method="views.publish",
        payload={"user_id": user_id, "view": view},
        now=now,
        channel_key=f"home:{user_id}",
    )


def upload_file(
    session: Session,
    *,
    now: datetime,
    channel: str,
    filename: str,
    content: bytes,
    title: str,
    initial_comment: str,
    dedupe_key: str | None = None,
    thread_ref: str | None = None,
) -> int | None:
    """Queue a file share (``files.getUploadURLExternal`` + ``files.completeUploadExternal``)."""
    payload: dict[str, Any] = {
        "channel": channel,
        "filename": filename,
        "title": title,
        "initial_comment": initial_comment,
        "content_b64": base64.b64encode(content).decode("ascii"),
    }
    if thread_ref:
        payload["thread_ref"] = thread_ref
    return enqueue(session, method="files.upload_v2", payload=payload, now=now, dedupe_key=dedupe_key)
