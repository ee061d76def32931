"""The sign-in flow over plain HTTP: a signed `/remediate dashboard` gives a link; the link sets the session
cookie once; expired, reused, unknown and missing links are refused without a cookie; every page needs the
session; the headers keep the pages to themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import BotHarness, FakeClock
from tests.web.support import ask_for_link, dashboard_bot, request, sign_in

PAGES = ("/dashboard/", "/dashboard/items", "/dashboard/items.csv", "/dashboard/items/P0-20261123-001")


@pytest.fixture
def web(
    database_url: str, fake_slack: FakeSlack, clock: FakeClock
) -> Iterator[tuple[BotHarness, SlackDriver]]:
    with dashboard_bot(database_url, fake_slack, clock) as pair:
        yield pair


def _rows(bot: BotHarness, table: str) -> list[Any]:
    with bot.deps.engine.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM {table}")))


@pytest.mark.both_backends
def test_a_link_signs_in_once_and_the_cookie_opens_every_page(web, backend):
    bot, slack = web
    link, answer = ask_for_link(slack)
    assert link.startswith(bot.url + "/dashboard/sign-in?token=")
    assert "15 minutes" in answer["text"]
    token = link.split("token=")[1]
    stored = _rows(bot, "dashboard_link")
    assert len(stored) == 1 and token not in str(stored), "only a hash of the token is kept"

    opened = request(link)
    assert opened.status == 303
    assert opened.header("Location") == "/dashboard/"
    (cookie,) = opened.cookies()
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http here: a Secure cookie would never come back
    assert f"max-age={12 * 3600}" in attributes and "path=/dashboard" in attributes
    session = cookie.split(";", 1)[0]
    assert session.split("=", 1)[1] not in str(_rows(bot, "dashboard_session"))

    for path in PAGES[:3]:
        page = request(bot.url + path, cookie=session)
        assert page.status == 200, (path, page.text[:300])
    assert request(bot.url + PAGES[3], cookie=session).status == 404  # no such item: still signed in

    again = request(link)
    assert again.status == 401 and not again.cookies()
    assert "already used" in again.text


def test_an_expired_link_is_refused_and_says_so(web, clock):
    _, slack = web
    link, _ = ask_for_link(slack)
    clock.advance(minutes=15, seconds=1)
    refused = request(link)
    assert refused.status == 401 and not refused.cookies()
    assert "expired" in refused.text and "/remediate dashboard" in refused.text


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-token-I-gave"])
def test_missing_and_unknown_links_are_refused(web, query):
    bot, _ = web
    refused = request(bot.url + "/dashboard/sign-in" + query)
    assert refused.status == 401 and not refused.cookies()
    assert "/remediate dashboard" in refused.text


def test_every_page_answers_401_without_a_session_and_explains(web, clock):
    bot, slack = web
    for path in PAGES:
        for cookie in (None, "remediate_dashboard=forged", "remediate_dashboard=" + "x" * 500):
            page = request(bot.url + path, cookie=cookie)
            assert page.status == 401, path
            assert "/remediate dashboard" in page.text
    session = sign_in(ask_for_link(slack)[0])
    clock.advance(hours=12, seconds=1)  # DASHBOARD_SESSION_HOURS ended
    assert request(bot.url + "/dashboard/", cookie=session).status == 401


def test_security_headers_and_methods(web):
    bot, slack = web
    session = sign_in(ask_for_link(slack)[0])
    for path in ("/dashboard/", "/dashboard/items", "/dashboard/sign-in"):
        page = request(bot.url + path, cookie=session)
        csp = page.header("Content-Security-Policy") or ""
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert page.header("X-Content-Type-Options") == "nosniff"
        assert page.header("Referrer-Policy") == "no-referrer"
        assert page.header("X-Frame-Options") == "DENY"
        assert page.header("Cache-Control") == "no-store"
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert request(bot.url + "/dashboard/items", method=method, cookie=session).status == 405
    assert request(bot.url + "/dashboard/sign-out", cookie=session).status == 405  # GET does not sign out
    foreign = request(
        bot.url + "/dashboard/sign-out",
        method="POST",
        cookie=session,
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status == 403
    assert request(bot.url + "/dashboard/", cookie=session).status == 200
    out = request(bot.url + "/dashboard/sign-out", method="POST", cookie=session)
    assert out.status == 200 and any("Max-Age=0" in c for c in out.cookies())
    assert request(bot.url + "/dashboard/", cookie=session).status == 401


def test_only_the_named_people_get_a_link(database_url, fake_slack, clock):
    fake_slack.add_usergroup("SDASH", "leads", ["UBOB"])
    with dashboard_bot(
        database_url, fake_slack, clock, dashboard_users="UCAROL", dashboard_usergroup="SDASH"
    ) as (bot, slack):
        for user in ("UCAROL", "UBOB"):
            ask_for_link(slack, user=user)
        reply = slack.command("/remediate", "dashboard", user="UALICE").json()
        assert reply["response_type"] == "ephemeral" and "token=" not in reply["text"]
        assert "DASHBOARD_USERS" in reply["text"]
        assert len(_rows(bot, "dashboard_link")) == 2


def test_without_a_dashboard_url_there_is_no_dashboard(database_url, fake_slack, clock):
    with dashboard_bot(database_url, fake_slack, clock, dashboard_url="", public_url="") as (bot, slack):
        assert request(bot.url + "/dashboard/").status == 404
        reply = slack.command("/remediate", "dashboard").json()
        assert "not set up" in reply["text"] and "token=" not in reply["text"]


def test_the_job_runner_serves_the_dashboard_too(database_url, fake_slack, clock):
    from bot.runtime import Bot
    from tests.support import make_settings
    from tests.web.support import dashboard_plug, free_port

    port = free_port()
    settings = make_settings(database_url, fake_slack.url, dashboard_url=f"http://127.0.0.1:{port}")
    runner = Bot(
        settings,
        clock=clock,
        slack=False,
        scheduler=False,
        port=port,
        sender_poll=0.05,
        plugs=[dashboard_plug],
    )
    runner.start()
    try:
        assert request(f"http://127.0.0.1:{port}/dashboard/").status == 401
        assert request(f"http://127.0.0.1:{port}/healthz").status == 200
    finally:
        runner.stop()
