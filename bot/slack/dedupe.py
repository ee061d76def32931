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

Slash commands carry a ``trigger_id``, unique to one invocation and the same in every delivery of it (Slack
does not retry a command, but a proxy or an attacker may deliver it again). `command_once` wraps the
router's dispatch, so every command gets this without asking: a delivery whose ``command:<trigger_id>`` is
claimed already is answered "already done" and not acted on. Otherwise, while the command runs, each unit
of work that writes anything but a cache claims the key just before it commits, in that same transaction;
a copy that lost the race rolls back with `AlreadyDone` and is answered the same way. A command that writes
nothing is not claimed (a replay of `list` lists again); one that answered by opening a form is remembered
in this process, so a replay answers "already done" instead of failing on a used trigger.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from bot.core.errors import AlreadyDone
from bot.deps import Deps
from bot.slack.router import Reply
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
    return queries.find_claim(deps.engine, key=key[:KEY_MAX])


def claiming(key: str | None, now: datetime, *, then: Any = None) -> Any:
    """An `after` hook for the item services: claim `key` in their unit of work (owned by the item), then
    run `then` (another hook). A key claimed meanwhile raises AlreadyDone, which rolls the change back."""

    def after(session: Session, view: Any) -> None:
        if key and not queries.try_claim(session, key=key[:KEY_MAX], now=now, owner=view.item.id):
            raise AlreadyDone(key)
        if then is not None:
            then(session, view)

    return after


# --- slash commands ------------------------------------------------------------------------------------

REPEATED_COMMAND = "Already done: this command reached me more than once, and I acted on it the first time."
CACHES = frozenset({"slack_user"})  # tables a command may fill without changing anything (users.info)


@dataclass
class _Acting:
    """The command being handled in this thread, and this delivery's mark on its claim."""

    deps: Deps
    key: str
    mark: str
    claimed: bool = False


_acting: ContextVar[_Acting | None] = ContextVar("remediate_acting_command", default=None)
_WRITES = "command_writes"  # Session.info: the tables this unit of work wrote while a command ran


def command_key(trigger_id: str | None) -> str | None:
    return f"command:{trigger_id}"[:KEY_MAX] if trigger_id else None


def command_once(deps: Deps, trigger_id: str | None, dispatch: Callable[[], Reply | None]) -> Reply | None:
    """`dispatch()` (the router handling one slash command) once per `trigger_id`; a repeated delivery
    gets a short "already done" instead (see the module docstring)."""
    key = command_key(trigger_id)
    if key is None:
        return dispatch()
    if _form_opened(deps, key) or seen(deps, key):
        log.info("answered a repeated delivery of a slash command without acting")
        return Reply(REPEATED_COMMAND)
    acting = _Acting(deps, key, mark=f"{deps.worker_id[:40]}:{uuid.uuid4().hex[:16]}")
    token = _acting.set(acting)
    try:
        reply = dispatch()
    except AlreadyDone as done:
        if done.key != key:
            raise
        log.info("a repeated delivery of a slash command lost the race to the first and was rolled back")
        return Reply(REPEATED_COMMAND)
    finally:
        _acting.reset(token)
    if reply is None and not acting.claimed:  # it answered by opening a form: the trigger is used now
        _remember_form(deps, key)
    return reply


# Forms opened by a command, remembered in this process only: opening a form changes nothing, so it leaves
# nothing in the database either. A copy reaching this process is answered "already done"; one reaching
# another replica finds the trigger used at Slack (`exchanged_trigger_id`), which the error handler answers
# the same way.
FORMS_REMEMBERED = 10_000


def _remember_form(deps: Deps, key: str) -> None:
    opened: dict[str, None] = deps.memo.setdefault("forms-opened", {})
    opened[key] = None
    while len(opened) > FORMS_REMEMBERED:
        try:
            opened.pop(next(iter(opened)))
        except (KeyError, RuntimeError, StopIteration):  # another thread trimmed it meanwhile
            break


def _form_opened(deps: Deps, key: str) -> bool:
    return key in deps.memo.get("forms-opened", {})


def _writes(session: OrmSession) -> set[str]:
    return session.info.setdefault(_WRITES, set())  # type: ignore[no-any-return]


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    """Core INSERT/UPDATE/DELETE run through the session (the timeline, the outbox, new items)."""
    if _acting.get() is not None and (state.is_insert or state.is_update or state.is_delete):
        table = getattr(state.statement, "table", None)
        _writes(state.session).add(str(getattr(table, "name", "?")))


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """Rows the ORM is about to write."""
    if _acting.get() is not None:
        rows = (*session.new, *session.dirty, *session.deleted)
        _writes(session).update(str(getattr(obj, "__tablename__", "?")) for obj in rows)


@event.listens_for(Session, "before_commit")
def _claim_command(session: Session) -> None:
    """Claim the running command's key in this unit of work when it changed anything; AlreadyDone (which
    rolls it back) when another delivery of the command holds the key."""
    acting = _acting.get()
    if acting is None or session.in_nested_transaction():  # a savepoint's release is no commit
        return
    session.flush()
    if not _writes(session) - CACHES:
        return
    if queries.try_claim(session, key=acting.key, now=acting.deps.now(), owner=acting.mark):
        acting.claimed = True
        return
    claim = session.get(Claim, acting.key)  # taken: by this delivery's earlier unit of work, or the winner
    if claim is None or claim.owner != acting.mark:  # not this delivery's own earlier unit of work
        raise AlreadyDone(acting.key, claim.owner if claim else "")
