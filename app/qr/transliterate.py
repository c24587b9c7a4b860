"""Fold merchant text to printable ASCII for EMV tags 59 (name) and 60 (city).

Many scanning apps render only ASCII in these fields and EMVCo caps their length, so
"Café Zürich" should reach the QR as "Cafe Zurich", not as mojibake or a refused code.
The native-script name belongs in the language template (tag 64) instead.
"""
from __future__ import annotations

import unicodedata

MERCHANT_NAME_MAX = 25  # tag 59
MERCHANT_CITY_MAX = 15  # tag 60

# Letters that NFKD leaves whole (they are not "base + accent") but that have a
# conventional Latin spelling; without this table they would simply vanish. Applied
# after NFKD so accented forms such as "Ǿ" (Ø + acute) are caught too.
_LETTERS = str.maketrans({
    "ß": "ss", "ẞ": "SS",
    "Æ": "AE", "æ": "ae",
    "Œ": "OE", "œ": "oe",
    "Ø": "O", "ø": "o",
    "Ł": "L", "ł": "l",
    "Đ": "D", "đ": "d",
    "Ð": "D", "ð": "d",
    "Þ": "TH", "þ": "th",
    "Ħ": "H", "ħ": "h",
    "ı": "i",
})


def ascii_fold(text: str, max_len: int) -> str:
    """Transliterate to printable ASCII, collapse whitespace, truncate to ``max_len``.

    NFKD splits accented letters into base + combining mark (and folds compatibility
    forms such as full-width letters and ligatures); the marks are dropped, a few
    special letters are spelled out, and anything still outside ASCII is dropped.
    """
    decomposed = unicodedata.normalize("NFKD", text).translate(_LETTERS)
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in decomposed
        if ch.isspace() or " " <= ch <= "~"
    )
    # Collapse after dropping, so "a € b" becomes "a b"; strip again after truncating
    # so the cut never leaves a trailing space.
    return " ".join(kept.split())[:max_len].rstrip()
