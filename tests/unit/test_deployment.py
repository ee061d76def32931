"""The Dockerfile, docker-compose.yml and packaging agree with the code (Docker itself is not run here)."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions(DOCKERFILE)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def _bot_services() -> dict[str, Any]:
    return {name: svc for name, svc in SERVICES.items() if (svc.get("command") or [""])[0] == "remediate"}


def test_image_is_slim_python_311_and_runs_the_bot_as_a_non_root_user() -> None:
    stage = _final_stage()
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = [arg for word, arg in stage if word == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    assert users[-1] not in ("root", "0") and not users[-1].startswith(("root:", "0:"))
    user_at = max(i for i, (word, _) in enumerate(stage) if word == "USER")
    assert all(word != "RUN" for word, _ in stage[user_at:]), "nothing should run as root after USER"
    assert ("CMD", '["remediate", "run"]') in stage


def test_image_health_check_calls_healthz_on_the_configured_port() -> None:
    checks = [arg for word, arg in _final_stage() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD")
    assert "--interval=" in options and "--timeout=" in options
    assert "/healthz" in command and "PORT" in command
    assert ("EXPOSE", "3000") in _final_stage()
    assert Settings.model_fields["port"].default == 3000


def test_the_health_check_command_is_valid_python() -> None:
    command = next(arg for word, arg in _final_stage() if word == "HEALTHCHECK").partition("CMD")[2]
    code = re.search(r'python -c "(.*)"$', command.strip())
    assert code is not None
    compile(code.group(1), "HEALTHCHECK", "exec")


def test_compose_runs_postgres_two_http_replicas_and_one_scheduler() -> None:
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])
    commands = [tuple(svc["command"]) for svc in _bot_services().values()]
    assert commands.count(("remediate", "run", "--no-scheduler")) == 2
    assert commands.count(("remediate", "scheduler")) == 1
    for name, svc in _bot_services().items():
        assert svc["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert "@db:5432/" in svc["environment"]["DATABASE_URL"], name
        assert svc["depends_on"]["db"]["condition"] == "service_healthy", name
    assert "healthcheck" not in SERVICES["scheduler"]  # it serves /healthz too, so the image's check applies


def test_the_load_balancer_sends_to_every_http_replica() -> None:
    replicas = {name for name, svc in _bot_services().items() if "--no-scheduler" in svc["command"]}
    command = SERVICES["lb"]["command"]
    targets = {command[i + 1] for i, part in enumerate(command) if part == "--to"}
    assert targets == {f"{name}:3000" for name in replicas}


def test_compose_sets_only_real_settings() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name, svc in _bot_services().items():
        assert set(svc["environment"]) <= known, f"{name} sets unknown variables"


@pytest.mark.parametrize("command", sorted({tuple(svc["command"]) for svc in _bot_services().values()}))
def test_every_compose_command_is_one_the_cli_accepts(command: tuple[str, ...], tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *command[1:], "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", ".git", "*.db"):
        assert entry in ignored


def test_every_migration_ships_in_the_package() -> None:
    """The image installs a wheel (not the source tree): migrations must be package data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["storage"]
    storage = ROOT / "storage"
    for path in (storage / "migrations").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(storage).as_posix()
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} is not package data"
