"""ListenBrainz listen dumps: JSON lines, one listen per line (CC0, the largest open
listening data).

A line holds ``user_name``, ``listened_at`` (Unix seconds, or an ISO time) and
``track_metadata`` with ``artist_name``, ``track_name`` and optionally
``additional_info.spotify_id`` or a recording MBID (``additional_info.recording_mbid``
or ``mbid_mapping.recording_mbid``). A line that is not JSON or lacks a user, an artist
or a track is counted and left out. The listener is the "who"; each listen weighs 1.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from musicrec.data.interactions.progress_file import CountingFile
from musicrec.data.interactions.table import ListenBuilder, Listens
from musicrec.progress import SILENT, Progress

BATCH = 100_000  # lines per chunk


def looks_like(path: Path, first_line: str) -> bool:
    """Whether a file with this first line is a ListenBrainz dump."""
    text = first_line.strip()
    return text.startswith("{") and '"track_metadata"' in text


def _time(value) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return float(text)
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return float("nan")
    return float("nan")


def _source_id(meta: dict) -> str | None:
    info = meta.get("additional_info") or {}
    mapping = meta.get("mbid_mapping") or {}
    for value in (info.get("spotify_id"), info.get("recording_mbid"),
                  mapping.get("recording_mbid")):
        if isinstance(value, str) and value:
            return value
    return None


def read(path: Path, progress: Progress = SILENT) -> Listens:
    """The dump's listens (see the module doc)."""
    path = Path(path)
    builder = ListenBuilder(path, "listenbrainz")
    report = builder.report
    columns: tuple[list, ...] = ([], [], [], [], [])

    def flush() -> None:
        users, titles, artists, ids, times = columns
        builder.add(pa.array(users, pa.string()), pa.array(titles, pa.string()),
                    pa.array(artists, pa.string()), pa.array(ids, pa.string()),
                    times=np.array(times, dtype=np.float64))
        for column in columns:
            column.clear()

    source = io.BufferedReader(CountingFile(path, progress), 1 << 20)
    try:
        for number, raw in enumerate(source, 1):
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            report.rows_read += 1
            try:
                listen = json.loads(line)
                meta = listen["track_metadata"]
                user, artist, title = (listen["user_name"], meta["artist_name"],
                                       meta["track_name"])
            except (ValueError, KeyError, TypeError):
                report.bad_row("not a listen (JSON with user_name and track_metadata)",
                               number, line)
                continue
            if not all(isinstance(v, str) and v.strip() for v in (user, artist, title)):
                report.bad_row("no user, artist or track name", number, line)
                continue
            columns[0].append(user)
            columns[1].append(title)
            columns[2].append(artist)
            columns[3].append(_source_id(meta))
            columns[4].append(_time(listen.get("listened_at")))
            if len(columns[0]) >= BATCH:
                flush()
        flush()
    finally:
        source.close()
    return builder.finish()
