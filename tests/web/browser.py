"""A real headless Chromium for the dashboard's tests (Playwright driving Debian's `chromium`).

- `chromium`: one browser per test session; skipped, saying why, only when the executable is absent.
- `browser_page`: a fresh context (cookies, storage) per test and a page in it, watched: every console
  error, uncaught page error, dialog and request to a host other than the bot's is recorded, and the test
  fails at teardown if any happened (`Watch.allow_dialogs` for a test that checks dialogs itself).
- `Watch.shot(name)` keeps a full-page screenshot as a test artefact in `artifacts/screens/` (gitignored).

The browser is never downloaded: `.ci/run` installs the system package; REMEDIATE_CHROMIUM names another.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("REMEDIATE_CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
# The bot's own origins; anything else the page asks for is an outside request.
OWN_HOSTS = ("127.0.0.1", "localhost")
READER_TZ = "Asia/Tokyo"  # the reader's zone: local times differ from UTC by whole hours
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package, as .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What a page did that a test should fail on, and its screenshots."""

    page: Any
    test: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow_console(self, status: str) -> None:
        """A test that opens a refused page on purpose: Chromium logs the answer's status (401, 404) as a
        console error ("Failed to load resource: … status of 401"); that one message is expected."""
        self.allowed.append(f"status of {status}")

    def shot(self, name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{_SAFE.sub('_', self.test)}--{_SAFE.sub('_', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def problems(self) -> list[str]:
        return (
            [
                f"console error: {e}"
                for e in self.console_errors
                if not (e.startswith("Failed to load resource") and any(a in e for a in self.allowed))
            ]
            + [f"page error: {e}" for e in self.page_errors]
            + [f"outside request: {u}" for u in self.outside]
            + [f"dialog opened: {d}" for d in self.dialogs]
        )


def _is_outside(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return False
    return parts.hostname not in OWN_HOSTS


def watch(context: Any, test: str) -> Watch:
    page = context.new_page()
    w = Watch(page, test)

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            w.console_errors.append(f"{msg.text} ({page.url})")

    def on_request(request: Any) -> None:
        w.requests.append(request.url)
        if _is_outside(request.url):
            w.outside.append(request.url)

    def on_dialog(dialog: Any) -> None:
        w.dialogs.append(f"{dialog.type}: {dialog.message} ({page.url})")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: w.page_errors.append(f"{exc} ({page.url})"))
    page.on("dialog", on_dialog)
    context.on("request", on_request)
    # An outside request is recorded above and never leaves the machine.
    context.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]).*"), _abort_outside)
    return w


def _abort_outside(route: Any) -> None:
    if _is_outside(route.request.url):
        route.abort()
    else:
        route.continue_()


@pytest.fixture
def browser_page(chromium: Any, request: Any) -> Iterator[Watch]:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=READER_TZ
    )
    w = watch(context, request.node.name)
    try:
        yield w
    finally:
        context.close()
    problems = w.problems()
    assert not problems, "\n".join(problems)
