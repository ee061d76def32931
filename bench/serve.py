"""A server in a process of its own: the fake Slack, the floor, or the bot.

    python -m bench.serve        (reads one JSON line: {"role": "slack" | "floor" | "bot", ...})

Prints one JSON line once it listens ({"url": ...}); stops when it reads "stop" (or its stdin closes) and
then prints one more JSON line with what it has to report.

The floor is the least a Bolt app can do for a slash command over the same HTTP server: a bare App with
process_before_response, request verification on (as the bot has it), no token verification, a trivial
authorize, none of Bolt's optional middleware (SSL check, URL verification, ignoring self events, function
tokens), and one listener that acks ``/remediate`` with nothing.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from bench.common import (
    BOT_TOKEN,
    INCIDENT_CHANNEL,
    SIGNING_SECRET,
    TEAM_ID,
    bot_settings,
    user_ids,
    user_name,
    user_zone,
)


def _say(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def _wait_for_stop() -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            return


def serve_slack(spec: dict[str, Any]) -> None:
    from collections import Counter

    from tests.fakes.slack_api import FakeSlack

    fake = FakeSlack(token=BOT_TOKEN, team_id=TEAM_ID, burst=None)  # no rate limiting: Slack is not measured
    fake.start()
    for uid in user_ids():
        fake.add_user(uid, user_name(uid), real_name=user_name(uid).title(), tz=user_zone(uid))
    fake.add_channel(INCIDENT_CHANNEL, "incident-response")
    _say({"url": fake.url})
    _wait_for_stop()
    calls = Counter(c.method for c in fake.calls)
    fake.stop()
    _say({"calls": dict(calls)})


def build_floor(settings: Any) -> Any:
    from slack_bolt import App
    from slack_bolt.authorization import AuthorizeResult
    from slack_sdk import WebClient

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=BOT_TOKEN)

    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=BOT_TOKEN, base_url=settings.slack_api_url),
        authorize=authorize,
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=True,
        ssl_check_enabled=False,
        url_verification_enabled=False,
        ignoring_self_events_enabled=False,
        attaching_function_token_enabled=False,
        attaching_conversation_kwargs_enabled=False,
        logger=logging.getLogger("slack_bolt"),
    )

    @app.command("/remediate")
    def ack_only(ack: Any) -> None:
        ack()

    return app


def serve_floor(spec: dict[str, Any]) -> None:
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.http import HttpServer, http_limits
    from bot.logs import setup_logging

    settings = bot_settings("sqlite:///unused.db", spec["slack_url"])
    setup_logging(settings.log_level, settings.log_format)
    app = build_floor(settings)
    server = HttpServer(
        SlackRequestHandler(app),
        settings.host,
        0,
        threads=settings.http_threads,
        limits=http_limits(settings),  # the bot's server settings, so the two differ only in the app
    )
    server.start()
    _say({"url": f"http://127.0.0.1:{server.port}", "threads": settings.http_threads})
    _wait_for_stop()
    server.stop()
    _say({})


def serve_bot(spec: dict[str, Any]) -> None:
    from bench.statements import Recorder, explain
    from bot.logs import setup_logging
    from bot.runtime import Bot

    settings = bot_settings(spec["database_url"], spec["slack_url"], **spec.get("settings", {}))
    setup_logging(settings.log_level, settings.log_format)
    bot = Bot(settings, scheduler=False, port=0)
    # The HTTP server's workers are "http-worker_N": record what requests send, not the sender.
    recorder = Recorder(threads="http-worker").attach(bot.deps.engine) if spec.get("record") else None
    bot.start()
    _say({"url": f"http://127.0.0.1:{bot.port}", "threads": settings.http_threads})
    for line in sys.stdin:
        command = line.strip()
        if command == "stop":
            break
        if command == "reset" and recorder is not None:
            recorder.reset()
            _say({})
        if command == "explain" and recorder is not None:
            _say({"statements": recorder.count, "queries": explain(bot.deps.engine, recorder)})
    bot.stop()
    _say({})


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    {"slack": serve_slack, "floor": serve_floor, "bot": serve_bot}[spec["role"]](spec)


if __name__ == "__main__":
    main()
