"""manifest.yml matches the code: commands, shortcuts, events and exactly the scopes the code needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.slack.ids import Command, Event, Shortcut

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Bot scopes each Web API method needs (https://api.slack.com/methods). chat:write.public lets the bot post
# to public channels it was not invited to (the incident channel, digests), so every post needs both.
SCOPES_BY_METHOD: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write", "chat:write.public"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.getPermalink": set(),
    "views.open": set(),
    "views.update": set(),
    "views.push": set(),
    "views.publish": set(),
    "users.info": {"users:read"},
    "users.list": {"users:read"},
    "usergroups.users.list": {"usergroups:read"},
    "conversations.open": {"im:write"},
    "conversations.create": {"channels:manage"},
    "conversations.invite": {"channels:manage"},
    "conversations.info": {"channels:read"},
    "conversations.join": {"channels:join"},
    "conversations.replies": {"channels:history", "groups:history"},  # public and private channels' threads
    "files.info": {"files:read"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "auth.test": set(),
    "apps.connections.open": set(),  # uses the app-level token, not a bot scope
}
# Scopes that a feature needs without a Web API call of its own.
SCOPES_BY_FEATURE = {
    "commands": "slash commands and the message shortcut",
    # users.info shows profile.email only with it: Jira accounts are found by the owner's Slack e-mail.
    "users:read.email": "Jira assignees found by e-mail (bot/jira)",
}

SDK_SPECIAL = {"files_upload_v2": ["files.getUploadURLExternal", "files.completeUploadExternal"]}


def _methods_used() -> set[str]:
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text()
        for name in set(re.findall(r"\bclient\.([a-z]+(?:_[a-zA-Z0-9]+)+)\(", text)) - {"api_call"}:
            used.update(SDK_SPECIAL.get(name, [name.replace("_", ".")]))
        for name in re.findall(r"""method\s*=\s*["']([a-z]+\.[a-zA-Z.]+|files\.upload_v2)["']""", text):
            used.update(SDK_SPECIAL.get(name.replace(".", "_"), [name]))
        if path.name == "notifier.py":
            used.update(SDK_SPECIAL["files_upload_v2"])
    return used


def test_every_method_the_code_calls_is_known():
    unknown = _methods_used() - set(SCOPES_BY_METHOD)
    assert not unknown, f"add the scopes for {sorted(unknown)} to SCOPES_BY_METHOD"


def test_manifest_declares_exactly_the_scopes_the_code_uses():
    needed = set(SCOPES_BY_FEATURE)
    for method in _methods_used():
        needed |= SCOPES_BY_METHOD[method]
    declared = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert declared - needed == set(), f"declared but unused: {sorted(declared - needed)}"
    assert needed - declared == set(), f"used but not declared: {sorted(needed - declared)}"


def test_commands_in_manifest_are_the_registered_ones():
    commands = MANIFEST["features"]["slash_commands"]
    assert {c["command"] for c in commands} == {c.value for c in Command}
    for c in commands:
        assert c["should_escape"] is True
        assert c["url"].endswith("/slack/events")
        assert c["description"] and c["usage_hint"]


def test_shortcuts_and_events():
    callback_ids = {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    assert callback_ids == {s.value for s in Shortcut}
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {e.value for e in Event} <= events
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert MANIFEST["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_registered_listeners_cover_the_manifest(bot):
    """The commands Bolt actually dispatches are the manifest's: each answers, none falls through."""
    from tests.fakes.signing import SlackDriver
    from tests.support import SIGNING_SECRET

    driver = SlackDriver(bot.url, SIGNING_SECRET)
    for c in MANIFEST["features"]["slash_commands"]:
        reply = driver.command(c["command"], "help")
        assert reply.status == 200 and reply.json()["text"], c["command"]


def test_users_read_email_is_declared_only_because_profile_emails_are_read():
    """users:read.email lets users.info and users.list show profile.email; the Jira integration reads it to
    find people's Jira accounts (and Jira's assignees in Slack). Nothing else may need it silently."""
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if re.search(r"""profile[^\n]{0,40}\.get\(\s*["']email["']""", path.read_text())
    )
    assert readers == ["bot/jira/__init__.py", "bot/jira/people.py"]
    assert "users:read.email" in MANIFEST["oauth_config"]["scopes"]["bot"]
