"""Listening-data formats by name, and telling a file's format from its first line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from musicrec.data.interactions import lastfm, listenbrainz, mapped, spotify_playlists
from musicrec.data.interactions.table import Listens
from musicrec.errors import DataFileError, InvalidArgumentError
from musicrec.progress import SILENT, Progress

FORMATS = {
    "spotify-playlists": "the Kaggle 'Spotify Playlists' spotify_dataset.csv",
    "listenbrainz": "a ListenBrainz listen dump (JSON lines)",
    "lastfm-hetrec": "Last.fm HetRec 2011 user_artists.dat (artist level)",
    "mapped": "any CSV, columns given with --map user=... --map title=... --map artist=...",
}


def detect(path: Path) -> str:
    """The format of ``path`` by its first line (or folder contents)."""
    path = Path(path)
    first = ""
    if path.is_file():
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    if lastfm.looks_like(path, first):
        return "lastfm-hetrec"
    if spotify_playlists.looks_like(path, first):
        return "spotify-playlists"
    if listenbrainz.looks_like(path, first):
        return "listenbrainz"
    return "mapped"


def read_listens(path: Path, format: str | None = None,
                 mapping: Mapping[str, str] | None = None,
                 progress: Progress = SILENT) -> Listens:
    """The canonical table of a listening-data file (``format`` None: detected)."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "does not exist")
    chosen = format or ("mapped" if mapping else detect(path))
    if chosen not in FORMATS:
        raise InvalidArgumentError(f"unknown listening-data format '{chosen}'; choose one of "
                                   f"{', '.join(FORMATS)}")
    if mapping and chosen != "mapped":
        raise InvalidArgumentError("--map is for the mapped format (any CSV)")
    if chosen == "mapped":
        return mapped.read(path, mapping, progress)
    return {"spotify-playlists": spotify_playlists.read, "listenbrainz": listenbrainz.read,
            "lastfm-hetrec": lastfm.read}[chosen](path, progress)
