"""Text for Slack (escape, mentions, ``<!date>`` tokens): the helpers live in `bot.core.mrkdwn` so that
services and jobs, which may not import the Slack layer, render the same way. Re-exported here."""

from __future__ import annotations

from bot.core.mrkdwn import date, day, escape, plain, truncate, user, users

__all__ = ["date", "day", "escape", "plain", "truncate", "user", "users"]
