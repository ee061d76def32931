"""Which WEBHOOK_URLS are refused at start: plain http:// unless WEBHOOK_ALLOW_HTTP, and the bot itself,
however its address is spelled; each refusal one clear line naming the variable and the fix."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings
from bot.webhooks.urls import refusal

GOOD = {
    "slack_bot_token": "xoxb-1234-5678-abcdef",
    "slack_signing_secret": "0123456789abcdef0123",
    "incident_channel": "C0123456789",
    "webhook_secret": "a-webhook-secret-of-some-length",
    "_env_file": None,
}
BOT = {"host": "0.0.0.0", "port": 3000, "public_url": "https://remediate.example.com"}


def problems(**values: object) -> list[str]:
    try:
        load_settings(**{**GOOD, **BOT, **values})
    except SettingsError as exc:
        return str(exc).splitlines()
    return []


@pytest.mark.parametrize(
    "urls",
    [
        "https://hooks.example.com/remediate",
        "https://hooks.example.com:8443/remediate?team=ops",
        "https://remediate.example.com:8443/elsewhere",  # the bot's host name, another port: another service
        "https://hooks.example.com/a, https://events.example.org/b",
    ],
)
def test_https_urls_of_other_services_are_taken(urls):
    settings = load_settings(**{**GOOD, **BOT, "webhook_urls": urls})
    assert settings.webhook_url_list == [u.strip() for u in urls.split(",")]


def test_plain_http_is_refused_unless_allowed_for_local_use():
    [line] = problems(webhook_urls="http://hooks.example.com/remediate")
    assert line.startswith("WEBHOOK_URLS: http://hooks.example.com/remediate is not https://")
    assert "WEBHOOK_ALLOW_HTTP=true" in line
    allowed = load_settings(
        **{**GOOD, **BOT, "webhook_urls": "http://10.0.0.7:8080/hooks", "webhook_allow_http": True}
    )
    assert allowed.webhook_url_list == ["http://10.0.0.7:8080/hooks"]


@pytest.mark.parametrize(
    "url",
    [
        "https://remediate.example.com/hooks/ci",  # PUBLIC_URL itself
        "https://REMEDIATE.example.com:443/x",  # the same, spelled otherwise
        "https://remediate.example.com./x",  # a fully qualified name with its final dot
        "http://localhost:3000/hooks/pagerduty",  # where it listens
        "http://LOCALHOST.:3000/",
        "http://app.localhost:3000/",
        "http://127.0.0.1:3000/",
        "http://127.1:3000/",  # short form of 127.0.0.1
        "http://0x7f000001:3000/",  # hex form of 127.0.0.1
        "http://2130706433:3000/",  # decimal form of 127.0.0.1
        "http://127.8.9.10:3000/",  # all of 127/8 is loopback
        "http://[::1]:3000/",
        "http://[::ffff:127.0.0.1]:3000/",
        "http://0.0.0.0:3000/",
        "http://[::]:3000/",
    ],
)
def test_the_bot_itself_is_refused_however_it_is_spelled(url):
    [line] = problems(webhook_urls=url, webhook_allow_http=True)
    assert line == (
        f"WEBHOOK_URLS: {url} is the bot itself (its PUBLIC_URL, or its HOST and PORT); "
        "web hooks go to other services"
    )


def test_the_bound_address_and_the_dashboard_url_count_as_the_bot_too():
    assert refusal("http://10.0.0.5:3000/x", allow_http=True, host="10.0.0.5", port=3000)
    assert refusal("http://10.0.0.5:3001/x", allow_http=True, host="10.0.0.5", port=3000) is None
    assert refusal("http://localhost:3001/x", allow_http=True, host="0.0.0.0", port=3000) is None
    assert refusal(
        "https://ops.example.com/dashboard/hook",
        allow_http=False,
        host="0.0.0.0",
        port=3000,
        own_urls=["https://ops.example.com/dashboard"],
    )
    assert problems(
        webhook_urls="https://board.example.com/x", dashboard_url="https://board.example.com/dash"
    ) == [
        "WEBHOOK_URLS: https://board.example.com/x is the bot itself (its PUBLIC_URL, or its HOST and PORT); "
        "web hooks go to other services"
    ]


def test_every_refusal_is_its_own_line_with_the_other_problems():
    lines = problems(
        webhook_urls="http://hooks.example.com/a,https://remediate.example.com/b,https://ok.example.com/c",
        webhook_secret=None,
    )
    assert lines == [
        "WEBHOOK_SECRET: is not set; web hooks are signed (openssl rand -hex 32)",
        "WEBHOOK_URLS: http://hooks.example.com/a is not https:// (set WEBHOOK_ALLOW_HTTP=true only for a "
        "receiver on a trusted network)",
        "WEBHOOK_URLS: https://remediate.example.com/b is the bot itself (its PUBLIC_URL, or its HOST and "
        "PORT); web hooks go to other services",
    ]


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/x", "hooks.example.com/x", "https://"])
def test_what_is_not_an_http_url_is_refused(url):
    [line] = problems(webhook_urls=url)
    assert line.startswith("WEBHOOK_URLS:") and "http(s) URL" in line


def test_the_bot_refuses_to_start_with_a_clear_message(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INCIDENT_", "DATABASE_", "WEB"))
    }
    env |= {
        "SLACK_BOT_TOKEN": GOOD["slack_bot_token"],
        "SLACK_SIGNING_SECRET": GOOD["slack_signing_secret"],
        "INCIDENT_CHANNEL": GOOD["incident_channel"],
        "WEBHOOK_SECRET": GOOD["webhook_secret"],
        "WEBHOOK_URLS": "http://hooks.example.com/x,https://127.0.0.1:3000/hooks/ci",
        "PORT": "3000",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "  - WEBHOOK_URLS: http://hooks.example.com/x is not https://" in proc.stderr
    assert "  - WEBHOOK_URLS: https://127.0.0.1:3000/hooks/ci is the bot itself" in proc.stderr
