"""What every part of the benchmark shares: paths, the workspace it pretends to be, settings, child processes,
percentiles, and the machine description that goes next to the figures."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"  # databases, logs and query plans of the last run (git-ignored)
RESULTS = ROOT / "bench" / "results.json"

SIGNING_SECRET = "3b1e0c6f5d2a4e8f9a7b6c5d4e3f2a1b"
BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0001"
INCIDENT_CHANNEL = "CINCIDENTS"
N_USERS = 200
USER_ZONES = ("America/New_York", "Europe/Berlin", "UTC", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata")

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


class Unavailable(Exception):
    """A measurement whose feature is not in the code base yet; the table says why instead of a figure."""


def user_ids() -> list[str]:
    return [f"U{n:05d}" for n in range(N_USERS)]


def user_name(uid: str) -> str:
    return f"user{uid[1:]}"


def user_zone(uid: str) -> str:
    return USER_ZONES[int(uid[1:]) % len(USER_ZONES)]


def bot_settings(database_url: str, slack_url: str, **overrides: Any) -> Any:
    """The bot's settings as a deployment would have them (defaults), pointed at the fake Slack."""
    from bot.config import load_settings

    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack_url,
        "database_url": database_url,
        "incident_channel": INCIDENT_CHANNEL,
        "host": "127.0.0.1",
        # Every owner DM must be sent before a slice ends; quiet hours would hold those of owners whose own
        # time is night, so the result would depend on the hour the benchmark runs.
        "quiet_hours": "off",
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_child(module: str, spec: dict[str, Any], *, timeout: float = 600) -> dict[str, Any]:
    """Run ``python -m module`` with `spec` as JSON on stdin; its last stdout line is the JSON answer."""
    proc = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{module} exited with {proc.returncode}:\n{tail}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def reply_json(line: dict[str, Any]) -> dict[str, Any]:
    if "unavailable" in line:
        raise Unavailable(line["unavailable"])
    return line


# --- databases ------------------------------------------------------------------------------------


def postgres_admin_url() -> str:
    return os.environ.get("REMEDIATE_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        psycopg.connect(_libpq(postgres_admin_url()), connect_timeout=3).close()
        return None
    except Exception as exc:
        return f"no PostgreSQL at {postgres_admin_url()} ({type(exc).__name__})"


@contextmanager
def postgres_database(tag: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one measurement (``postgresql+psycopg://`` URL), dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"remediate_bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin = _libpq(postgres_admin_url())
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    url = make_url(postgres_admin_url()).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(tag: str) -> Iterator[str]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{tag}.db"
    _remove_sqlite(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        _remove_sqlite(path)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# --- the machine ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    postgres = None
    if postgres_reachable() is None:
        import psycopg

        with psycopg.connect(_libpq(postgres_admin_url())) as conn:
            postgres = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
    import slack_bolt
    import sqlalchemy

    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "slack_bolt": slack_bolt.version.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


class Server:
    """A `bench.serve` child: started with its spec, asked with one-line commands, stopped cleanly."""

    def __init__(self, role: str, log_name: str, **spec: Any):
        OUT.mkdir(parents=True, exist_ok=True)
        self.role = role
        self.log_path = OUT / f"{log_name}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=ROOT,
            env=child_env(),
        )
        self.info = self._send(json.dumps({"role": role, **spec}))
        self.url: str = self.info["url"]

    def _send(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            self.proc.wait(timeout=30)
            tail = "\n".join(self.log_path.read_text().strip().splitlines()[-15:])
            raise RuntimeError(f"the {self.role} server exited with {self.proc.returncode}:\n{tail}")
        return json.loads(answer)  # type: ignore[no-any-return]

    def ask(self, command: str) -> dict[str, Any]:
        return self._send(command)

    def stop(self) -> dict[str, Any]:
        if self.proc.poll() is not None:
            return {}
        try:
            answer = self._send("stop")
            self.proc.wait(timeout=60)
        except Exception:
            self.proc.kill()
            self.proc.wait()
            answer = {}
        self._log.close()
        return answer

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def load(
    targets: dict[str, str],
    rounds: list[tuple[str, list[list[str]]]],
    *,
    concurrency: int,
    warmup: dict[str, list[list[str]]] | None = None,
    settle: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the load generator in its own process: signed `/remediate` commands to `targets` (name -> base
    URL), round after round; `settle` (name -> /metrics URL): wait for that target's outbox to empty after
    each of its rounds. See bench.load."""
    spec = {
        "targets": targets,
        "secret": SIGNING_SECRET,
        "concurrency": concurrency,
        "warmup": warmup or {},
        "rounds": rounds,
        "settle": settle or {},
    }
    return run_child("bench.load", spec, timeout=900)
