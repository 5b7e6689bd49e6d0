"""One served catalog as a Subsonic music folder: its songs, albums and artists under
opaque ids, and the ``Child`` / ``AlbumID3`` / ``ArtistID3`` entries clients read.

Ids are short hashes of the folder and the track id (or album or artist name), so they
stay the same across restarts and rescans and say nothing about files. Albums group
songs by album title and first artist; artists by first artist. Built on first use.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.schema import AUDIO_SOURCE
from musicrec.recommend.recommender import Recommender

UNKNOWN_ARTIST, UNKNOWN_ALBUM = "[Unknown Artist]", "[Unknown Album]"
_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
          "flac": "audio/flac", "m4a": "audio/mp4", "aac": "audio/aac", "wav": "audio/wav",
          "wma": "audio/x-ms-wma", "aiff": "audio/aiff", "aif": "audio/aiff"}


def opaque_id(kind: str, *parts: str) -> str:
    """``kind`` (tr, al, ar) and 16 hex digits of a hash of the parts."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return kind + digest[:16]


def content_type(suffix: str) -> str:
    return _TYPES.get(suffix.lower()) or mimetypes.guess_type("x." + suffix)[0] or (
        "application/octet-stream")


@dataclass
class Album:
    id: str
    name: str
    artist: str
    artist_id: str
    rows: list[int] = field(default_factory=list)


@dataclass
class Artist:
    id: str
    name: str
    albums: list[str] = field(default_factory=list)  # album ids


class Shelf:
    """Songs, albums and artists of one served catalog (a Subsonic music folder)."""

    def __init__(self, folder_id: int, name: str, rec: Recommender,
                 roots: list[Path] | None = None) -> None:
        self.folder_id = folder_id
        self.name = name
        self.rec = rec
        #: folders its files may be streamed from (a scanned library's); none: no files
        self.roots = [Path(r).resolve() for r in roots or []]
        self._sizes: dict[int, int | None] = {}

    @property
    def has_files(self) -> bool:
        return bool(self.roots)

    # ------------------------------------------------------------ the index
    @cached_property
    def columns(self) -> dict[str, list]:
        catalog = self.rec.catalog
        out = {name: catalog.column(name).tolist() for name in (
            "track_id", "name", "artists", "album", "year", "genres", "duration_ms", "tempo",
            "location", "source")}
        return out

    @cached_property
    def song_ids(self) -> list[str]:
        return [opaque_id("tr", self.name, str(t)) for t in self.columns["track_id"]]

    @cached_property
    def _song_rows(self) -> dict[str, int]:
        return {sid: row for row, sid in enumerate(self.song_ids)}

    @cached_property
    def _grouped(self) -> tuple[dict[str, Album], dict[str, Artist], list[str]]:
        albums: dict[str, Album] = {}
        artists: dict[str, Artist] = {}
        album_of: list[str] = []
        cols = self.columns
        locations = cols["location"]
        order = sorted(range(len(locations)), key=lambda r: (str(locations[r] or ""), r))
        album_of = [""] * len(order)
        for row in order:
            artist = _first(cols["artists"][row]) or UNKNOWN_ARTIST
            title = _text(cols["album"][row]) or UNKNOWN_ALBUM
            artist_id = opaque_id("ar", self.name, artist.casefold())
            album_id = opaque_id("al", self.name, artist.casefold(), title.casefold())
            entry = artists.get(artist_id)
            if entry is None:
                entry = artists[artist_id] = Artist(artist_id, artist)
            album = albums.get(album_id)
            if album is None:
                album = albums[album_id] = Album(album_id, title, artist, artist_id)
                entry.albums.append(album_id)
            album.rows.append(row)
            album_of[row] = album_id
        return albums, artists, album_of

    @property
    def albums(self) -> dict[str, Album]:
        return self._grouped[0]

    @property
    def artists(self) -> dict[str, Artist]:
        return self._grouped[1]

    def row_of(self, song_id: str) -> int | None:
        return self._song_rows.get(song_id)

    def track_id(self, row: int) -> str:
        return str(self.columns["track_id"][row])

    def row_of_track(self, track_id: str) -> int | None:
        return self.rec.catalog.index_of(track_id)

    # ------------------------------------------------------------ files
    def file_of(self, row: int) -> Path | None:
        """The row's audio file, when it is a file of this library (inside one of its
        scanned folders, symbolic links resolved) and is there; None otherwise."""
        if not self.roots or self.columns["source"][row] != AUDIO_SOURCE:
            return None
        location = _text(self.columns["location"][row])
        if not location:
            return None
        try:
            path = Path(location).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            return None
        return path

    def _size(self, row: int) -> int | None:
        if row not in self._sizes:
            path = self.file_of(row)
            try:
                self._sizes[row] = None if path is None else os.stat(path).st_size
            except OSError:
                self._sizes[row] = None
        return self._sizes[row]

    # ------------------------------------------------------------ entries
    def child(self, row: int) -> dict:
        """The song's ``Child`` entry."""
        cols = self.columns
        albums, _, album_of = self._grouped
        album = albums[album_of[row]]
        title = _text(cols["name"][row]) or "[Untitled]"
        duration = cols["duration_ms"][row]
        year = cols["year"][row]
        tempo = cols["tempo"][row]
        genre = _first(cols["genres"][row])
        entry = {
            "id": self.song_ids[row], "parent": album.id, "isDir": False, "title": title,
            "album": album.name, "artist": _first(cols["artists"][row]) or UNKNOWN_ARTIST,
            "year": int(year) if _number(year) else None, "genre": genre,
            "duration": int(round(duration / 1000)) if _number(duration) else None,
            "isVideo": False, "type": "music", "mediaType": "song", "albumId": album.id,
            "artistId": album.artist_id,
            "bpm": int(round(tempo)) if _number(tempo) else None,
        }
        size = self._size(row)
        if size is not None:
            suffix = Path(str(cols["location"][row])).suffix.lstrip(".").lower()
            name = Path(str(cols["location"][row])).name
            entry |= {"size": size, "suffix": suffix, "contentType": content_type(suffix),
                      "coverArt": self.song_ids[row],
                      "path": f"{album.artist}/{album.name}/{name}"}
            if entry["duration"]:
                entry["bitRate"] = max(1, int(round(size * 8 / 1000 / entry["duration"])))
        return entry

    def album_entry(self, album: Album, with_songs: bool = False) -> dict:
        """The album's ``AlbumID3`` entry (with its songs: ``AlbumID3WithSongs``)."""
        songs = [self.child(r) for r in album.rows]
        years = [s["year"] for s in songs if s.get("year")]
        genres = [s["genre"] for s in songs if s.get("genre")]
        entry = {"id": album.id, "name": album.name, "artist": album.artist,
                 "artistId": album.artist_id, "songCount": len(songs),
                 "duration": sum(s.get("duration") or 0 for s in songs),
                 "year": min(years) if years else None,
                 "genre": genres[0] if genres else None,
                 "coverArt": next((s["coverArt"] for s in songs if s.get("coverArt")), None),
                 "created": "1970-01-01T00:00:00Z"}
        if with_songs:
            entry["song"] = songs
        return entry

    def artist_entry(self, artist: Artist, with_albums: bool = False) -> dict:
        entry = {"id": artist.id, "name": artist.name, "albumCount": len(artist.albums)}
        if with_albums:
            entry["album"] = [self.album_entry(self.albums[a]) for a in artist.albums]
        return entry

    def album_of_row(self, row: int) -> Album:
        albums, _, album_of = self._grouped
        return albums[album_of[row]]

    def random_rows(self, n: int, rng: np.random.Generator, mask: np.ndarray | None = None
                    ) -> list[int]:
        pool = np.arange(len(self.song_ids)) if mask is None else np.flatnonzero(mask)
        if not len(pool):
            return []
        return [int(r) for r in rng.choice(pool, size=min(n, len(pool)), replace=False)]


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _first(values) -> str | None:
    if values is None or isinstance(values, float):
        return None
    for value in list(values):
        text = _text(value)
        if text:
            return text
    return None


def _number(value) -> bool:
    try:
        return value is not None and not bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
