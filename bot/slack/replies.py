"""The one way to answer someone privately: the person who pressed a button, typed a command or sent a form
is told something that only they see.

The answer goes on the payload's ``response_url`` when it has one that is Slack's (`bot.slack.response_urls`
decides; a forged one is never posted to), else with ``chat.postEphemeral`` in the channel the payload came
from, else nowhere (a log line: a modal or the Home tab has neither; `bot.slack.item_surfaces.tell` shows a
refusal there). An answer is a courtesy after the work is done or refused: Slack failing to take it
(`SLACK_DOWN`) is logged and nothing else; any other error is a bug and reaches the error handler.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from bot.slack.response_urls import Responder, slack_response_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Who is answered, and where: the parts of a payload a private answer needs."""

    user_id: str | None = None
    channel_id: str | None = None
    response_url: Any = None  # as the payload has it; checked before it is used

    @classmethod
    def of(cls, body: dict[str, Any]) -> Recipient:
        """From a block action, a slash command, a shortcut or a view submission (its first
        ``response_urls`` entry, which a form has when it asks for one)."""
        user = body.get("user")
        user_id = (user.get("id") if isinstance(user, dict) else None) or body.get("user_id")
        channel = body.get("channel")
        container = body.get("container")
        channel_id = (
            (channel.get("id") if isinstance(channel, dict) else None)
            or (container.get("channel_id") if isinstance(container, dict) else None)
            or body.get("channel_id")
        )
        response_url = body.get("response_url")
        urls = body.get("response_urls")
        if not response_url and isinstance(urls, list) and urls and isinstance(urls[0], dict):
            response_url = urls[0].get("response_url")
            channel_id = channel_id or urls[0].get("channel_id")
        return cls(str(user_id) if user_id else None, str(channel_id) if channel_id else None, response_url)


def tell(
    deps: Deps, to: dict[str, Any] | Recipient, text: str, *, blocks: Any = None, post: bool = True
) -> bool:
    """Show `text` (mrkdwn) to the person behind `to` (a payload, or its `Recipient`) and to them alone.
    True when Slack took it. ``post=False``: on the response URL only, never with a Web API call (the
    error handler's note, when the Web API may be what failed)."""
    who = to if isinstance(to, Recipient) else Recipient.of(to)
    url = slack_response_url(who.response_url, api_url=deps.settings.slack_api_url)
    if url is None and who.response_url:
        log.warning("ignored a response_url that is not Slack's")
    try:
        if url is not None:
            resp = Responder(url)(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            return 200 <= int(getattr(resp, "status_code", 200)) < 300
        if post and who.channel_id and who.user_id:
            fields = {"blocks": blocks} if blocks is not None else {}
            deps.client.chat_postEphemeral(channel=who.channel_id, user=who.user_id, text=text, **fields)
            return True
    except SLACK_DOWN as exc:
        log.info("could not answer %s privately: %s", who.user_id, exc)
        return False
    log.info("a private answer with nowhere to go (no response URL, no channel) for %s", who.user_id)
    return False
