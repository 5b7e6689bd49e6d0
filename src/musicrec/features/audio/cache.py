"""The analysis cache: results by content hash, so a rescan skips unchanged files.

One SQLite file (``CACHE/audio/analyses.sqlite``). ``results`` holds each analysis (or
the reason a file was skipped) by the file's sha256 and the analysis settings, so a
moved or renamed file is not analysed again and a changed one is; ``files`` remembers
each path's size, mtime and hash, so an unchanged file is not even read again. Every
result is committed as it arrives (in small transactions), so a killed scan resumes
where it stopped and never leaves a half-written entry: SQLite's journal makes each
transaction all or nothing.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT NOT NULL, settings TEXT NOT NULL, ok INTEGER NOT NULL,
    reason TEXT, message TEXT, data TEXT, PRIMARY KEY (sha256, settings));
"""
#: Seconds between commits while results stream in
COMMIT_EVERY = 1.0


class AnalysisCache:
    """Analyses by (content hash, settings) and known files by path (see module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._db.commit()
        self._last_commit = time.monotonic()

    def close(self) -> None:
        self._db.commit()
        self._db.close()

    def __enter__(self) -> AnalysisCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def known_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The hash recorded for ``path`` when its size and mtime are as recorded."""
        row = self._db.execute("SELECT size, mtime_ns, sha256 FROM files WHERE path = ?",
                               (path,)).fetchone()
        return row[2] if row and row[0] == size and row[1] == mtime_ns else None

    def remember_file(self, path: str, size: int, mtime_ns: int, sha256: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                         (path, size, mtime_ns, sha256))
        self._maybe_commit()

    def result(self, sha256: str, settings: str) -> dict[str, Any] | None:
        """The cached outcome: {"ok", "reason", "message", "data"}, or None."""
        row = self._db.execute(
            "SELECT ok, reason, message, data FROM results WHERE sha256 = ? AND settings = ?",
            (sha256, settings)).fetchone()
        if row is None:
            return None
        return {"ok": bool(row[0]), "reason": row[1], "message": row[2],
                "data": json.loads(row[3]) if row[3] else None}

    def store(self, sha256: str, settings: str, outcome: dict[str, Any]) -> None:
        data = outcome.get("data")
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
            (sha256, settings, int(bool(outcome["ok"])), outcome.get("reason"),
             outcome.get("message"), None if data is None else json.dumps(data)))
        self._maybe_commit()

    def commit(self) -> None:
        self._db.commit()
        self._last_commit = time.monotonic()

    def _maybe_commit(self) -> None:
        if time.monotonic() - self._last_commit >= COMMIT_EVERY:
            self.commit()
