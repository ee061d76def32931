"""Who people are, asked of Slack: names and time zones (`users`), admins (`admins`), @name references
(`refs`).

`SLACK_DOWN` is what a Slack Web API call raises when Slack is the problem — it answered with an error
(`SlackApiError`, a rate limit or an outage included) or did not answer at all (a refused, reset or timed
out connection: ``urllib.error.URLError``, ``TimeoutError`` and ``ConnectionError`` are all ``OSError``; a
connection cut mid-answer is an ``http.client.HTTPException``). A caller that can do without Slack's answer
catches exactly these; anything else is a bug and reaches the error handler, which says so.
"""

from __future__ import annotations

from http.client import HTTPException

from slack_sdk.errors import SlackApiError

SLACK_DOWN: tuple[type[Exception], ...] = (SlackApiError, OSError, HTTPException)
