"""Flags of slash sub-commands: ``--priority P0 --deadline tomorrow 17:00 --system a --force``.

A flag takes one word, the words up to the next flag (``--note some text``, ``--deadline tomorrow 17:00``),
one word each time it is repeated, or nothing. ``--flag=value`` works too. Words that belong to no flag are
positional (the title of ``track new``, the id of ``track``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.core.errors import UserError


class Arity(Enum):
    ONE = "one"  # --priority P0
    WORDS = "words"  # --note the rest, up to the next flag
    REPEAT = "repeat"  # --system a --system b
    SWITCH = "switch"  # --force


@dataclass(frozen=True)
class Flag:
    name: str
    arity: Arity
    example: str = ""  # shown when the value is missing: "--owner @alice"


@dataclass
class Parsed:
    positional: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    repeated: dict[str, list[str]] = field(default_factory=dict)
    switches: set[str] = field(default_factory=set)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def many(self, name: str) -> list[str]:
        return self.repeated.get(name, [])

    def on(self, name: str) -> bool:
        return name in self.switches

    def given(self) -> set[str]:
        return set(self.values) | set(self.repeated) | self.switches


def parse_flags(words: list[str], spec: list[Flag], *, command: str) -> Parsed:
    """Split shell-style `words` by the flags in `spec`. Unknown flags and missing values are UserErrors."""
    flags = {f.name: f for f in spec}
    out = Parsed()
    i = 0
    while i < len(words):
        word = words[i]
        if not _is_flag(word):
            out.positional.append(word)
            i += 1
            continue
        name, eq, inline = word[2:].partition("=")
        name = name.lower().replace("_", "-")
        flag = flags.get(name)
        if flag is None:
            known = ", ".join(f"--{f.name}" for f in spec)
            raise UserError(f"`--{_safe(name)}` is not a flag of `{command}`. Its flags: {known}.")
        i += 1
        if flag.arity is Arity.SWITCH:
            if eq:
                raise UserError(f"`--{flag.name}` takes no value.")
            out.switches.add(flag.name)
            continue
        taken: list[str] = [inline] if eq else []
        if not eq:
            while i < len(words) and not _is_flag(words[i]):
                taken.append(words[i])
                i += 1
                if flag.arity is not Arity.WORDS:
                    break
        value = " ".join(taken).strip()
        if not value:
            example = flag.example or f"--{flag.name} VALUE"
            raise UserError(f"`--{flag.name}` needs a value, e.g. `{example}`.")
        if flag.arity is Arity.REPEAT:
            out.repeated.setdefault(flag.name, []).append(value)
        elif flag.name in out.values:
            raise UserError(f"`--{flag.name}` is given twice; give it once.")
        else:
            out.values[flag.name] = value
    return out


def _is_flag(word: str) -> bool:
    return word.startswith("--") and len(word) > 2 and word[2].isalpha()


def _safe(text: str) -> str:
    return text[:40].replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
