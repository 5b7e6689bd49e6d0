"""Normalising titles and artist names, and recognising versions of one song.

Two tracks are versions of one song when their base titles and their primary artists
normalise to the same text: "Wonderwall - Remastered", "Wonderwall (Radio Edit)" and
"Wonderwall (feat. X)" by Oasis all have the key ``"wonderwall|oasis"``. A base title
drops every bracketed part ("(Lick It)", "(The Ooh Song)", "(Lil Baby & Gunna)") and
everything from the first dashed part ("- Dante Klein RMX", "- International",
"- Jax Jones & Martin Solveig Present Europa") unless that part numbers a part of a work
("Make A Move - Pt. 2"). In Spotify's titles a dashed suffix names a version.
"""

from __future__ import annotations

import re
import unicodedata

from musicrec.errors import shorten  # noqa: F401  (text helpers live together)

_BRACKETED = re.compile(r"\s*[\(\[]([^\)\]]*)[\)\]]")
_FEAT_TAIL = re.compile(r"\s+(?:feat\.?|ft\.|featuring)\s+.*$", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")
# A dashed part that is a part of a work, not a version: "Pt. 2", "Part II", "Vol. 3".
_PART = re.compile(r"(?:pt\.?|part|vol\.?|volume|chapter|no\.?)\s*(?:\d+|[ivxlc]+)",
                   re.IGNORECASE)
# Anything base_title could remove: a bracket, a dash, a "feat." word.
_MAY_HAVE_VERSION = re.compile(r"[\(\[\-–—]|\b(?:feat|ft|featuring)\b", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces."""
    if not text.isascii():  # ASCII has no accents to strip and NFKD leaves it as is
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = text.replace("&", " and ").replace("'", "").replace("’", "")
    return _NON_WORD.sub(" ", text.casefold()).strip()


def base_title(title: str, artists=None) -> str:
    """The title without version markers: every bracketed part ("(feat. X)", "[Radio
    Edit]", "(Lick It)") and everything from the first dashed part ("- Remastered
    2011", "- International", "- En Vivo") that is not a part number ("- Pt. 2")."""
    if not _MAY_HAVE_VERSION.search(title):
        return fold(title)
    text = _BRACKETED.sub("", title).strip() or title
    parts = re.split(r"\s+[-–—]\s+", text)
    kept = [parts[0]]
    for part in parts[1:]:
        if not _PART.fullmatch(part.strip()):
            break
        kept.append(part)
    text = " - ".join(kept)
    text = _FEAT_TAIL.sub("", text)
    folded = fold(text)
    return folded or fold(title)


def primary_artist(artists) -> str | None:
    """A track's first artist, folded (case and accents ignored); None when unknown.

    ``artists`` is a list of names; a single name where a list was expected counts as
    a list of one.
    """
    if isinstance(artists, str):
        return fold(artists) or None
    if not hasattr(artists, "__len__") or not len(artists):  # None, a missing value
        return None
    return fold(artists[0])


def version_key(title: str | None, artists) -> str | None:
    """Key shared by all versions of one song (base title and primary artist); None
    when the title is unknown."""
    if not title:
        return None
    return f"{base_title(title)}|{primary_artist(artists) or ''}"
