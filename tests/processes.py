"""Real `remediate` processes for end-to-end tests: replicas, job runners, a bot to stop or kill.

Each process gets its settings from the environment only (never a `.env`: it runs in a temporary
directory), logs JSON lines to a file the test can read, and is killed at the end if a test left it running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support import BOT_TOKEN, INCIDENT_CHANNEL, SIGNING_SECRET

REMEDIATE = [sys.executable, "-m", "bot"]  # the `remediate` console script runs the same bot.cli:main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(database_url: str, slack_api_url: str, **settings: Any) -> dict[str, str]:
    """The environment of a bot process: this test's database and fake Slack, JSON logs, no quiet hours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_", "INCIDENT_", "LOG_", "PORT", "HOST", "OUTBOX_"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        INCIDENT_CHANNEL=INCIDENT_CHANNEL,
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        QUIET_HOURS="off",
        SLACK_CHANNEL_RATE="50",
        HTTP_THREADS="8",
        PYTHONUNBUFFERED="1",
    )
    env.update({k.upper(): str(v) for k, v in settings.items()})
    return env


class BotProcess:
    """One `remediate ARGS...` process. `port` is set for processes that serve HTTP."""

    def __init__(
        self, args: list[str], env: dict[str, str], workdir: Path, name: str, *, port: int | None = None
    ):
        self.args = args
        self.name = name
        self.port = port
        self.env = dict(env, **({"PORT": str(port)} if port else {}))
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.out_path = workdir / f"{name}.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as err, self.out_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [*REMEDIATE, *self.args], cwd=self.workdir, env=self.env, stdout=out, stderr=err
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> BotProcess:
        """Wait until GET /healthz answers 200 (migrations done, HTTP serving)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.stderr()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready within {timeout}s:\n{self.stderr()[-3000:]}")

    def wait(self, timeout: float = 120.0) -> int:
        """The exit status; a process still running after `timeout` fails the test with its log's tail."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} still running after {timeout}s:\n{self.stderr()[-4000:]}"
            ) from None

    def terminate(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout=timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop_quietly(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stderr(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace") if self.out_path.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines (LOG_FORMAT=json); a line that is not JSON fails the test."""
        records = []
        for line in self.stderr().splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise AssertionError(f"{self.name} wrote a log line that is not JSON: {line!r}") from None
        return records

    def metrics(self) -> str:
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as resp:
            return str(resp.read().decode())
