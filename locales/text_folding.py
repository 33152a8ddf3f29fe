"""Folding what families type so that the spellings of one word in our four languages meet:
Arabic and Persian digits, letters typed in more than one way, and accents.

Each reader of typed text (dates, times, library search, the emergency check) folds in its own
order with these pieces; their own extras stay with them.
"""

from __future__ import annotations

import unicodedata

# Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits, as the ASCII digits they stand for.
ARABIC_DIGITS: dict[int, str] = {0x0660 + d: str(d) for d in range(10)} | {
    0x06F0 + d: str(d) for d in range(10)
}

# Letters typed in more than one way: Polish ł (no decomposition turns it into l); Arabic alef
# maksura and ta marbuta as most people type them; the tatweel, a stretching stroke, dropped.
LETTER_VARIANTS: dict[int, str | None] = str.maketrans({"ł": "l", "ى": "ي", "ة": "ه", "ـ": None})


def without_marks(text: str) -> str:
    """Decomposed (NFKD) and without combining marks: Latin accents, Arabic tashkeel and the
    hamza on أ إ آ ؤ ئ, so "Zęby" meets "Zeby" and أ meets ا."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
