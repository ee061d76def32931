"""Errors that carry a message for the person who typed the command."""

from __future__ import annotations


class UserError(Exception):
    """Bad input. `message` says what was wrong; `usage` shows the right form. Nothing was changed."""

    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage


class NotFound(UserError):
    """An id that names nothing."""


class Forbidden(UserError):
    """The acting user may not do this; the message says who can."""


class AlreadyDone(Exception):
    """This very request (a repeated delivery, a double submit) was handled before: its key is claimed.
    The transaction that found out is rolled back; the caller answers as the first time did."""

    def __init__(self, key: str, owner: str = ""):
        super().__init__(key)
        self.key = key
        self.owner = owner  # what the first handling made or changed (an item id), when it says
