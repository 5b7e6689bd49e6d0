"""The canonical track table: the one shape every importer produces.

One row per track. Missing values stay missing (``<NA>``/``NaN``/``None``); the feature
space decides how to impute them. Interactions (playlist membership) live in a second
table, never as columns of the tracks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.errors import DataFileError, InvalidArgumentError

AUDIO_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)
#: Features a library scanned from audio files holds as estimates (the rest of its
#: features are measured); explanations and ``info`` say so
ESTIMATED_FROM_AUDIO: tuple[str, ...] = (
    "energy", "danceability", "valence", "acousticness", "instrumentalness", "speechiness",
    "liveness")
#: The ``source`` of tracks scanned from audio files
AUDIO_SOURCE = "audio files"

TRACK_COLUMNS: tuple[str, ...] = (
    "track_id",
    "name",
    "artists",
    "album",
    "year",
    "release_date",
    "popularity",
    "explicit",
    "duration_ms",
    "genres",
    "tags",  # descriptive labels (moods, styles, eras: "Mellow", "80s"), e.g. the tagger's
    *AUDIO_FEATURES,
    "location",  # where the audio is: a file's path for a library scanned from files
    "source",
)

LIST_COLUMNS = ("artists", "genres", "tags")
STRING_COLUMNS = ("track_id", "name", "album", "release_date", "location", "source")
INTEGER_COLUMNS = ("year", "popularity", "duration_ms", "key", "mode")

#: Inclusive valid ranges; a value outside is reported with its file, row and column.
VALID_RANGES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "speechiness": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "popularity": (0, 100),
    "key": (-1, 11),
    "mode": (0, 1),
    "tempo": (0.0, 400.0),
    "loudness": (-80.0, 10.0),
    "duration_ms": (0, 24 * 3600 * 1000),
    "year": (1000, 2100),
}

def empty_interactions() -> pd.DataFrame:
    """An interactions table with no rows (a dataset without playlists)."""
    return pd.DataFrame(
        {"playlist_id": pd.Series(dtype="string"), "track_id": pd.Series(dtype="string"),
         "weight": pd.Series(dtype="float32")}
    )


def year_from_release_date(dates: pd.Series) -> pd.Series:
    """The year of ISO-like dates ("2019-06-14", "2012-05", "2012"); missing when absent."""
    years = pd.to_numeric(dates.astype("string").str.slice(0, 4), errors="coerce")
    return years.astype("Int64")


def coerce_numeric(
    frame: pd.DataFrame, column: str, path: str | Path, row_offset: int = 2
) -> pd.Series:
    """Column as numbers; a non-empty value that is not a number raises DataFileError.

    ``row_offset`` turns a 0-based frame position into the file's row number (a CSV
    with a header has its first data row on line 2).
    """
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(
            path, f"'{raw.iloc[pos]}' is not a number", row=pos + row_offset, column=column
        )
    if column in VALID_RANGES:
        lo, hi = VALID_RANGES[column]
        out = values.notna() & ((values < lo) | (values > hi))
        if out.any():
            pos = int(np.flatnonzero(out.to_numpy())[0])
            raise DataFileError(
                path,
                f"{values.iloc[pos]} is outside the valid range {lo}..{hi}",
                row=pos + row_offset,
                column=column,
            )
    return values


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...] | list[str], path) -> None:
    """Raise DataFileError naming the first missing column and the columns found."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:30]))
        raise DataFileError(
            path,
            f"missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (found: {found})",
        )


def conform(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Return the canonical track table: all columns, canonical dtypes, column order.

    Columns an importer did not provide are added as missing. Values must already be
    validated (see :func:`coerce_numeric`); this only fixes dtypes and order.
    """
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in TRACK_COLUMNS:
        values = frame[column].to_numpy() if column in frame.columns else None
        if column in LIST_COLUMNS:
            out[column] = (
                pd.Series(values, dtype=object) if values is not None else [None] * len(frame)
            )
        elif column in STRING_COLUMNS:
            out[column] = pd.Series(values, dtype="string") if values is not None else pd.NA
            out[column] = out[column].astype("string")
        elif column in INTEGER_COLUMNS:
            series = pd.Series(values) if values is not None else pd.Series([pd.NA] * len(frame))
            out[column] = pd.to_numeric(series, errors="coerce").round().astype("Int64")
        elif column == "explicit":
            series = pd.Series(values) if values is not None else pd.Series([pd.NA] * len(frame))
            out[column] = series.map(to_bool).astype("boolean")
        else:
            series = pd.Series(values) if values is not None else pd.Series([np.nan] * len(frame))
            out[column] = pd.to_numeric(series, errors="coerce").astype("float64")
    out["source"] = out["source"].fillna(source)
    return out


def to_bool(value):
    """A flag cell as True/False, or NA when it is missing or not a flag."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return pd.NA
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "1.0", "yes", "t"):
            return True
        if lowered in ("false", "0", "0.0", "no", "f"):
            return False
        return pd.NA
    return bool(value)


def feature_matrix(tracks: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """Raw feature values as float64 (n, d); missing values are NaN."""
    columns = []
    for name in features:
        if name not in tracks.columns:
            raise InvalidArgumentError(f"the tracks have no column '{name}'")
        values = tracks[name]
        if str(values.dtype) == "boolean":
            values = values.astype("Float64")
        columns.append(
            pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        )
    return np.column_stack(columns) if columns else np.empty((len(tracks), 0))
