"""Settings: every bad variable named with how to fix it; the CLI exits 2 without a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]

GOOD = {
    "slack_bot_token": "xoxb-1234-5678-abcdef",
    "slack_signing_secret": "0123456789abcdef0123",
    "incident_channel": "C0123456789",
    "_env_file": None,
}


def test_defaults_are_the_documented_ones():
    s = load_settings(**GOOD)
    assert s.database_url == "sqlite:///remediate.db"
    assert (s.host, s.port) == ("0.0.0.0", 3000)
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.deadline_policy == {
        "P0": timedelta(hours=24),
        "P1": timedelta(hours=72),
        "P2": timedelta(days=7),
        "P3": timedelta(days=30),
    }
    assert s.escalation_thresholds[1]["P0"] == timedelta(hours=4)
    assert "P3" not in s.escalation_thresholds[1]
    assert s.digest_weekdays == (0, 1, 2, 3, 4)
    assert not s.uses_socket_mode


def test_every_missing_variable_is_named():
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    text = str(err.value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "INCIDENT_CHANNEL"):
        assert name in text
    assert ".env.example" in text


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("slack_bot_token", "xoxp-user-token", "xoxb-"),
        ("slack_bot_token", "xoxb-your-bot-token", "placeholder"),
        ("slack_app_token", "xoxb-wrong", "xapp-"),
        ("incident_channel", "#incident-response", "channel ID"),
        ("timezone", "Mars/Olympus", "IANA"),
        ("digest_time", "9am", "HH:MM"),
        ("digest_days", "weekdays", "mon"),
        ("deadlines", "P0=soon", "duration"),
        ("database_url", "mysql://x", "sqlite"),
        ("port", "99999", "65535"),
    ],
)
def test_malformed_values_are_explained(field, value, needle):
    with pytest.raises(SettingsError) as err:
        load_settings(**{**GOOD, field: value})
    assert field.upper() in str(err.value)
    assert needle in str(err.value)


def test_postgres_urls_get_the_psycopg_driver():
    s = load_settings(**{**GOOD, "database_url": "postgres://u:p@db/remediate"})
    assert s.database_url == "postgresql+psycopg://u:p@db/remediate"


def test_secrets_never_show_in_repr():
    s = load_settings(**GOOD)
    assert "0123456789abcdef0123" not in repr(s)
    assert "xoxb-1234" not in repr(s)


def test_env_example_lists_every_setting_with_a_comment():
    text = (ROOT / ".env.example").read_text()
    names = re.findall(r"^([A-Z][A-Z0-9_]+)=", text, flags=re.M)
    assert sorted(names) == sorted(f.upper() for f in Settings.model_fields)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            prev = next(p for p in reversed(lines[:i]) if not re.match(r"^[A-Z][A-Z0-9_]+=", p))
            assert prev.startswith("#"), f"{line.split('=')[0]} needs a comment above it"


def test_cli_exits_2_with_one_clear_message_on_bad_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INCIDENT_", "DATABASE_"))}
    env["SLACK_BOT_TOKEN"] = "not-a-token"
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
    assert "SLACK_BOT_TOKEN" in proc.stderr and "xoxb-" in proc.stderr
    assert "SLACK_SIGNING_SECRET" in proc.stderr
    assert "INCIDENT_CHANNEL" in proc.stderr


def test_cli_unknown_job_lists_the_known_ones(tmp_path):
    env = dict(os.environ)
    env.update(
        SLACK_BOT_TOKEN="xoxb-1234-5678-abcdef",
        SLACK_SIGNING_SECRET="0123456789abcdef0123",
        INCIDENT_CHANNEL="C0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "jobs", "run", "nope"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown job 'nope'" in proc.stderr
    for name in ("digest", "escalations", "reminders", "weekly-report"):
        assert name in proc.stderr
