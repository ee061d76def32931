"""Slack delivers some requests more than once; each is acted on once, by whichever replica sees it first.

- Events API: when an answer takes longer than 3 s or fails, Slack sends the same event again (same
  ``event_id``, with ``X-Slack-Retry-Num``), up to three times, possibly to another replica. `register`
  adds a global middleware that claims ``event:<event_id>`` in the database before any listener runs; a
  delivery whose claim is already taken is answered 200 (so Slack stops retrying) and dropped. The same
  holds for Socket Mode, whose envelopes carry the same event payload.
- `claim_once(deps, key)` is that claim for listeners: a ``view_submission`` (by view id and hash), a
  button press (by action ts), anything that must act once however often it arrives.

The claim is committed before the listener runs: a process that dies between the two loses that event
(Slack's retry finds it claimed). Events here are notifications the bot can miss without harm (a Home tab
refresh); acting twice on them would be visible to people, so once-at-most is the right side to err on.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.deps import Deps
from storage import queries

log = logging.getLogger(__name__)

KEY_MAX = 200  # claim.key is VARCHAR(200)


def claim_once(deps: Deps, key: str) -> bool:
    """True for the first caller with `key`, in any replica; False for every later one. One short unit of
    work of its own (never the listener's), committed before this returns."""
    with deps.uow() as session:
        return queries.try_claim(session, key=key[:KEY_MAX], now=deps.now(), owner=deps.worker_id[:64])


def register(app: App, deps: Deps) -> None:
    """Add the event de-duplication middleware (after the workspace guard, so foreign requests claim
    nothing)."""

    def dedupe_events(req: BoltRequest, body: dict[str, Any], context: Any, next: Any) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not claim_once(deps, f"event:{event_id}"):
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("dropped a repeated delivery of event %s (retry %s)", event_id, retry)
            context["outcome"] = "duplicate"
            return BoltResponse(status=200, body="")
        next()
        return None

    app.use(dedupe_events)
