"""Text cues a track's own title and album give about its style.

A remix or an edit is electronic production, "feat." is common in rap and R&B, Spanish
function words and accents mark Latin music, another script music from elsewhere. These
are read from the track itself, so a brand-new song has them too; only the style model
uses them (similarity on audio features and explanations do not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

_VERSION = re.compile(r"\b(?:remix|mix|edit|bootleg|vip|rework|dub)\b")
_FEATURING = re.compile(r"\b(?:feat\.?|ft\.?|with)\b")
_PERFORMANCE = re.compile(r"\b(?:live|acoustic|unplugged|remaster(?:ed)?)\b")
_SPANISH = re.compile(
    r"\b(?:de|la|el|mi|que|tu|te|y|en|los|las|amor|corazón|me|no|una?|por|para|yo)\b"
)

CUE_NAMES: tuple[str, ...] = tuple(
    f"{part}_{cue}"
    for part in ("title", "album")
    for cue in ("version", "featuring", "performance", "spanish", "non_ascii", "length")
)


def _cues(text: str) -> list[float]:
    lower = text.lower()
    words = max(1, len(lower.split()))
    return [
        float(bool(_VERSION.search(lower))),
        float(bool(_FEATURING.search(lower))),
        float(bool(_PERFORMANCE.search(lower))),
        len(_SPANISH.findall(lower)) / words,
        sum(ord(ch) > 127 for ch in text) / max(1, len(text)),  # accents, other scripts
        float(len(text)),
    ]


def text_cues(titles: Iterable[object], albums: Iterable[object]) -> np.ndarray:
    """(n, len(CUE_NAMES)) float64: the cues of each title and album (missing: empty)."""
    rows = [
        _cues(t if isinstance(t, str) else "") + _cues(a if isinstance(a, str) else "")
        for t, a in zip(titles, albums, strict=True)
    ]
    return np.array(rows, dtype=np.float64).reshape(-1, len(CUE_NAMES))
