"""The user's own table of tracks added from outside the catalog (Parquet, atomic writes).

A song looked up on Spotify (with features from a provider) is kept here, so the next
run neither asks again nor loses it; it is found by search and usable as a seed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from musicrec.data.schema import TRACK_COLUMNS, conform
from musicrec.errors import DataFileError
from musicrec.io import atomic_write

USER_TRACKS = "user_tracks.parquet"


class UserTracks:
    """Canonical track rows kept in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.frame = self._read()

    def _read(self) -> pd.DataFrame:
        if not self.path.is_file():
            return conform(pd.DataFrame(columns=list(TRACK_COLUMNS)), "user")
        try:
            frame = pd.read_parquet(self.path)
        except Exception as exc:  # a damaged file: say which
            raise DataFileError(self.path, f"cannot be read as Parquet ({exc}); delete it to "
                                "start a new table of added tracks") from exc
        for column in ("artists", "genres", "tags"):
            if column in frame:
                frame[column] = [None if v is None else list(v) for v in frame[column]]
        return conform(frame, "user")

    def __len__(self) -> int:
        return len(self.frame)

    def get(self, track_id: str) -> dict | None:
        rows = self.frame[self.frame["track_id"] == track_id]
        return None if rows.empty else rows.iloc[0].to_dict()

    def add(self, track: dict) -> None:
        """Add (or replace) one track and write the table atomically."""
        row = conform(pd.DataFrame([track]), str(track.get("source") or "user"))
        kept = self.frame[self.frame["track_id"] != row["track_id"].iloc[0]]
        frame = pd.concat([kept, row], ignore_index=True) if len(kept) else row
        atomic_write(self.path, lambda partial: frame.to_parquet(partial, index=False))
        self.frame = frame.reset_index(drop=True)
