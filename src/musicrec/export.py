"""Playlists as files: M3U8 (extended M3U, UTF-8), JSPF (JSON playlist) and CSV.

Entries point at the tracks' Spotify pages, since the catalog has no audio files.
JSPF follows the structure ListenBrainz documents: ``{"playlist": {"title", "creator",
"date", "track": [{"title", "creator", "album", "duration", "identifier"}]}}``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from musicrec.data.catalog import Catalog
from musicrec.errors import InvalidArgumentError, UnknownTrackError

FORMATS = ("m3u8", "jspf", "csv")
MEDIA_TYPES = {"m3u8": "audio/x-mpegurl", "jspf": "application/jspf+json", "csv": "text/csv"}
CSV_COLUMNS = ("track_id", "name", "artists", "album", "year", "duration_ms", "url")


def spotify_url(track_id: str) -> str:
    return f"https://open.spotify.com/track/{track_id}"


def _entries(catalog: Catalog, track_ids: Sequence[str]) -> list[dict]:
    c = catalog.column
    out = []
    for track_id in track_ids:
        row = catalog.index_of(str(track_id))
        if row is None:
            raise UnknownTrackError(str(track_id), reason=f"track {track_id} is not in the catalog")
        duration = c("duration_ms")[row]
        out.append({
            "track_id": str(track_id),
            "name": c("name")[row] or "",
            "artists": list(c("artists")[row] or []),
            "album": c("album")[row] or "",
            "year": c("year")[row],
            "duration_ms": None if duration is None else int(duration),
        })
    return out


def render(catalog: Catalog, track_ids: Sequence[str], fmt: str, title: str = "musicrec") -> str:
    """The playlist of ``track_ids`` (in order) as text in format ``fmt``."""
    if fmt not in FORMATS:
        raise InvalidArgumentError(f"unknown export format '{fmt}'; use {', '.join(FORMATS)}")
    entries = _entries(catalog, track_ids)
    if fmt == "m3u8":
        lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(title)}"]
        for e in entries:
            seconds = -1 if e["duration_ms"] is None else round(e["duration_ms"] / 1000)
            label = _one_line(f"{', '.join(e['artists'])} - {e['name']}")
            lines += [f"#EXTINF:{seconds},{label}", spotify_url(e["track_id"])]
        return "\n".join(lines) + "\n"
    if fmt == "jspf":
        tracks = []
        for e in entries:
            track = {"title": e["name"], "creator": ", ".join(e["artists"]),
                     "album": e["album"], "identifier": [spotify_url(e["track_id"])]}
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
        writer.writerow([e["track_id"], e["name"], "; ".join(e["artists"]), e["album"],
                         "" if e["year"] is None else e["year"],
                         "" if e["duration_ms"] is None else e["duration_ms"],
                         spotify_url(e["track_id"])])
    return buffer.getvalue()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


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
    """Write atomically: a failed write leaves no partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
