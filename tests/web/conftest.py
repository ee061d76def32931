"""The browser fixtures (tests/web/browser.py) for every test of this folder."""

from tests.web.browser import browser_page, chromium

__all__ = ["browser_page", "chromium"]
