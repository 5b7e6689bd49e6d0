"""Playlists as files: M3U8 (extended M3U, UTF-8), JSPF (JSON playlist) and CSV.

Entries point at a track's file (a library scanned from your files) or else its Spotify
page. A track with neither (an imported table whose ids are not Spotify's) keeps its
title and artist: JSPF without a location (players resolve it by name), CSV with an
empty url, M3U8 as a comment line, since an M3U8 entry must be something to play.
JSPF follows the structure ListenBrainz documents: ``{"playlist": {"title", "creator",
"date", "track": [{"title", "creator", "album", "duration", "identifier"}]}}``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from musicrec.data.catalog import Catalog
from musicrec.data.ids import BARE_ID
from musicrec.errors import InvalidArgumentError, UnknownTrackError
from musicrec.io import atomic_write

FORMATS = ("m3u8", "jspf", "csv")
MEDIA_TYPES = {"m3u8": "audio/x-mpegurl", "jspf": "application/jspf+json", "csv": "text/csv"}
CSV_COLUMNS = ("track_id", "name", "artists", "album", "year", "duration_ms", "url")


def spotify_url(track_id: str) -> str | None:
    """The track's Spotify page, or None when the id is not a Spotify id."""
    return f"https://open.spotify.com/track/{track_id}" if BARE_ID.match(track_id) else None


def _entries(catalog: Catalog, track_ids: Sequence[str]) -> list[dict]:
    rows = []
    for track_id in track_ids:
        row = catalog.index_of(str(track_id))
        if row is None:
            raise UnknownTrackError(str(track_id), reason=f"track {track_id} is not in the catalog")
        rows.append(row)
    entries = catalog.records(rows)
    has = "location" in catalog.tracks.columns
    locations = catalog.cells("location", rows) if has and rows else [None] * len(rows)
    for e, location in zip(entries, locations, strict=True):
        # a song of your own files is played from its file; any other from Spotify
        e["file"] = location if isinstance(location, str) and location else None
        e["url"] = spotify_url(e["track_id"]) if e["file"] is None else e["file"]
    return entries


def file_uri(path: str) -> str:
    """A file path as a file:// URI (JSPF locations are URIs); a URI stays as it is."""
    import re

    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path):
        return path
    return Path(path).absolute().as_uri()


def render(catalog: Catalog, track_ids: Sequence[str], fmt: str, title: str = "musicrec") -> str:
    """The playlist of ``track_ids`` (in order) as text in format ``fmt``."""
    if fmt not in FORMATS:
        raise InvalidArgumentError(f"unknown export format '{fmt}'; use {', '.join(FORMATS)}")
    entries = _entries(catalog, track_ids)
    title = clean_text(title)
    for e in entries:  # every writer gets clean text
        e["name"], e["album"] = clean_text(e["name"] or ""), clean_text(e["album"] or "")
        e["artists"] = [clean_text(a) for a in e["artists"]]
    if fmt == "m3u8":
        lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
        for e in entries:
            seconds = -1 if e["duration_ms"] is None else round(e["duration_ms"] / 1000)
            label = f"{', '.join(e['artists'])} - {e['name']}"
            if e["url"] is None:
                lines.append(f"# no file or link: {label} ({clean_text(e['track_id'])})")
            else:
                lines += [f"#EXTINF:{seconds},{label}", e["url"]]
        return "\n".join(lines) + "\n"
    if fmt == "jspf":
        tracks = []
        for e in entries:
            track = {"title": e["name"] or "", "creator": ", ".join(e["artists"]),
                     "album": e["album"] or ""}
            if e["file"] is not None:
                track["location"] = [file_uri(e["file"])]
            elif e["url"] is not None:
                track["identifier"] = [e["url"]]
            if e["duration_ms"] is not None:
                track["duration"] = e["duration_ms"]
            tracks.append(track)
        playlist = {"playlist": {
            "title": title, "creator": "musicrec",
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "track": tracks,
        }}
        return json.dumps(playlist, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([e["track_id"], e["name"] or "", "; ".join(e["artists"]), e["album"] or "",
                         "" if e["year"] is None else e["year"],
                         "" if e["duration_ms"] is None else e["duration_ms"],
                         e["url"] or ""])
    return buffer.getvalue()


def clean_text(text: object) -> str:
    """Text safe on one line of any playlist file: control characters (CR, LF, NUL, ...)
    and line or paragraph separators become spaces, runs of spaces one space."""
    import unicodedata

    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in str(text))
    return " ".join(kept.split())



def format_of(path: Path) -> str:
    """The export format a file name asks for (by its extension)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "m3u":
        suffix = "m3u8"
    if suffix not in FORMATS:
        raise InvalidArgumentError(
            f"cannot tell the playlist format of '{path}': end the name with "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return suffix


def write_playlist(path: Path, text: str) -> Path:
    """Write a playlist file atomically: a failed write leaves no partial file."""
    return atomic_write(path, text)
