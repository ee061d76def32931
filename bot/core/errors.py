"""Errors that carry a message for the person who typed the command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class UserError(Exception):
    """Bad input, or a request refused. `message` says what was wrong; `usage` shows the right form; `field`
    names the input that holds the problem, as the use case names it (a form shows the message next to
    that input). Nothing was changed. This is the one refusal type: services raise it, every surface
    (command reply, modal field error, private reply to a button) shows its message."""

    def __init__(self, message: str, usage: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.field = field

    @property
    def problems(self) -> dict[str, str]:
        """Each named input and what is wrong with it (empty when no input is named)."""
        return {self.field: self.message} if self.field else {}


class Invalid(UserError):
    """Several inputs are wrong at once; `problems` maps each input's name to its message."""

    def __init__(self, problems: dict[str, str]):
        first = next(iter(problems))
        super().__init__(problems[first], field=first)
        self._problems = dict(problems)

    @property
    def problems(self) -> dict[str, str]:
        return dict(self._problems)


@contextmanager
def about(field: str) -> Iterator[None]:
    """A UserError raised inside (that names no input yet) is about `field`."""
    try:
        yield
    except UserError as err:
        if err.field is None:
            err.field = field
        raise


class Checks:
    """Checks several inputs and reports every problem at once: ``value = checks("title", parse, raw)``
    returns the parsed value (None when it failed), then `done()` raises `Invalid` if anything failed."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def __call__(self, field: str, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parse(*args, **kwargs)
        except UserError as err:
            for name, message in (err.problems or {field: err.message}).items():
                self.problems.setdefault(name, message)
            return None

    def require(self, field: str, value: Any, message: str) -> None:
        """`value` must be given (not empty)."""
        if not value or (isinstance(value, str) and not value.strip()):
            self.problems.setdefault(field, message)

    def done(self) -> None:
        if self.problems:
            raise Invalid(self.problems)


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
