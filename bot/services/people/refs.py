"""Who a person typed: ``<@U123|alice>`` (what Slack sends for a mention), ``U123``, ``@alice`` or ``alice``.

Call outside a unit of work: an id is checked with users.info (cached), a bare name is looked up in the
users we have cached and then in users.list. Nothing is written for a name that matches nobody.
"""

from __future__ import annotations

import logging
import re
from itertools import islice

from sqlalchemy import func, or_, select
from sqlmodel import col

from bot.core.errors import UserError
from bot.core.items.rules import shown
from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from bot.services.people.users import get_person
from storage.models import SlackUser

log = logging.getLogger(__name__)

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_LIST_PAGES = 5


def resolve_user(deps: Deps, text: str) -> str:
    """The Slack user id `text` names; UserError when it names nobody (or a deactivated account)."""
    raw = (text or "").strip()
    m = _MENTION.match(raw)
    user_id = m.group(1) if m else (raw if _USER_ID.match(raw) else None)
    if user_id is None:
        name = raw.lstrip("@").strip().lower()
        if not name or not re.fullmatch(r"[\w.\-' ]{1,80}", name):
            raise UserError(f"`{shown(raw)}` is not a person; mention them, e.g. `--owner @alice`.")
        user_id = _find_by_name(deps, name)
        if user_id is None:
            raise UserError(
                f"I don't know a user called `@{shown(name)}`. Mention them with @ so that Slack fills in "
                "who they are."
            )
    person = get_person(deps, user_id)
    if not person.known:
        raise UserError(f"There is no user `{shown(user_id)}` in this workspace.")
    if person.deleted:
        raise UserError(f"<@{user_id}> has been deactivated; choose someone who can do the work.")
    return user_id


def _find_by_name(deps: Deps, name: str) -> str | None:
    with deps.uow(readonly=True) as session:
        found = session.scalars(
            select(col(SlackUser.id)).where(
                or_(func.lower(col(SlackUser.name)) == name, func.lower(col(SlackUser.real_name)) == name),
                col(SlackUser.deleted).is_(False),
            )
        ).first()
    if found:
        return str(found)
    try:
        # The response follows response_metadata.next_cursor itself, one page per iteration.
        for page in islice(deps.client.users_list(limit=200), _LIST_PAGES):
            for member in page.get("members") or []:
                profile = member.get("profile") or {}
                names = {
                    str(member.get("name") or "").lower(),
                    str(member.get("real_name") or profile.get("real_name") or "").lower(),
                    str(profile.get("display_name") or "").lower(),
                }
                if name in names and not member.get("deleted"):
                    return str(member["id"])
    except SLACK_DOWN as exc:
        log.warning("users.list failed while looking for @%s: %s", name, exc)
    return None
