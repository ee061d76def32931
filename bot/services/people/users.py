"""Who people are and which time zone they live in (users.info, cached in the database for a day).

Never called inside a unit of work: a cache miss asks Slack, and no session is held across that call.
When Slack does not answer, the workspace TIMEZONE is used and nothing fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from storage import queries

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(hours=24)
MEMORY_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    real_name: str
    tz: ZoneInfo
    is_bot: bool = False
    deleted: bool = False
    known: bool = True  # False when Slack said user_not_found


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def get_person(deps: Deps, user_id: str) -> Person:
    """The person behind `user_id`; `known=False` if Slack says there is no such user."""
    now = deps.now()
    # Every command reads the typist's time zone: keep it in memory for a few minutes so that the common
    # path costs no database round trip (the database cache below is shared by replicas, for a day).
    remembered = deps.memo.get(("person", user_id))
    if remembered is not None and now - remembered[1] < MEMORY_FOR:
        return remembered[0]  # type: ignore[no-any-return]
    person = _get_person(deps, user_id, now)
    if person.known:
        deps.memo[("person", user_id)] = (person, now)
    return person


def _get_person(deps: Deps, user_id: str, now: datetime) -> Person:
    fallback = deps.settings.tz
    with deps.uow(readonly=True) as session:
        cached = queries.cached_user(session, user_id=user_id)
        if cached is not None and now - cached.fetched_at < CACHE_FOR:
            return Person(
                cached.id,
                cached.name,
                cached.real_name,
                _zone(cached.tz, fallback),
                cached.is_bot,
                cached.deleted,
            )
    try:
        resp = deps.client.users_info(user=user_id)
    except SLACK_DOWN as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        if error == "user_not_found":
            return Person(user_id, user_id, user_id, fallback, known=False)
        log.warning("users.info %s failed (%s); using the cached or workspace time zone", user_id, exc)
        if cached is not None:
            return Person(cached.id, cached.name, cached.real_name, _zone(cached.tz, fallback), cached.is_bot)
        return Person(user_id, user_id, user_id, fallback)
    u = resp.get("user") or {}
    person = Person(
        id=user_id,
        name=u.get("name") or user_id,
        real_name=u.get("real_name") or (u.get("profile") or {}).get("real_name") or u.get("name") or user_id,
        tz=_zone(u.get("tz"), fallback),
        is_bot=bool(u.get("is_bot")),
        deleted=bool(u.get("deleted")),
    )
    with deps.uow() as session:
        queries.put_cached_user(
            session,
            values={
                "id": user_id,
                "name": person.name,
                "real_name": person.real_name,
                "tz": person.tz.key,
                "is_bot": person.is_bot,
                "deleted": person.deleted,
                "fetched_at": now,
            },
        )
    return person


def user_timezone(deps: Deps, user_id: str) -> ZoneInfo:
    return get_person(deps, user_id).tz


def cached_timezones(deps: Deps, user_ids: list[str]) -> dict[str, ZoneInfo]:
    """Time zones from the cache only (no Slack calls): for jobs that handle many people at once.
    People not cached yet get the workspace TIMEZONE."""
    fallback = deps.settings.tz
    with deps.uow(readonly=True) as session:
        # Read the zones inside the unit of work: its rows are expired once it ends.
        zones = {uid: row.tz for uid, row in queries.cached_users(session, user_ids=user_ids).items()}
    return {uid: _zone(zones[uid], fallback) if uid in zones else fallback for uid in user_ids}
