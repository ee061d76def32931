"""Sub-command routing for slash commands, with help generated from what is registered.

A handler takes a CommandContext and returns a Reply (what to acknowledge with) or None when it answered
another way (e.g. it opened a modal). A `UserError` becomes one ephemeral message that says what was wrong
and shows the right form; nothing else is caught here (the app's error handler deals with the rest).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.errors import UserError
from bot.slack.blocks import replies

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.deps import Deps


@dataclass(frozen=True)
class CommandContext:
    deps: Deps
    client: WebClient
    command: str
    subcommand: str
    args: str  # the text after the sub-command, as typed
    user_id: str
    user_name: str
    channel_id: str
    team_id: str
    trigger_id: str | None
    response_url: str | None  # only ever Slack's (`bot.slack.response_urls`); None for anything else

    def argv(self) -> list[str]:
        """The arguments split like a shell would, quotes kept together (“smart quotes” too)."""
        text = self.args
        for smart, ascii_quote in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'")):
            text = text.replace(smart, ascii_quote)
        try:
            return shlex.split(text)
        except ValueError as exc:
            raise UserError(f"I could not read the arguments: {exc} (check your quotes)") from None


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] | None = None
    in_channel: bool = False
    refused: bool = False  # the request was refused (bad input, not allowed); nothing changed

    def as_ack(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "response_type": "in_channel" if self.in_channel else "ephemeral",
        }
        if self.blocks:
            out["blocks"] = self.blocks
        return out


Handler = Callable[[CommandContext], "Reply | None"]


@dataclass
class Subcommand:
    name: str
    handler: Handler
    summary: str
    usage: str
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass
class SubcommandRouter:
    command: str
    title: str
    default: str = "help"
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        summary: str,
        usage: str,
        examples: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
    ) -> None:
        sub = Subcommand(name, handler, summary, usage, examples, aliases)
        self.subcommands[name] = sub
        for n in (name, *aliases):
            self._names[n.lower()] = name

    def resolve(self, word: str) -> Subcommand | None:
        name = self._names.get(word.lower())
        return self.subcommands.get(name) if name else None

    def split(self, text: str) -> tuple[str, str]:
        text = (text or "").strip()
        if not text:
            return self.default, ""
        head, *rest = text.split(maxsplit=1)  # a tab or a new line after the sub-command counts as a space
        return head, rest[0].strip() if rest else ""

    def dispatch(self, ctx: CommandContext) -> Reply | None:
        if ctx.subcommand.lower() in ("help", "-h", "--help", "?"):
            topic = ctx.args.strip().split(" ")[0] if ctx.args.strip() else ""
            return self.help(topic=topic)
        sub = self.resolve(ctx.subcommand)
        if sub is None:
            return self.help(
                error=f"`{self.command} {replies.code_safe(ctx.subcommand)}` is not a command I know."
            )
        try:
            return sub.handler(ctx)
        except UserError as err:
            return error_reply(err.message, usage=err.usage or sub.usage, command=self.command)

    def help(self, *, error: str | None = None, topic: str = "") -> Reply:
        sub = self.resolve(topic) if topic else None
        if sub is not None:
            blocks = replies.help_topic(self.command, sub.name, sub.summary, sub.usage, sub.examples)
            return Reply(text=f"{self.command} {sub.name}: {sub.summary}", blocks=blocks)
        entries = [(s.name, s.summary, s.usage) for s in self.subcommands.values()]
        blocks = replies.help_overview(self.command, self.title, entries, error=error)
        text = (
            (error + " " if error else "")
            + f"{self.command} commands: "
            + ", ".join(s for s, _, _ in entries)
        )
        return Reply(text=text, blocks=blocks, refused=error is not None)


def error_reply(message: str, *, usage: str | None = None, command: str | None = None) -> Reply:
    """An ephemeral refusal: what was wrong, and the right form."""
    text, blocks = replies.error(message, usage=usage, command=command)
    return Reply(text=text, blocks=blocks, refused=True)
