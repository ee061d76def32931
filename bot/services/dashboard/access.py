"""Who may open the dashboard, personal one-time sign-in links and the sessions they start.

A link is valid 15 minutes and opens once: claiming it is one UPDATE, so two openings at once sign in one
browser. Only SHA-256 hashes of the link's token and of the session cookie are stored.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import quote

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from storage import dashboard as store

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=15)
SIGN_IN_PATH = "/sign-in"
_GROUP_CACHE_SECONDS = 60.0
_group_cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
_lock = threading.Lock()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _group_members(deps: Deps, group_id: str) -> frozenset[str]:
    key = (deps.settings.slack_api_url, group_id)
    with _lock:
        hit = _group_cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < _GROUP_CACHE_SECONDS:
            return hit[1]
    try:
        members = frozenset(deps.client.usergroups_users_list(usergroup=group_id).get("users") or [])
    except SLACK_DOWN as exc:
        log.warning("usergroups.users.list %s failed (%s); refusing dashboard links for now", group_id, exc)
        return hit[1] if hit is not None else frozenset()
    with _lock:
        _group_cache[key] = (time.monotonic(), members)
    return members


def may_open(deps: Deps, user_id: str) -> bool:
    """Everyone, unless DASHBOARD_USERS or DASHBOARD_USERGROUP say who. May ask Slack (the group's members):
    call it outside a unit of work, never while a page is drawn."""
    users, group = deps.settings.dashboard_user_ids, deps.settings.dashboard_usergroup
    if not users and not group:
        return True
    return user_id in users or (bool(group) and user_id in _group_members(deps, group or ""))


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


def issue_link(deps: Deps, *, user_id: str, now: datetime) -> Link:
    """A personal sign-in link for `user_id`; UserError when the dashboard is not set up or they may not
    open it."""
    base = deps.settings.dashboard_base
    if not base:
        raise UserError(
            "The dashboard is not set up here: an admin sets DASHBOARD_URL (or PUBLIC_URL) first."
        )
    if not may_open(deps, user_id):
        raise UserError(
            "The dashboard is open to the people DASHBOARD_USERS and DASHBOARD_USERGROUP name; ask an admin."
        )
    token = secrets.token_urlsafe(32)
    expires = now + LINK_LIFETIME
    with deps.uow() as session:
        store.purge_expired(session, before=now - timedelta(days=1))
        store.add_link(session, token_hash=digest(token), user_id=user_id, now=now, expires_at=expires)
    return Link(url=f"{base}{SIGN_IN_PATH}?token={quote(token)}", expires_at=expires)


class Refused(Enum):
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class SignedIn:
    session_id: str  # the cookie's value (only its hash is stored)
    user_id: str
    expires_at: datetime


def sign_in(deps: Deps, *, token: str, now: datetime) -> SignedIn | Refused:
    """Open a link: a new session, or why not (the link is unknown, expired or already used)."""
    if not token or len(token) > 200:
        return Refused.MISSING if not token else Refused.UNKNOWN
    token_hash = digest(token)
    hours = deps.settings.dashboard_session_hours
    with deps.uow() as session:
        user_id = store.claim_link(session, token_hash=token_hash, now=now)
        if user_id is None:
            link = store.get_link(session, token_hash=token_hash)
            if link is None:
                return Refused.UNKNOWN
            return Refused.USED if link.used_at is not None else Refused.EXPIRED
        session_id = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=hours)
        store.add_session(session, id_hash=digest(session_id), user_id=user_id, now=now, expires_at=expires)
    return SignedIn(session_id, user_id, expires)


def session_user(deps: Deps, *, session_id: str | None, now: datetime) -> str | None:
    if not session_id or len(session_id) > 200:
        return None
    with deps.uow(readonly=True) as session:
        return store.session_user(session, id_hash=digest(session_id), now=now)


def sign_out(deps: Deps, *, session_id: str | None) -> None:
    if not session_id or len(session_id) > 200:
        return
    with deps.uow() as session:
        store.end_session(session, id_hash=digest(session_id))
