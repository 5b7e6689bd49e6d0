"""What Subsonic clients leave behind: plays (scrobbles) and playlists, in one SQLite
file in the cache (``CACHE/subsonic/state.sqlite``, WAL, safe for several server
processes). Plays are also kept as the listening data ``subsonic``, the canonical
listening table that ``musicrec build --model hybrid --listens subsonic`` learns from."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from musicrec.data.registry import default_cache_dir

#: The name scrobbles are kept under as listening data
LISTENS_NAME = "subsonic"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS plays (
    user TEXT NOT NULL, folder TEXT NOT NULL, track_id TEXT NOT NULL, title TEXT,
    artist TEXT, time INTEGER NOT NULL, submission INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS plays_user_time ON plays (user, time);
CREATE TABLE IF NOT EXISTS playlists (
    id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, name TEXT NOT NULL,
    comment TEXT, public INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,
    changed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS playlist_songs (
    playlist INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, folder TEXT NOT NULL, track_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS playlist_songs_by_list ON playlist_songs (playlist, position);
CREATE TABLE IF NOT EXISTS stars (
    user TEXT NOT NULL, item TEXT NOT NULL, time INTEGER NOT NULL,
    PRIMARY KEY (user, item));
"""


@dataclass(frozen=True)
class Play:
    user: str
    folder: str
    track_id: str
    title: str | None
    artist: str | None
    time: int  # Unix seconds
    submission: bool


@dataclass(frozen=True)
class Playlist:
    id: int
    owner: str
    name: str
    comment: str | None
    public: bool
    created: int
    changed: int
    songs: tuple[tuple[str, str], ...]  # (folder, track_id) in order


def state_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / "subsonic" / "state.sqlite"


class SubsonicStore:
    """Plays and playlists of the Subsonic API's users."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ------------------------------------------------------------ plays
    def add_plays(self, plays: Sequence[Play]) -> None:
        with self._db() as db:
            db.executemany("INSERT INTO plays VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (p.user, p.folder, p.track_id, p.title, p.artist, p.time, int(p.submission))
                for p in plays])

    def plays(self, user: str | None = None, *, submitted: bool = True,
              limit: int | None = None) -> list[Play]:
        """Plays, newest first (only submitted ones unless told otherwise)."""
        sql = "SELECT * FROM plays WHERE 1=1"
        args: list = []
        if user is not None:
            sql += " AND user = ?"
            args.append(user)
        if submitted:
            sql += " AND submission = 1"
        sql += " ORDER BY time DESC, rowid DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._db() as db:
            return [Play(r[0], r[1], r[2], r[3], r[4], int(r[5]), bool(r[6]))
                    for r in db.execute(sql, args)]

    def now_playing(self, within: int = 600) -> list[Play]:
        """Each user's latest "now playing" report of the last ``within`` seconds."""
        since = int(time.time()) - within
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM plays p WHERE submission = 0 AND time >= ? AND time = ("
                "SELECT MAX(time) FROM plays q WHERE q.user = p.user AND q.submission = 0)"
                " GROUP BY user", (since,)).fetchall()
        return [Play(r[0], r[1], r[2], r[3], r[4], int(r[5]), bool(r[6])) for r in rows]

    # ------------------------------------------------------------ stars
    def star(self, user: str, items: Sequence[str], starred: bool = True) -> None:
        """Star (or unstar) songs, albums or artists by their ids."""
        with self._db() as db:
            if starred:
                db.executemany("INSERT OR IGNORE INTO stars VALUES (?, ?, ?)",
                               [(user, i, int(time.time())) for i in items])
            else:
                db.executemany("DELETE FROM stars WHERE user = ? AND item = ?",
                               [(user, i) for i in items])

    def stars(self, user: str) -> dict[str, int]:
        """The user's starred ids and when, newest first."""
        with self._db() as db:
            return {item: int(t) for item, t in db.execute(
                "SELECT item, time FROM stars WHERE user = ? ORDER BY time DESC, rowid DESC",
                (user,))}

    def play_counts(self, user: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(folder, track_id) -> (plays, last played) of the user's submitted plays."""
        with self._db() as db:
            return {(f, t): (int(n), int(last)) for f, t, n, last in db.execute(
                "SELECT folder, track_id, COUNT(*), MAX(time) FROM plays "
                "WHERE user = ? AND submission = 1 GROUP BY folder, track_id", (user,))}

    # ------------------------------------------------------------ playlists
    def create_playlist(self, owner: str, name: str, songs: Sequence[tuple[str, str]]
                        ) -> int:
        now = int(time.time())
        with self._db() as db:
            cursor = db.execute("INSERT INTO playlists (owner, name, created, changed) "
                                "VALUES (?, ?, ?, ?)", (owner, name, now, now))
            playlist = int(cursor.lastrowid)
            self._put_songs(db, playlist, songs)
        return playlist

    def replace_songs(self, playlist: int, songs: Sequence[tuple[str, str]]) -> None:
        with self._db() as db:
            db.execute("DELETE FROM playlist_songs WHERE playlist = ?", (playlist,))
            self._put_songs(db, playlist, songs)
            db.execute("UPDATE playlists SET changed = ? WHERE id = ?",
                       (int(time.time()), playlist))

    def update_playlist(self, playlist: int, *, name: str | None = None,
                        comment: str | None = None, public: bool | None = None) -> None:
        with self._db() as db:
            for column, value in (("name", name), ("comment", comment),
                                  ("public", None if public is None else int(public))):
                if value is not None:
                    db.execute(f"UPDATE playlists SET {column} = ? WHERE id = ?",
                               (value, playlist))
            db.execute("UPDATE playlists SET changed = ? WHERE id = ?",
                       (int(time.time()), playlist))

    @staticmethod
    def _put_songs(db: sqlite3.Connection, playlist: int, songs) -> None:
        db.executemany("INSERT INTO playlist_songs VALUES (?, ?, ?, ?)",
                       [(playlist, i, f, t) for i, (f, t) in enumerate(songs)])

    def playlist(self, playlist: int) -> Playlist | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM playlists WHERE id = ?", (playlist,)).fetchone()
            if row is None:
                return None
            songs = tuple(db.execute("SELECT folder, track_id FROM playlist_songs WHERE "
                                     "playlist = ? ORDER BY position", (playlist,)))
        return Playlist(int(row[0]), row[1], row[2], row[3], bool(row[4]), int(row[5]),
                        int(row[6]), songs)

    def playlists(self, user: str) -> list[Playlist]:
        """The user's playlists and the public ones of others."""
        with self._db() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM playlists WHERE owner = ? OR "
                                            "public = 1 ORDER BY id", (user,))]
        return [p for p in (self.playlist(i) for i in ids) if p is not None]

    def delete_playlist(self, playlist: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM playlists WHERE id = ?", (playlist,))


def plays_as_listens(plays: Sequence[Play], path: Path):
    """Submitted plays as the canonical listening table (one event per play, weight 1,
    the play's time; an item per (catalog, track) with its title and artist and the
    track id as its source id), not yet matched to a catalog."""
    import numpy as np
    import pyarrow as pa

    from musicrec.data.interactions.table import ListenBuilder

    builder = ListenBuilder(path, "subsonic scrobbles")
    builder.report.rows_read = len(plays)
    if plays:
        builder.add(pa.array([p.user for p in plays], pa.string()),
                    pa.array([p.title for p in plays], pa.string()),
                    pa.array([p.artist for p in plays], pa.string()),
                    pa.array([p.track_id for p in plays], pa.string()),
                    times=np.array([p.time for p in plays], dtype=np.float64))
    return builder.finish()
