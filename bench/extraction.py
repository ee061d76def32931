"""Extraction speed on documents up to 200 KB: ``python -m bench.extraction`` (see README, "From analysis
to tracked work").

Times `check_document` + `extract` (what the preview, the file listener and the CLI run) on every
document of the post-mortem corpora as they are, and on 200 KB documents built from them and from shapes
that make naive parsers slow: the real corpus repeated, one 200 KB paragraph of promises, one 200 KB list
line, a 2,000-row action table, 4,000 nested bullets, long runs of markup characters, a Confluence task
list and a Google Docs export of the corpus (an HTML file may weigh three times the limit, its text not).
Each figure is the slowest of five runs. Prints one table; the target is under 0.5 s per document.
"""

from __future__ import annotations

import argparse
import datetime
import html
import pathlib
import sys
import time
from collections.abc import Callable

from bot.core.extraction import check_document, extract

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPORA = (ROOT / "tests" / "fixtures" / "postmortems", ROOT / "tests" / "fixtures" / "analyses")
LIMIT = 200_000  # the largest document the bot accepts (check_document)
TARGET = 0.5
TODAY = datetime.date(2026, 1, 15)


def _corpus() -> list[pathlib.Path]:
    return sorted(p for root in CORPORA for p in root.rglob("*") if p.suffix in (".md", ".txt", ".html"))


def _fill(unit: str, head: str = "") -> bytes:
    """`head`, then `unit` repeated up to LIMIT bytes; "{n}" in `unit` numbers the copies, so that no
    two lines are the same (a cache of repeated lines must not make the figure)."""
    parts, size, n = [head], len(head.encode()), 0
    while True:
        piece = unit.replace("{n}", str(n))
        if size + len(piece.encode()) > LIMIT:
            return "".join(parts).encode()
        parts.append(piece)
        size, n = size + len(piece.encode()), n + 1


def _built(real: bytes) -> dict[str, bytes]:
    return {
        "real corpus repeated to 200 KB": real[: LIMIT - 8],
        "one 200 KB paragraph of promises": _fill(
            "We will add an alert when queue {n} is older than ten minutes, and we intend to page its owner. "
            "## What we are doing\n\n",
        ),
        "one 200 KB list line": _fill("add retry {n} with jitter and a cap ", "## Action items\n\n- "),
        "2,000-row action table": _fill(
            "| Move worker {n} to the new queue | @ana | P1 | 2026-02-01 | Open |\n",
            "## Action items\n\n| Action | Owner | Priority | Due | Status |\n|---|---|---|---|---|\n",
        ),
        "4,000 nested bullets": _fill(
            "- Fix the reconnect helper\n  - Owner: @bo\n    - [ ] covered by a test\n"
        ),
        "markup runs (** [ ( ` @)": _fill("**[(`@" * 20 + " x\n", "## Action items\n\n"),
        "headings only": _fill("### Next steps {n}\n"),
        "200 KB Confluence page, a task list": _fill(
            '<li data-inline-task-id="{n}"><span>Rotate credential {n} (Owner: @ana)</span></li>\n',
            '<!DOCTYPE html><html><body><div id="main-content"><h2>Action items</h2>'
            '<ul class="inline-task-list">',
        ),
        "Google Docs export of the corpus (200 KB of text)": _google_docs(real),
    }


def _google_docs(real: bytes) -> bytes:
    """The corpus as Google Docs exports it: every line a styled paragraph, up to three times the limit
    (what an HTML export may weigh; its text is held to the limit)."""
    head = "<html><head><style>.c0{font-weight:400}.c1{font-weight:700}</style></head><body>"
    parts, size, shown = [head], len(head), 0
    for line in real.decode("utf-8", errors="replace").split("\n"):
        piece = f'<p class="c2" style="margin:0;padding:0"><span class="c0">{html.escape(line)}</span></p>\n'
        shown += len(line.encode()) + 2  # the text: the line and the blank line after its paragraph
        if size + len(piece.encode()) > 3 * LIMIT - 20 or shown > LIMIT:
            break
        parts.append(piece)
        size += len(piece.encode())
    return ("".join(parts) + "</body></html>").encode()


def _time(fn: Callable[[], object], rounds: int) -> float:
    worst = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        worst = max(worst, time.perf_counter() - start)
    return worst


def _run(raw: bytes) -> None:
    extract(check_document(raw), today=TODAY)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5, help="runs per document; the slowest is reported")
    args = p.parse_args(argv)
    documents = _corpus()
    real = b"\n\n".join(path.read_bytes() for path in documents)
    while len(real) < LIMIT:
        real += b"\n\n" + real
    rows: list[tuple[str, int, float]] = []
    corpus_worst = max((_time(lambda d=d: _run(d.read_bytes()), args.rounds), d) for d in documents)
    rows.append(
        (f"slowest corpus document ({corpus_worst[1].name})", corpus_worst[1].stat().st_size, corpus_worst[0])
    )
    for name, raw in _built(real).items():
        rows.append((name, len(raw), _time(lambda raw=raw: _run(raw), args.rounds)))
    print(f"{len(documents)} corpus documents, slowest of {args.rounds} runs each; target < {TARGET} s\n")
    print(f"| {'document':<52} | {'size':>8} | {'seconds':>7} |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 9}|")
    for name, size, seconds in rows:
        print(f"| {name:<52} | {size / 1000:>5.0f} KB | {seconds:>7.3f} |")
    slow = [name for name, _, seconds in rows if seconds >= TARGET]
    if slow:
        print(f"\nover {TARGET} s: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
