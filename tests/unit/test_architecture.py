"""Dependencies point inward (see STYLE.md): a test walks the imports and keeps it so."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path, *, runtime_only: bool = False) -> set[str]:
    """Modules `path` imports; `runtime_only` leaves out ``if TYPE_CHECKING:`` imports (annotations)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
                node.body = []
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_core_is_pure():
    forbidden = re.compile(r"^(bot\.(?!core)|storage|slack_|sqlmodel|sqlalchemy|apscheduler)")
    for path in _files("bot/core"):
        bad = sorted(m for m in _imports(path) if forbidden.match(m))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_core_never_reads_the_clock():
    reads_clock = re.compile(r"(?<![\w.])(datetime\.(now|utcnow)|date\.today|time\.time|time\.monotonic)\(")
    for path in _files("bot/core"):
        assert not reads_clock.search(path.read_text()), f"{path.relative_to(ROOT)} reads the clock"


def test_storage_does_not_import_the_bot():
    for path in _files("storage"):
        bad = sorted(m for m in _imports(path) if m.startswith("bot"))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_services_do_not_import_the_slack_layer():
    """Services may use the pure parts of the Slack layer (ids, Block Kit builders) to queue messages, but
    never listeners, the app or the sender."""
    allowed = re.compile(r"^bot\.slack\.(ids|blocks)(\.|$)")
    for path in _files("bot/services"):
        bad = sorted(
            m
            for m in _imports(path)
            if (m.startswith("bot.slack") and not allowed.match(m)) or m.startswith("slack_bolt")
        )
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_block_builders_are_pure():
    """Builders take plain data and return blocks: no services, queries, sessions or Slack calls."""
    forbidden = re.compile(
        r"^(bot\.(services|slack\.listeners|slack\.app|slack\.notifier|jobs)"
        r"|storage\.(db|queries|items|incidents|reports|alerts)|slack_bolt|slack_sdk\.web|sqlmodel|sqlalchemy)"
    )
    for path in _files("bot/slack/blocks"):
        bad = sorted(m for m in _imports(path, runtime_only=True) if forbidden.match(m))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_only_the_notifier_sends_chat_messages():
    pattern = re.compile(r"\.chat_postMessage\(|\"chat\.postMessage\"|\.chat_update\(")
    for path in _files("bot"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ("bot/slack/notifier.py", "bot/services/outbox.py"):
            continue
        assert not pattern.search(path.read_text()), f"{rel} sends to Slack directly; queue it in the outbox"


def test_action_ids_are_not_typed_outside_the_ids_module():
    literal = re.compile(r"""(action_id|callback_id)\s*[=:]\s*["'][a-z_]+["']""")
    for path in _files("bot"):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "bot/slack/ids.py":
            continue
        hits = literal.findall(path.read_text())
        assert not hits, f"{rel} types an id literally; use bot.slack.ids"
