"""Block Kit for command replies: errors with the right form, and help."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.format import escape, truncate
from bot.slack.blocks.kit import context, header, modal, section

__all__ = ["code_safe", "context", "error", "help_overview", "help_topic", "notice_modal", "section"]


def code_safe(text: str) -> str:
    """User text shown inside backticks: escaped, backticks removed, bounded."""
    return escape(truncate(text.replace("`", "'"), 80))


def error(
    message: str, *, usage: str | None = None, command: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """An ephemeral refusal (fallback text, blocks): what was wrong, and the right form."""
    lines = [f":warning: {message}"]
    if usage:
        lines.append(f"*Usage:* `{usage}`")
    blocks = [section("\n".join(lines))]
    if command:
        blocks.append(context(f"`{command} help` lists every command."))
    text = message + (f" Usage: {usage}" if usage else "")
    return text, blocks


def help_overview(
    command: str, title: str, entries: list[tuple[str, str, str]], *, error: str | None = None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(section(f":warning: {error}"))
    blocks.append(header(title))
    # Several entries per section keep long command lists well inside the 50-block limit.
    chunk: list[str] = []
    for name, summary, usage in entries:
        line = f"*{name}* — {summary}\n`{usage}`"
        if sum(len(c) + 1 for c in chunk) + len(line) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    blocks.append(context(f"`{command} help <command>` shows the flags and an example for one command."))
    return blocks


def help_topic(
    command: str, name: str, summary: str, usage: str, examples: tuple[str, ...]
) -> list[dict[str, Any]]:
    text = f"*{command} {name}* — {summary}\n*Usage:* `{usage}`"
    if examples:
        text += "\n*Examples:*\n" + "\n".join(f"`{e}`" for e in examples)
    return [section(text)]


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (mrkdwn `text`), for surfaces with no other way to answer."""
    return modal(title=title, close="Close", blocks=[section(text)])
