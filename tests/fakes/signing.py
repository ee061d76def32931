"""Drive a Bolt app over HTTP with requests signed exactly as Slack signs them.

``sign_request`` is Slack's documented scheme: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``
keyed with the signing secret. ``SlackDriver`` builds the payloads Slack sends (slash commands,
block actions, view submissions/closes, shortcuts, Events API envelopes), signs them and posts them
to ``<base_url>/slack/events`` over one keep-alive connection, so a benchmark can use it too.

With ``fake=FakeSlack`` the driver takes trigger ids and response URLs from the fake, finds the
message or modal an action comes from, and tells the fake what the app's view_submission ack did
to the modal (closed, updated, pushed), as Slack would.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, FakeSlack

VERIFICATION_TOKEN = "legacy-verification-token"
_UNROUTABLE = "http://127.0.0.1:9/response-url-without-a-fake"  # never the internet


def sign_request(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Slack's request signature for ``body`` sent at ``timestamp`` (seconds)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Reply:
    """What the app answered: HTTP status, headers and body text."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.text.strip():
            return None
        try:
            return json.loads(self.text)
        except ValueError:
            return None


# ---- state.values helpers: the action dicts Slack puts in view_submission payloads ----------------


def plain_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def static_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    option = None
    if value is not None:
        option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": "static_select", "selected_option": option}


def users_select(user: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user}


def multi_users_select(users: list[str]) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(users)}


def checkboxes(values: list[str]) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": v, "emoji": True}, "value": v} for v in values]
    return {"type": "checkboxes", "selected_options": options}


def datetimepicker(epoch: int | None) -> dict[str, Any]:
    return {"type": "datetimepicker", "selected_date_time": epoch}


def _find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[str | None, dict[str, Any] | None]:
    for block in blocks or []:
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


class SlackDriver:
    """Sends signed Slack requests to a Bolt app served at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        fake: FakeSlack | None = None,
        team_id: str = "T0001",
        clock: Callable[[], float] = time.time,
        path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = team_id
        self.path = parts.path.rstrip("/") + path
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._clock = clock
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    # ---- transport -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def post_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST ``body`` as is. The signature is computed unless given (pass a wrong one, or an old
        ``timestamp``, to test the app's verification)."""
        ts = str(int(self._clock())) if timestamp is None else str(timestamp)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature
            if signature is not None
            else sign_request(self.signing_secret, ts, body),
            **(headers or {}),
        }
        return self._send(body, sent)

    def _send(self, body: bytes, headers: dict[str, str]) -> Reply:
        """Deliver one signed request to the app (over HTTP, on a kept-alive connection)."""
        sent = {"User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **headers}
        with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                conn = self._conn or self._connect()
                self._conn = conn
                try:
                    conn.request("POST", self.path, body=body, headers=sent)
                    response = conn.getresponse()
                    data = response.read()
                except (http.client.RemoteDisconnected, http.client.CannotSendRequest, ConnectionError):
                    conn.close()
                    self._conn = None
                    if reused and attempt == 1:
                        continue  # the server closed an idle keep-alive connection; send again on a new one
                    raise
                except Exception:
                    conn.close()
                    self._conn = None
                    raise
                if response.will_close:
                    conn.close()
                    self._conn = None
                return Reply(response.status, dict(response.getheaders()), data.decode("utf-8", "replace"))
        raise AssertionError("unreachable")

    def _post_form(self, fields: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        body = urlencode(fields).encode("utf-8")
        return self.post_raw(body, content_type="application/x-www-form-urlencoded", headers=headers)

    def _post_payload(self, payload: dict[str, Any]) -> Reply:
        return self._post_form({"payload": json.dumps(payload)})

    # ---- payload pieces --------------------------------------------------------------------------

    def _now_ts(self) -> str:
        return f"{self._clock():.6f}"

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": TEAM_DOMAIN}

    def _user(self, user: str) -> dict[str, Any]:
        info = self.fake.user_info(user) if self.fake is not None else None
        name = info["name"] if info else user.removeprefix("U").lower()
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _channel(self, channel: str) -> dict[str, Any]:
        info = self.fake.channel_info(channel) if self.fake is not None else None
        name = (info or {}).get("name") or ("directmessage" if channel.startswith("D") else channel.lower())
        return {"id": channel, "name": name}

    def _trigger(self, user: str, view_id: str | None = None) -> str:
        if self.fake is not None:
            return self.fake.new_trigger_id(user=user, view_id=view_id)
        return f"{next(self._seq)}.{int(self._clock())}.{secrets.token_hex(16)}"

    def _response_url(self, user: str, channel: str | None, message_ts: str | None = None) -> str:
        if self.fake is not None:
            return self.fake.new_response_url(channel=channel, message_ts=message_ts, user=user)
        return _UNROUTABLE

    def _common(self, user: str) -> dict[str, Any]:
        return {
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "is_enterprise_install": False,
            "enterprise": None,
        }

    # ---- interactions ----------------------------------------------------------------------------

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "UALICE",
        user_name: str | None = None,
        channel: str = "CGENERAL",
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> Reply:
        """A slash command, form-encoded as Slack sends it. ``user_name`` defaults to the fake's name for
        ``user`` ("alice" for the default user)."""
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": self._channel(channel)["name"],
            "user_id": user,
            "user_name": user_name or self._user(user)["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or self._response_url(user, channel),
            "trigger_id": trigger_id or self._trigger(user),
        }
        return self._post_form(fields)

    def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        user: str = "UALICE",
        block_id: str | None = None,
        channel: str = "CGENERAL",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | str | None = None,
        selected_option: dict[str, Any] | str | None = None,
        trigger_id: str | None = None,
        action_type: str = "button",
        state: dict[str, Any] | None = None,
        action_extra: dict[str, Any] | None = None,
    ) -> Reply:
        """A ``block_actions`` payload for one action in a message (default) or in ``view``.

        ``message`` may be a dict from ``fake.messages()``; without it, and with a fake, the newest
        message in ``channel`` holding ``action_id`` is used. ``view`` may be a view dict or a view id
        from ``fake.views``. ``block_id`` and the button's text and value come from the element found in
        the blocks when not given (``block_id`` then falls back to "b").
        """
        action: dict[str, Any] = {"action_id": action_id, "type": action_type, "action_ts": self._now_ts()}
        payload: dict[str, Any] = {"type": "block_actions", **self._common(user)}
        if isinstance(view, str):
            if self.fake is None or view not in self.fake.views:
                raise AssertionError(f"no open view {view!r} in the fake")
            view = self.fake.views[view]
        if view is not None:
            view = dict(view)
            if state is not None:
                view["state"] = {"values": state}
            found_block, element = _find_element(view.get("blocks", []), action_id)
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
            payload["trigger_id"] = trigger_id or self._trigger(user, view.get("id"))
        else:
            if message is None and self.fake is not None:
                for candidate in reversed(self.fake.messages(channel)):
                    if _find_element(candidate.get("blocks", []), action_id)[1] is not None:
                        message = candidate
                        break
            if message is None:
                message = {
                    "ts": self._now_ts(),
                    "text": "",
                    "blocks": [],
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                }
            channel = message.get("channel") or channel
            ts = message["ts"]
            found_block, element = _find_element(message.get("blocks", []), action_id)
            shown = {
                "type": "message",
                **{k: v for k, v in message.items() if k != "channel" and v is not None},
            }
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            }
            payload["channel"] = self._channel(channel)
            payload["message"] = shown
            payload["state"] = {"values": state or {}}
            payload["response_url"] = self._response_url(user, channel, ts)
            payload["trigger_id"] = trigger_id or self._trigger(user)
        action["block_id"] = block_id or found_block or "b"
        if element is not None and "text" in element:
            action["text"] = element["text"]
        if action_type == "button":
            chosen = value if value is not None else (element or {}).get("value")
            if chosen is not None:
                action["value"] = chosen
        elif value is not None:
            action["value"] = value
        if selected_option is not None:
            if isinstance(selected_option, str):
                selected_option = {
                    "text": {"type": "plain_text", "text": selected_option},
                    "value": selected_option,
                }
            action["selected_option"] = selected_option
        action.update(action_extra or {})
        payload["actions"] = [action]
        return self._post_payload(payload)

    def _find_view(self, callback_id: str, view_id: str | None) -> dict[str, Any] | None:
        if self.fake is None:
            return None
        views = self.fake.views
        if view_id is not None:
            return views.get(view_id)
        matching = [v for v in views.values() if v.get("callback_id") == callback_id]
        return matching[-1] if matching else None

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        user: str = "UALICE",
        private_metadata: str | None = None,
        view_id: str | None = None,
        hash: str | None = None,
        view_extra: dict[str, Any] | None = None,
    ) -> Reply:
        """A ``view_submission`` with ``values`` as ``view.state.values``.

        With a fake, the submitted view is the open modal ``view_id`` or else the newest open modal with
        this ``callback_id`` (its private_metadata and hash are used unless given), and the app's ack is
        applied to it as Slack would (``fake.apply_view_ack``); an invalid update/push view fails here.
        """
        found = self._find_view(callback_id, view_id)
        view: dict[str, Any] = (
            dict(found)
            if found is not None
            else {
                "id": view_id or f"V{next(self._seq):08d}",
                "team_id": self.team_id,
                "type": "modal",
                "blocks": [],
                "title": {"type": "plain_text", "text": "Modal"},
                "private_metadata": "",
                "callback_id": callback_id,
                "hash": f"{int(self._clock())}.{secrets.token_hex(4)}",
                "root_view_id": view_id,
                "previous_view_id": None,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
            }
        )
        view["callback_id"] = callback_id
        view["state"] = {"values": values}
        if private_metadata is not None:
            view["private_metadata"] = private_metadata
        if hash is not None:
            view["hash"] = hash
        view.update(view_extra or {})
        payload = {
            "type": "view_submission",
            **self._common(user),
            "trigger_id": self._trigger(user, view.get("id")),
            "view": view,
            "response_urls": [],
        }
        reply = self._post_payload(payload)
        if found is not None and self.fake is not None and reply.status == 200:
            ack = reply.json()
            errors = self.fake.apply_view_ack(found["id"], ack if isinstance(ack, dict) else None)
            if errors:
                raise AssertionError(f"Slack would reject the view in the ack of {callback_id!r}: {errors}")
        return reply

    def view_closed(
        self,
        callback_id: str,
        *,
        user: str = "UALICE",
        view_id: str | None = None,
        private_metadata: str | None = None,
        is_cleared: bool = False,
    ) -> Reply:
        """A ``view_closed`` payload (sent when the modal has ``notify_on_close``); closes it in the fake."""
        found = self._find_view(callback_id, view_id)
        view = (
            dict(found)
            if found is not None
            else {
                "id": view_id or f"V{next(self._seq):08d}",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": "",
                "blocks": [],
                "state": {"values": {}},
            }
        )
        if private_metadata is not None:
            view["private_metadata"] = private_metadata
        payload = {"type": "view_closed", **self._common(user), "view": view, "is_cleared": is_cleared}
        reply = self._post_payload(payload)
        if found is not None and self.fake is not None:
            self.fake.close_view(found["id"], clear=is_cleared)
        return reply

    def shortcut(
        self,
        callback_id: str,
        *,
        message: dict[str, Any] | str | None = None,
        channel: str = "CGENERAL",
        user: str = "UALICE",
        type: str = "message_action",
        trigger_id: str | None = None,
    ) -> Reply:
        """A message shortcut (``message_action``) on ``message``, or a global ``shortcut``.

        ``message`` may be a stored message dict, or text: with a fake it is then stored in ``channel`` as
        written by ``user`` so the app can thread on it, fetch its permalink, etc.
        """
        payload: dict[str, Any] = {
            "type": type,
            **self._common(user),
            "callback_id": callback_id,
            "trigger_id": trigger_id or self._trigger(user),
            "action_ts": self._now_ts(),
        }
        if type == "message_action":
            if not isinstance(message, dict):
                text = message if isinstance(message, str) else "The deploy pipeline is failing"
                if self.fake is not None:
                    ts = self.fake.add_message(channel, text, user=user)
                    message = next(m for m in self.fake.messages(channel) if m["ts"] == ts)
                else:
                    message = {"ts": self._now_ts(), "text": text, "user": user}
            channel = message.get("channel") or channel
            shown = {
                "type": "message",
                **{k: v for k, v in message.items() if k != "channel" and v is not None},
            }
            payload["channel"] = self._channel(channel)
            payload["message_ts"] = message["ts"]
            payload["message"] = shown
            payload["response_url"] = self._response_url(user, channel)
        return self._post_payload(payload)

    # ---- Events API ------------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Reply:
        """An ``event_callback`` envelope around ``event``, as JSON; a retry when ``retry_num`` is given."""
        now = self._clock()
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(12)}",
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        body = json.dumps(envelope).encode("utf-8")
        return self.post_raw(body, content_type="application/json", headers=headers)

    def url_verification(self, challenge: str) -> Reply:
        body = json.dumps({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})
        return self.post_raw(body.encode("utf-8"), content_type="application/json")
