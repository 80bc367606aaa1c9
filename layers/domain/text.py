"""Text normalisation for search: case- and diacritic-insensitive, Polish letters included.

Done in Python on both sides (stored ``search_text`` and the query) because ``ł`` has no Unicode
decomposition and PostgreSQL's ``unaccent`` is not immutable, so it cannot back an index.
"""

from __future__ import annotations

import re
import unicodedata

_EXTRA = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ß": "ss"})
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """``'Ulica Żółkiewskiego 5'`` → ``'ulica zolkiewskiego 5'``."""
    text = text.translate(_EXTRA)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace(".", " ").replace(",", " ")
    return _SPACES.sub(" ", text).strip()
