"""Tags of an audio file (mutagen), with the file name as the fallback for a title."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: Tag keys read, by what they become (first found wins; mutagen's "easy" names)
_KEYS = {
    "title": ("title",),
    "artist": ("artist", "albumartist"),
    "album": ("album",),
    "date": ("date", "originaldate", "year"),
    "genre": ("genre",),
    "musicbrainz_trackid": ("musicbrainz_trackid", "musicbrainz_releasetrackid"),
    "musicbrainz_artistid": ("musicbrainz_artistid",),
}


def _first(tags: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            values = tags.get(name)
        except (KeyError, ValueError, TypeError):
            continue
        if isinstance(values, (list, tuple)) and values:
            values = values[0]
        if isinstance(values, str) and values.strip():
            return values.strip()
    return None


def year_of(date: str | None) -> int | None:
    """The year in a tag date ('2011', '2011-07-19', '2016-03-18T12:24:48')."""
    if not date:
        return None
    found = re.match(r"\s*(\d{4})", date)
    year = int(found.group(1)) if found else None
    return year if year and 1000 <= year <= 2100 else None


def from_file_name(path: Path) -> tuple[str | None, str]:
    """(artist, title) from a name such as 'Artist - Title.mp3' or '03 Title.flac'."""
    stem = path.stem.replace("_", " ").strip()
    stem = re.sub(r"^\d{1,3}[\s.\-]+", "", stem) or stem  # a leading track number
    artist, sep, title = stem.partition(" - ")
    if sep and artist.strip() and title.strip():
        return artist.strip(), title.strip()
    return None, stem


def read_tags(path: Path) -> dict[str, Any]:
    """title, artists, album, year, genre, duration (s), MusicBrainz ids of ``path``;
    a file without tags (or that mutagen cannot read) is named after its file name."""
    import mutagen

    found: dict[str, Any] = {}
    duration = None
    try:
        audio = mutagen.File(str(path), easy=True)
    except Exception:  # mutagen raises many types for damaged headers; decoding decides
        audio = None
    if audio is not None:
        duration = getattr(audio.info, "length", None)
        if audio.tags is not None:
            found = {key: _first(audio.tags, names) for key, names in _KEYS.items()}
    artist_from_name, title_from_name = from_file_name(path)
    artist = found.get("artist") or artist_from_name
    return {
        "title": found.get("title") or title_from_name,
        "artists": [artist] if artist else [],
        "album": found.get("album"),
        "year": year_of(found.get("date")),
        "genres": [found["genre"]] if found.get("genre") else [],
        "duration": float(duration) if duration and duration > 0 else None,
        "musicbrainz_trackid": found.get("musicbrainz_trackid"),
        "musicbrainz_artistid": found.get("musicbrainz_artistid"),
        "tagged": bool(found.get("title")),
    }
