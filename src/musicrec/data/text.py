"""Normalising titles and artist names, and recognising versions of one song.

Two tracks are versions of one song when their base titles and their primary artists
normalise to the same text: "Wonderwall - Remastered", "Wonderwall (Radio Edit)" and
"Wonderwall (feat. X)" by Oasis all have the key ``"wonderwall|oasis"``.
"""

from __future__ import annotations

import re
import unicodedata

# Words that mark a parenthesised or dashed suffix as a version, not part of the title.
_VERSION_WORDS = (
    r"remaster(?:ed)?|remix(?:es)?|mix|edit|version|live|feat\.?|ft\.?|featuring|with|"
    r"acoustic|mono|stereo|demo|radio|extended|instrumental|unplugged|deluxe|bonus|"
    r"re-?recorded|single|original|explicit|clean|cover|rework|bootleg|vip|dub|from|vs\.?"
)
_VERSION = re.compile(rf"\b(?:{_VERSION_WORDS})\b", re.IGNORECASE)
_BRACKETED = re.compile(r"\s*[\(\[]([^\)\]]*)[\)\]]")
_FEAT_TAIL = re.compile(r"\s+(?:feat\.?|ft\.|featuring)\s+.*$", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")
# Anything base_title could remove: a bracket, a dash, a "feat." word.
_MAY_HAVE_VERSION = re.compile(r"[\(\[\-–—]|\b(?:feat|ft|featuring)\b", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces."""
    if not text.isascii():  # ASCII has no accents to strip and NFKD leaves it as is
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = text.replace("&", " and ").replace("'", "").replace("’", "")
    return _NON_WORD.sub(" ", text.casefold()).strip()


def base_title(title: str) -> str:
    """The title without version markers: "(feat. X)", "- Remastered 2011", "[Radio Edit]"."""
    if not _MAY_HAVE_VERSION.search(title):
        return fold(title)
    text = title

    def drop_version_brackets(match: re.Match[str]) -> str:
        return "" if _VERSION.search(match.group(1)) else match.group(0)

    text = _BRACKETED.sub(drop_version_brackets, text)
    # " - Remastered 2011", " - Radio Edit", " - Galantis Remix": drop from the first
    # dash whose tail names a version.
    parts = re.split(r"\s+[-–—]\s+", text)
    kept = [parts[0]]
    for part in parts[1:]:
        if _VERSION.search(part):
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
    return fold(artists[0]) if artists is not None and len(artists) else None


def version_key(title: str | None, artists) -> str | None:
    """Key shared by all versions of one song (base title and primary artist); None
    when the title is unknown."""
    if not title:
        return None
    return f"{base_title(title)}|{primary_artist(artists) or ''}"
