"""A Slack thread as the document to extract from: its parent and every reply, read with
conversations.replies page by page (the cursor Slack gives), waiting out a rate limit as Slack asks.

    document = read_thread(deps, channel_id="C…", thread_ts="1700000000.000100")   # ThreadProblem

A message that is not part of a thread reads as a one-message document. The bot's own messages and
channel notices (joins, topic changes) are left out. The source every item records is the thread's
permalink. Call outside a unit of work.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.errors import UserError
from bot.core.mrkdwn import unescape
from bot.deps import Deps
from bot.services.extraction.preview import MAX_BYTES, Document
from bot.services.people import SLACK_DOWN

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # messages per conversations.replies call (Slack suggests no more than 200)
MAX_PAGES = 50  # 10,000 messages: far beyond any thread Slack shows
MAX_WAIT = 30.0  # seconds one Retry-After may ask before the bot gives up and says so
MAX_WAITS = 5  # rate-limit waits per thread
READING = "Reading the thread…"
KEPT_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}  # people's messages

_TOKEN = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")

sleep: Callable[[float], None] = time.sleep  # how a rate limit is waited out (tests record the waits)


class ThreadProblem(UserError):
    """The thread cannot be read: the bot is not in the channel, a DM, the message is gone, Slack is down."""


def read_thread(deps: Deps, *, channel_id: str, thread_ts: str) -> Document:
    """The thread at `thread_ts` in `channel_id` as a document, messages oldest first, one paragraph
    each; at most MAX_BYTES of text (the rest is left out, and said)."""
    if not re.fullmatch(r"[CG][A-Z0-9]{2,30}", channel_id or ""):
        raise ThreadProblem(_DM if (channel_id or "").startswith("D") else _UNKNOWN)
    if not re.fullmatch(r"[0-9]{1,12}\.[0-9]{1,8}", thread_ts or ""):
        raise ThreadProblem("I could not tell which message that was; try the shortcut again.")
    paragraphs: list[str] = []
    size = 0
    read = kept = 0
    cut = False
    for message in _messages(deps, channel_id, thread_ts):
        read += 1
        if message.get("bot_id") or message.get("subtype") not in KEPT_SUBTYPES:
            continue
        text = as_text(str(message.get("text") or "")).strip()
        if not text:
            continue
        if size + len(text.encode()) + 2 > MAX_BYTES:
            cut = True
            break
        paragraphs.append(text)
        size += len(text.encode()) + 2
        kept += 1
    if not paragraphs:
        raise ThreadProblem("There is no text in that thread to read.")
    notes: tuple[str, ...] = ()
    if cut:
        notes = (
            f"the thread is longer than {MAX_BYTES // 1000} KB: only its first {kept} messages were read",
        )
    log.info("read thread %s/%s: %d messages, %d kept", channel_id, thread_ts, read, kept)
    return Document("\n\n".join(paragraphs), _source(deps, channel_id, thread_ts), notes=notes)


def as_text(text: str) -> str:
    """A message's text as the extractor reads it: user mentions stay ``<@U…>`` (owners), channels become
    ``#name``, links their label (or address), entities are decoded."""

    def replace(m: re.Match[str]) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            return f"<@{target}>"
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            return "@" + (label or target.split("^")[0])
        return label or target

    return unescape(_TOKEN.sub(replace, text))


_DM = "I can read threads in channels only, not in direct messages: copy the text into `/remediate extract`."
_UNKNOWN = "I cannot see that conversation."


def _messages(deps: Deps, channel_id: str, thread_ts: str) -> Any:
    cursor: str | None = None
    waits = 0
    pages = 0
    while pages < MAX_PAGES:
        try:
            answer = deps.client.conversations_replies(
                channel=channel_id, ts=thread_ts, limit=PAGE_SIZE, cursor=cursor
            )
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            if status == 429 and waits < MAX_WAITS:
                wait = _retry_after(exc)
                if wait <= MAX_WAIT:
                    waits += 1
                    log.info("conversations.replies rate limited; waiting %.0f s", wait)
                    sleep(wait)
                    continue
            raise ThreadProblem(_refusal(exc, channel_id)) from None
        except SLACK_DOWN as exc:
            log.warning("conversations.replies %s/%s failed: %s", channel_id, thread_ts, exc)
            raise ThreadProblem("Slack did not answer while I read the thread; try again.") from None
        pages += 1
        yield from answer.get("messages") or []
        cursor = ((answer.get("response_metadata") or {}).get("next_cursor") or "").strip()
        if not cursor or not answer.get("has_more", True):
            return


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("Retry-After") or headers.get("retry-after") or 1))
    except (TypeError, ValueError):
        return 1.0


def _refusal(exc: SlackApiError, channel_id: str) -> str:
    error = str(exc.response.get("error") or "")
    if error == "not_in_channel":
        return (
            f"I am not in <#{channel_id}>, so I cannot read its threads. Invite me with `/invite @remediate` "
            "and try again."
        )
    if error == "channel_not_found":
        return (
            "I cannot see that channel. If it is private, invite me with `/invite @remediate` and try again."
        )
    if error == "missing_scope":
        return _DM
    if error in ("thread_not_found", "message_not_found"):
        return "That message is gone; nothing to read."
    if error == "ratelimited":
        return "Slack asks me to slow down; try again in a minute."
    log.warning("conversations.replies refused: %s", error)
    return f"Slack would not let me read the thread ({error or 'no reason given'}); try again."


def _source(deps: Deps, channel_id: str, thread_ts: str) -> str:
    """The thread's permalink, or where it is when Slack gives none."""
    try:
        link = deps.client.chat_getPermalink(channel=channel_id, message_ts=thread_ts).get("permalink")
    except SLACK_DOWN as exc:
        log.warning("chat.getPermalink %s/%s failed: %s", channel_id, thread_ts, exc)
        link = None
    return str(link or f"the Slack thread {thread_ts} in channel {channel_id}")
