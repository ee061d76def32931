"""Which extracted items duplicate items that already exist.

An extracted item is a duplicate (flagged in the preview and unticked, never silently re-created) when
- an item with the same normalised title came from the same source, whatever its status; or
- an open item has the same normalised title, or a near-identical one (`similar_titles`).

Exact titles are found through the indexed title_key column. Near-identical ones are looked for among the
newest open items (at most `open_limit`), through an index of their words: each extracted title is compared
with at most `COMPARED` open titles, those sharing the most of its rarer words, so a large backlog costs a
bounded amount of work per preview.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlmodel import Session

from bot.core.extraction import normalise_title, similar_titles
from bot.core.extraction_preview import Row
from bot.core.items import rules
from storage import extraction as store
from storage.items import OPEN

COMPARED = 50  # open titles compared in full with each extracted title
POSTINGS_BUDGET = 5_000  # word postings read per extracted title before the rarest words are enough
_STOPWORDS = frozenset(
    "a an and as at be by for from in into is it of on or the to with when that this".split()
)


def find_duplicates(session: Session, rows: Sequence[Row], *, source: str, open_limit: int) -> list[Row]:
    """`rows` with `duplicate_of` / `duplicate_why` set where they repeat an existing item."""
    keys = {row.index: rules.title_key(row.title) for row in rows}
    by_key: dict[str, list[store.ItemTitle]] = defaultdict(list)
    for found in store.items_with_title_keys(session, keys=list(keys.values())):
        by_key[found.title_key].append(found)
    same_source = " ".join(source.split()).lower()
    flagged: list[Row] = []
    pending: list[Row] = []
    for row in rows:
        matches = sorted(by_key.get(keys[row.index], []), key=lambda t: t.id)
        from_source = [m for m in matches if " ".join((m.source_ref or "").split()).lower() == same_source]
        open_ones = [m for m in matches if m.status in OPEN]
        if from_source:
            flagged.append(_flag(row, from_source[0], "already tracked from this document"))
        elif open_ones:
            flagged.append(_flag(row, open_ones[0], "an open item has the same title"))
        else:
            pending.append(row)
    if pending:
        index = _OpenTitles(store.open_item_titles(session, limit=open_limit))
        for row in pending:
            near = index.near(row.title)
            flagged.append(_flag(row, near, "an open item has a near-identical title") if near else row)
    return sorted(flagged, key=lambda r: r.index)


def _flag(row: Row, item: store.ItemTitle, why: str) -> Row:
    return dataclasses.replace(row, duplicate_of=item.id, duplicate_why=why)


class _OpenTitles:
    """Open items' normalised titles, with an index from each word to the titles holding it."""

    def __init__(self, titles: list[store.ItemTitle]):
        self.titles = titles
        self.normalised = [normalise_title(t.title) for t in titles]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for position, text in enumerate(self.normalised):
            for word in set(text.split()) - _STOPWORDS:
                self.postings[word].append(position)

    def near(self, title: str) -> store.ItemTitle | None:
        wanted = normalise_title(title)
        if not wanted:
            return None
        words = sorted(set(wanted.split()) - _STOPWORDS, key=lambda w: len(self.postings.get(w, ())))
        shared: Counter[int] = Counter()
        read = 0
        for taken, word in enumerate(words):
            postings = self.postings.get(word, ())
            if taken >= 3 and read + len(postings) > POSTINGS_BUDGET:
                break
            shared.update(postings)
            read += len(postings)
        for position, _count in shared.most_common(COMPARED):
            if similar_titles(wanted, self.normalised[position]):
                return self.titles[position]
        return None
