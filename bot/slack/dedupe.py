"""Slack delivers some requests more than once; each is acted on once, by whichever replica sees it first.

- Events API: when an answer takes longer than 3 s or fails, Slack sends the same event again (same
  ``event_id``, with ``X-Slack-Retry-Num``), up to three times, possibly to another replica.
  `repeated_event` claims ``event:<event_id>`` in the database before any listener runs; a delivery whose
  claim is already taken is answered 200 (so Slack stops retrying) and dropped. The same holds for Socket
  Mode, whose envelopes carry the same event payload.
- `claim_once(deps, key)` is that claim for listeners, committed on its own before they act.

The event claim is committed before the listener runs: a process that dies between the two loses that event
(Slack's retry finds it claimed). Events here are notifications the bot can miss without harm (a Home tab
refresh); acting twice on them would be visible to people, so once-at-most is the right side to err on.

Button presses and modal submissions are different: a refused one must leave the database as it was, and a
modal answered with field errors is submitted again, corrected, under the same view id. So their key
(`press_key`: the presser, the control and Slack's action_ts, identical in a repeated delivery of one press;
`view_key`: the view id) is claimed by `claiming` inside the unit of work that makes the change, and only
if it commits. A listener asks `seen` first to answer a repeat quietly; two copies racing each other meet
at the claim, where the second rolls back with `AlreadyDone`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest
from sqlmodel import Session

from bot.core.errors import AlreadyDone
from bot.deps import Deps
from storage import queries
from storage.models import Claim

log = logging.getLogger(__name__)

KEY_MAX = 200  # claim.key is VARCHAR(200)


def claim_once(deps: Deps, key: str) -> bool:
    """True for the first caller with `key`, in any replica; False for every later one. One short unit of
    work of its own (never the listener's), committed before this returns."""
    with deps.uow() as session:
        return queries.try_claim(session, key=key[:KEY_MAX], now=deps.now(), owner=deps.worker_id[:64])


def repeated_event(deps: Deps, req: BoltRequest) -> BoltResponse | None:
    """The answer to a repeated delivery of an event (200, nothing done), or None for a first delivery,
    whose claim this takes. Runs before any listener (`bot.slack.app.Gate`, after the workspace guard, so
    foreign requests claim nothing)."""
    body = req.body
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not claim_once(deps, f"event:{event_id}"):
        retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
        log.info("dropped a repeated delivery of event %s (retry %s)", event_id, retry)
        req.context["outcome"] = "duplicate"
        return BoltResponse(status=200, body="")
    return None


def press_key(body: dict[str, Any]) -> str | None:
    """The key of one button press: the same in every delivery of it, different for a second click."""
    action = (body.get("actions") or [{}])[0] or {}
    user = (body.get("user") or {}).get("id")
    if not action.get("action_ts") or not user:
        return None
    return f"press:{user}:{action.get('action_id')}:{action.get('action_ts')}"


def view_key(body: dict[str, Any]) -> str | None:
    """The key of one modal's submission (a corrected resubmission after field errors claims it then)."""
    view_id = (body.get("view") or {}).get("id")
    return f"view:{view_id}" if view_id else None


def seen(deps: Deps, key: str | None) -> Claim | None:
    """The claim of `key` when that request was handled already (read only)."""
    if not key:
        return None
    with deps.uow(readonly=True) as session:
        claim = session.get(Claim, key[:KEY_MAX])
        session.expunge_all()
    return claim


def claiming(key: str | None, now: datetime, *, then: Any = None) -> Any:
    """An `after` hook for the item services: claim `key` in their unit of work (owned by the item), then
    run `then` (another hook). A key claimed meanwhile raises AlreadyDone, which rolls the change back."""

    def after(session: Session, view: Any) -> None:
        if key and not queries.try_claim(session, key=key[:KEY_MAX], now=now, owner=view.item.id):
            raise AlreadyDone(key)
        if then is not None:
            then(session, view)

    return after
