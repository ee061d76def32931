"""Admin membership: ADMIN_USERS, and members of ADMIN_USERGROUP (usergroups.users.list, cached briefly)."""

from __future__ import annotations

import logging
import threading
import time

from bot.deps import Deps
from bot.services.people import SLACK_DOWN

log = logging.getLogger(__name__)

_CACHE_SECONDS = 300.0
# By workspace API and group: processes that talk to more than one Slack (tests, a staging bot beside
# production) never answer one with the other's members.
_cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
_lock = threading.Lock()


def _group_members(deps: Deps, group_id: str) -> frozenset[str]:
    key = (deps.settings.slack_api_url, group_id)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1]
    try:
        members = frozenset(deps.client.usergroups_users_list(usergroup=group_id).get("users") or [])
    except SLACK_DOWN as exc:
        log.warning(
            "usergroups.users.list %s failed (%s); treating the group as empty for now", group_id, exc
        )
        return hit[1] if hit is not None else frozenset()
    with _lock:
        _cache[key] = (time.monotonic(), members)
    return members


def is_admin(deps: Deps, user_id: str) -> bool:
    """True for ADMIN_USERS and members of ADMIN_USERGROUP. Call outside a unit of work (it may ask Slack)."""
    if user_id in deps.settings.admins:
        return True
    group = deps.settings.admin_usergroup
    return bool(group) and user_id in _group_members(deps, group)  # type: ignore[arg-type]


def admin_ids(deps: Deps) -> frozenset[str]:
    """Every admin: ADMIN_USERS and the members of ADMIN_USERGROUP. Call outside a unit of work (it may ask
    Slack; when Slack is down, the group's last known members, or none)."""
    group = deps.settings.admin_usergroup
    members = _group_members(deps, group) if group else frozenset()
    return frozenset(deps.settings.admins) | members
