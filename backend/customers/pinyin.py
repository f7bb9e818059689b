"""A customer's pinyin initials, for search on the phone ("上海华联超市" → "shhlcs"): the only module that
imports pypinyin."""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

_NOT_KEPT = re.compile(r"[^a-z0-9]")
MAX_LENGTH = 200


def initials(name: str | None) -> str | None:
    """The first letter of each Chinese character's pinyin, with the Latin letters and digits of the name kept
    as they are, in lower case ("ABC 五金" → "abcwj"); null when nothing is left."""
    if not name:
        return None
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    # Compatibility decomposition turns full-width "ＡＢＣ" into "ABC" and "é" into "e" plus an accent.
    kept = _NOT_KEPT.sub("", unicodedata.normalize("NFKD", letters).lower())
    return kept[:MAX_LENGTH] or None
