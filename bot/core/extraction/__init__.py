"""Pure extraction of remediation items from analysis documents (Five Whys, post-mortems, plans).

    text = check_document(raw)                      # raises DocumentError with a user-facing message
    result = extract(text, today=today, known_users={"alice": "U123ABC"})

The rules -- what becomes an item, how priority, owner, due date, kind, criteria and prevention are
read -- are documented in `extractor.py` and applied by the walk in `walker.py`. Section names live in
`sections.py`, one line's shape in `lines.py`, work written as sentences in `sentences.py`, done
markers in `markers.py`, titles in `titles.py`, tables in `tables.py`, field parsing in `fields.py`,
tokenising (front matter included) in `markdown.py`.
"""

from bot.core.extraction.document import check_document
from bot.core.extraction.extractor import extract
from bot.core.extraction.model import DocumentError, ExtractedItem, Extraction
from bot.core.extraction.titles import normalise_title, similar_titles

__all__ = [
    "DocumentError",
    "ExtractedItem",
    "Extraction",
    "check_document",
    "extract",
    "normalise_title",
    "similar_titles",
]
