"""Reading playlists a user already has, to extend them: M3U/M3U8, JSPF and CSV (as
musicrec writes them, and any CSV with title and artist columns).

Each entry keeps what the file says of a track: a Spotify id where a link or id is
given, else a title and artist (from ``#EXTINF:secs,Artist - Title``, JSPF's ``title``
and ``creator``, or the CSV's columns; a bare file path in an M3U counts as
"Artist - Title" by its file name). The Recommender matches the entries
(:meth:`~musicrec.recommend.recommender.Recommender.extend_playlist`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from musicrec.data.ids import BARE_ID, spotify_track_id
from musicrec.data.interactions.mapped import ALIASES  # a CSV's columns, as for listens
from musicrec.errors import DataFileError, InvalidArgumentError

#: The most entries a playlist may have, and its largest text.
MAX_ENTRIES = 2_000
MAX_BYTES = 1 << 20
FORMATS = ("m3u8", "jspf", "csv")


@dataclass(frozen=True)
class PlaylistEntry:
    """One track of a playlist as the file names it."""

    title: str | None = None
    artist: str | None = None
    track_id: str | None = None
    #: the file the entry points at (a local playlist's path or file:// URI), if any
    location: str | None = None

    @property
    def label(self) -> str:
        """How the entry is shown ("Title - Artist", else its id)."""
        if self.title:
            return f"{self.title} - {self.artist}" if self.artist else self.title
        return self.track_id or "?"

    @property
    def query(self) -> str | None:
        """The seed text that names it ("Title - Artist"), None without a title."""
        return self.label if self.title else None


def detect_format(text: str, name: str = "") -> str:
    """The format by file name, else by content."""
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    if suffix in ("m3u", "m3u8"):
        return "m3u8"
    if suffix in ("jspf", "json"):
        return "jspf"
    if suffix in ("csv", "tsv", "txt") and not text.lstrip().startswith("#EXTM3U"):
        return "csv"
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "jspf"
    if stripped.startswith("#EXTM3U") or stripped.startswith("#EXTINF"):
        return "m3u8"
    return "csv"


def _track_id(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    return spotify_track_id(text) or (text if BARE_ID.match(text) else None)


def file_location(text: str) -> str | None:
    """A playlist line or JSPF location as a file path (file:// URIs decoded), or None
    for a web address."""
    text = text.strip()
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(text).path) or None
    if "://" in text or not text:
        return None
    return text


def _split_label(label: str) -> tuple[str | None, str | None]:
    """"Artist - Title" (as M3U writes it) as (title, artist)."""
    label = label.strip()
    if " - " in label:
        artist, title = label.split(" - ", 1)
        return title.strip() or None, artist.strip() or None
    return label or None, None


def _m3u(text: str) -> list[PlaylistEntry]:
    entries, pending = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#EXTINF"):
            pending = line.split(",", 1)[1] if "," in line else ""
            continue
        if line.startswith("#"):
            continue
        track_id = _track_id(line)
        location = None if track_id else file_location(line)
        title, artist = _split_label(pending) if pending else (None, None)
        if title is None and track_id is None:  # a file path: its name
            stem = PureWindowsPath(line).stem if "\\" in line else PurePosixPath(line).stem
            title, artist = _split_label(re.sub(r"^\d+[\s.\-_]+", "", stem))
        entries.append(PlaylistEntry(title, artist, track_id, location))
        pending = None
    return entries


def _jspf(text: str, name: str) -> list[PlaylistEntry]:
    try:
        tracks = json.loads(text)["playlist"]["track"]
        if not isinstance(tracks, list):
            raise TypeError("'track' is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DataFileError(name, f"is not a JSPF playlist ({exc})") from None
    entries = []
    for track in tracks:
        if not isinstance(track, dict):
            continue
        identifiers = track.get("identifier") or []
        identifiers = [identifiers] if isinstance(identifiers, str) else identifiers
        track_id = next((t for t in (_track_id(str(i)) for i in identifiers) if t), None)
        title = track.get("title") if isinstance(track.get("title"), str) else None
        artist = track.get("creator") if isinstance(track.get("creator"), str) else None
        locations = track.get("location") or []
        locations = [locations] if isinstance(locations, str) else locations
        location = next((file_location(str(u)) for u in locations
                         if file_location(str(u))), None)
        entries.append(PlaylistEntry(title or None, artist or None, track_id, location))
    return entries


def _csv(text: str, name: str) -> list[PlaylistEntry]:
    try:
        return _csv_rows(text, name)
    except csv.Error as exc:
        raise DataFileError(name, f"cannot be read as CSV ({exc})") from None


def _csv_rows(text: str, name: str) -> list[PlaylistEntry]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = {f.strip().casefold(): f for f in reader.fieldnames or []}

    def column(names) -> str | None:
        return next((fields[n] for n in names if n in fields), None)

    title_col, artist_col, id_col = (column(ALIASES["title"]), column(ALIASES["artist"]),
                                     column(ALIASES["track_id"]))
    if title_col is None and id_col is None:
        raise DataFileError(name, "needs a title (or name) column and an artist column, or a "
                                  f"track id column; its columns are "
                                  f"{', '.join(reader.fieldnames or []) or 'none'}", row=1)
    entries = []
    for row in reader:
        title = (row.get(title_col) or "").strip() if title_col else ""
        artist = (row.get(artist_col) or "").strip() if artist_col else ""
        if artist_col and artist.startswith("[") and artist.endswith("]"):
            artist = artist.strip("[]").split(",")[0].strip().strip("'\"")
        elif ";" in artist:
            artist = artist.split(";")[0].strip()
        track_id = _track_id(row.get(id_col)) if id_col else None
        if title or track_id:
            entries.append(PlaylistEntry(title or None, artist or None, track_id))
    return entries


def parse_playlist(text: str, name: str = "playlist", fmt: str | None = None
                   ) -> list[PlaylistEntry]:
    """The entries of a playlist given as text (format by ``fmt``, else detected)."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise InvalidArgumentError(f"{name} is larger than {MAX_BYTES >> 20} MiB; a playlist "
                                   "to extend is at most that")
    fmt = fmt or detect_format(text, name)
    if fmt not in FORMATS:
        raise InvalidArgumentError(f"unknown playlist format '{fmt}'; use {', '.join(FORMATS)}")
    entries = {"m3u8": lambda: _m3u(text), "jspf": lambda: _jspf(text, name),
               "csv": lambda: _csv(text, name)}[fmt]()
    if not entries:
        raise DataFileError(name, f"holds no track (read as {fmt})")
    if len(entries) > MAX_ENTRIES:
        raise InvalidArgumentError(f"{name} has {len(entries):,} tracks; at most "
                                   f"{MAX_ENTRIES:,} can be extended at once")
    return entries


def read_playlist_file(path: Path) -> list[PlaylistEntry]:
    """The entries of a playlist file (UTF-8, a BOM allowed)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InvalidArgumentError(f"{path} is larger than {MAX_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    return parse_playlist(text, str(path))
