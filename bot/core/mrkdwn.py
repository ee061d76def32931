"""Text for Slack: escape what people typed, mention people, and show times in each reader's timezone.

Pure string helpers (no Slack client): block builders in the Slack layer and the messages services queue
both use them; `bot.slack.blocks.format` re-exports them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


# Bidirectional controls (embeddings, overrides, isolates): in user text they could reverse the words that
# follow it in the same line, the bot's own included.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def isolate(text: str) -> str:
    """`text` as a bidi isolate when it holds bidi controls: whatever direction it sets stops at its end."""
    return f"\u2068{text}\u2069" if _BIDI.search(text) else text


def escape(text: str | None) -> str:
    """Make user text inert in mrkdwn: ``<!channel>`` shows as text and pings nobody, and a right-to-left
    override reverses nothing outside the text."""
    if not text:
        return ""
    return isolate(re.sub(r"[&<>]", lambda m: _ESCAPES[m.group(0)], text))


def unescape(text: str) -> str:
    """What `escape` (and Slack) wrote, as typed: ``&lt;`` ``&gt;`` ``&amp;`` back to ``<`` ``>`` ``&``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str | None, limit: int) -> str:
    """Text for a plain_text field, cut to `limit` characters with an ellipsis."""
    text = (text or "").strip() or "-"
    room = limit - 2 if _BIDI.search(text) else limit  # an isolate takes two characters
    return isolate(text if len(text) <= room else text[: room - 1] + "…")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def user(user_id: str | None) -> str:
    """A mention of a user (``<@U123>``) or of a user group (``<!subteam^S123>``)."""
    if not user_id:
        return "_unassigned_"
    if user_id.startswith("S"):
        return f"<!subteam^{user_id}>"
    return f"<@{user_id}>"


def users(user_ids: list[str]) -> str:
    return " ".join(user(u) for u in user_ids)


def date(dt: datetime | None, fmt: str = "{date_short_pretty} {time}", *, link: str | None = None) -> str:
    """A ``<!date^…>`` token: every reader sees the time in their own timezone; the fallback is UTC."""
    if dt is None:
        return "—"
    dt = dt.astimezone(UTC)
    fallback = dt.strftime("%Y-%m-%d %H:%M UTC")
    suffix = f"^{link}" if link else ""
    return f"<!date^{int(dt.timestamp())}^{fmt}{suffix}|{fallback}>"


def day(dt: datetime | None) -> str:
    return date(dt, "{date_short_pretty}")
