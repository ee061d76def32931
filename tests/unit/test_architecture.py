"""Dependencies point inward (see STYLE.md): a test walks the imports and keeps it so, with no exceptions.

Every import counts: ``if TYPE_CHECKING:`` ones, imports inside functions and relative ones too. The rules
and the cycle finder are plain functions of a source tree, so the tests at the end run them on small
synthetic trees and show that each rule fails when it is broken.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "storage")


# --- reading the imports ----------------------------------------------------------------------------------


def module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _statements(path: Path, root: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Each import of `path` as (module, names): ``import a.b`` is ("a.b", ()), ``from a import b, c`` is
    ("a", ("b", "c")). ``if TYPE_CHECKING:`` and function-level imports included; relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_of(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, ()) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.append((module, tuple(a.name for a in node.names if a.name != "*")))
    return out


def _imports(path: Path, *, root: Path = ROOT) -> set[str]:
    """Every module name `path` imports; ``from a import b`` names both ``a`` and ``a.b`` (b may be a
    module)."""
    out: set[str] = set()
    for module, names in _statements(path, root):
        out.add(module)
        out.update(f"{module}.{n}" for n in names)
    return out


def _files(folder: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / folder).rglob("*.py"))


# --- the layering rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Modules under `folder` never import a module matching `forbidden`."""

    name: str
    folder: str
    forbidden: str

    def violations(self, root: Path) -> list[str]:
        pattern = re.compile(self.forbidden)
        out = []
        for path in _files(self.folder, root):
            bad = sorted(m for m in _imports(path, root=root) if pattern.match(m))
            if bad:
                out.append(f"{path.relative_to(root).as_posix()} imports {', '.join(bad)} ({self.name})")
        return out


RULES = (
    Rule("core imports nothing of ours but core", "bot/core", r"^(bot(?!\.core(\.|$))(\.|$)|storage(\.|$))"),
    Rule("services never import the Slack layer", "bot/services", r"^(bot\.slack|slack_bolt)(\.|$)"),
    Rule("builders take plain data", "bot/slack/blocks", r"^(storage|bot\.services)(\.|$)"),
    Rule("jobs never import the Slack layer", "bot/jobs", r"^bot\.slack(\.|$)"),
    Rule(
        "services never import an adapter of another system",
        "bot/services",
        r"^bot\.(github|jira|pagerduty|email|webhooks|ci|dashboard|integrations|runtime|http)(\.|$)",
    ),
    Rule(
        "core and services never import a client of another system",
        "bot/core",
        r"^(requests|httpx|urllib3|smtplib|jinja2|playwright)(\.|$)",
    ),
)


def layering_violations(root: Path) -> list[str]:
    return [v for rule in RULES for v in rule.violations(root)]


# --- import cycles ----------------------------------------------------------------------------------------


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of the tree it imports: ``from a import b`` is an edge to ``a.b`` when that is a
    module, else to ``a`` (a package's ``__init__`` runs for any of its modules, as for ``from a.b import
    x``, so it is not an edge of its own)."""
    paths = {module_of(p, root): p for pkg in packages for p in _files(pkg, root)}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets = set()
        for imported, names in _statements(path, root):
            submodules = {f"{imported}.{n}" for n in names} & paths.keys()
            targets |= submodules
            if imported in paths and (not names or len(submodules) < len(names)):
                targets.add(imported)
        graph[module] = targets - {module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative, so a long chain cannot overflow the recursion limit
        nonlocal counter
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(_path_through(sorted(component), graph))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return components


def _path_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One cycle inside a strongly connected component, from its first module back to it (for messages)."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                frontier.append(nxt)
    return component


# --- the tree as it is ------------------------------------------------------------------------------------


def test_the_layers_point_inward():
    """Core imports only core; services never the Slack layer; builders never storage or services; jobs
    never the Slack layer. No exceptions."""
    assert layering_violations(ROOT) == []


def test_there_are_no_import_cycles():
    cycles = import_cycles(import_graph(ROOT))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


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
    """Not even its pure parts: what services queue is drawn by `deps.render`."""
    for path in _files("bot/services"):
        bad = sorted(m for m in _imports(path) if m.startswith(("bot.slack", "slack_bolt")))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_block_builders_are_pure():
    """Builders take plain data and return blocks: no services, storage, sessions or Slack calls."""
    forbidden = re.compile(
        r"^(bot\.(services|slack\.listeners|slack\.app|slack\.notifier|jobs)"
        r"|storage|slack_bolt|slack_sdk\.web|sqlmodel|sqlalchemy)"
    )
    for path in _files("bot/slack/blocks"):
        bad = sorted(m for m in _imports(path) if forbidden.match(m))
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


# --- each rule fails when it is broken ---------------------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    """A minimal bot/ and storage/ tree that obeys every rule, with `files` added or replaced."""
    base = {
        "bot/__init__.py": "",
        "bot/core/__init__.py": "",
        "bot/core/rules.py": "from bot.core import records\n",
        "bot/core/records.py": "",
        "bot/services/__init__.py": "",
        "bot/services/use_case.py": "from bot.core import rules\nfrom storage import models\n",
        "bot/slack/__init__.py": "",
        "bot/slack/blocks/__init__.py": "",
        "bot/slack/blocks/card.py": "from bot.core.records import Record\n",
        "bot/slack/listener.py": "from bot.services import use_case\nfrom bot.slack.blocks import card\n",
        "bot/jobs/__init__.py": "",
        "bot/jobs/job.py": "from bot.services.use_case import run\n",
        "storage/__init__.py": "",
        "storage/models.py": "",
    }
    for rel, text in {**base, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_tree_that_keeps_the_rules_passes(tmp_path):
    root = _tree(tmp_path, {})
    assert layering_violations(root) == []
    assert import_cycles(import_graph(root)) == []


TYPE_CHECKING_IMPORT = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from {module} import X\n"


@pytest.mark.parametrize(
    ("rel", "text", "rule"),
    [
        ("bot/core/rules.py", "from bot.services import use_case\n", "core imports nothing of ours"),
        ("bot/core/rules.py", "import storage.models\n", "core imports nothing of ours"),
        ("bot/core/rules.py", "from bot import slack\n", "core imports nothing of ours"),
        ("bot/core/rules.py", "from .. import jobs\n", "core imports nothing of ours"),
        ("bot/services/use_case.py", "from bot.slack.blocks import card\n", "services never import"),
        ("bot/services/use_case.py", "from bot.slack import ids\n", "services never import"),
        ("bot/services/use_case.py", "from slack_bolt import App\n", "services never import"),
        ("bot/services/use_case.py", "def f():\n    import bot.slack.listener\n", "services never import"),
        ("bot/slack/blocks/card.py", "from storage.models import Item\n", "builders take plain data"),
        ("bot/slack/blocks/card.py", "from bot.services.use_case import View\n", "builders take plain data"),
        ("bot/slack/blocks/card.py", "from ...services import use_case\n", "builders take plain data"),
        ("bot/jobs/job.py", "from bot.slack.blocks import card\n", "jobs never import"),
        # annotations count: an ``if TYPE_CHECKING:`` import is an import
        ("bot/core/rules.py", TYPE_CHECKING_IMPORT.format(module="storage.models"), "core imports nothing"),
        ("bot/services/use_case.py", TYPE_CHECKING_IMPORT.format(module="bot.slack.card"), "services never"),
        ("bot/slack/blocks/card.py", TYPE_CHECKING_IMPORT.format(module="storage.models"), "builders take"),
        ("bot/slack/blocks/card.py", TYPE_CHECKING_IMPORT.format(module="bot.services.x"), "builders take"),
        ("bot/jobs/job.py", TYPE_CHECKING_IMPORT.format(module="bot.slack.blocks.card"), "jobs never import"),
    ],
)
def test_each_layering_rule_fails_when_broken(tmp_path, rel, text, rule):
    found = layering_violations(_tree(tmp_path, {rel: text}))
    assert len(found) == 1 and rel in found[0] and rule in found[0], found


@pytest.mark.parametrize(
    "files",
    [
        {  # the service <-> builder cycle the old test skipped, through an annotation-only import
            "bot/services/use_case.py": "from bot.core import rules\nfrom bot.services import preview\n",
            "bot/services/preview.py": "from bot.services import use_case\n",
        },
        {
            "bot/services/use_case.py": TYPE_CHECKING_IMPORT.format(module="bot.services.preview"),
            "bot/services/preview.py": "from bot.services.use_case import run\n",
        },
        {  # three modules, one of them in storage
            "storage/models.py": "from storage import queries\n",
            "storage/queries.py": "from storage.db import engine\n",
            "storage/db.py": "import storage.models\n",
        },
        {  # a relative import inside a package's __init__
            "bot/core/__init__.py": "from .rules import x\n",
            "bot/core/records.py": "from bot.core import y\n",
        },
    ],
)
def test_an_import_cycle_fails(tmp_path, files):
    cycles = import_cycles(import_graph(_tree(tmp_path, files)))
    assert len(cycles) == 1
    assert cycles[0][0] == cycles[0][-1] and len(cycles[0]) >= 3


def test_the_cycle_finder_names_every_cycle(tmp_path):
    root = _tree(
        tmp_path,
        {
            "bot/core/a.py": "from bot.core import b\n",
            "bot/core/b.py": "from bot.core import a\n",
            "bot/jobs/x.py": "from bot.jobs import y\n",
            "bot/jobs/y.py": "from bot.jobs import x\n",
        },
    )
    assert sorted(c[0] for c in import_cycles(import_graph(root))) == ["bot.core.a", "bot.jobs.x"]
