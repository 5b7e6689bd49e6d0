"""The Last.fm HetRec 2011 data (``user_artists.dat`` and ``artists.dat``, tab
separated with a header): play counts of 1,892 users on 17,632 artists.

Artist level: an item is an artist (no title), its weight the user's play count.
A row naming an artist id that ``artists.dat`` lacks, or a count that is not a
positive number, is counted and left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from musicrec.data.interactions.table import ListenBuilder, Listens
from musicrec.errors import DataFileError
from musicrec.progress import SILENT, Progress

PLAYS = "user_artists.dat"
ARTISTS = "artists.dat"


def looks_like(path: Path, first_line: str) -> bool:
    """Whether ``path`` is the HetRec play table (or its folder)."""
    path = Path(path)
    return path.is_dir() and (path / PLAYS).is_file() or (
        first_line.strip().split("\t")[:3] == ["userID", "artistID", "weight"])


def _table(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str, quoting=3, encoding="utf-8",
                            encoding_errors="replace", keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataFileError(path, f"cannot be read as a tab-separated table ({exc})") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFileError(path, f"has no column {', '.join(missing)} (found "
                                  f"{', '.join(frame.columns[:6])})", row=1)
    return frame


def read(path: Path, progress: Progress = SILENT) -> Listens:
    """The play counts; ``path`` is the folder or its ``user_artists.dat``."""
    path = Path(path)
    plays_path = path / PLAYS if path.is_dir() else path
    artists_path = plays_path.with_name(ARTISTS)
    plays = _table(plays_path, ["userID", "artistID", "weight"])
    artists = _table(artists_path, ["id", "name"])
    names = dict(zip(artists["id"], artists["name"], strict=True))
    builder = ListenBuilder(plays_path, "lastfm-hetrec")
    report = builder.report
    report.rows_read = len(plays)
    artist = plays["artistID"].map(names)
    weight = pd.to_numeric(plays["weight"], errors="coerce")
    ok = artist.notna() & (artist != "") & (weight > 0)
    for i in np.flatnonzero(~ok.to_numpy()).tolist():
        reason = ("an artist id that artists.dat lacks" if pd.isna(artist.iat[i])
                  else "a play count that is not a positive number")
        report.bad_row(reason, i + 2, "\t".join(plays.iloc[i].astype(str)))
    plays, artist, weight = plays[ok], artist[ok], weight[ok]
    builder.add(pa.array(("lastfm:" + plays["userID"]).tolist(), pa.string()),
                pa.nulls(len(plays), pa.string()), pa.array(artist.tolist(), pa.string()),
                weights=weight.to_numpy(dtype=np.float32))
    progress.count("rows", len(plays), len(plays))
    return builder.finish()
