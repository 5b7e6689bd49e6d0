"""Importers for the Kaggle "Spotify Dataset 1921-2020, 160k+ Tracks" family.

``data.csv`` holds one row per track with ``artists`` written as a Python-list literal;
``data_w_genres.csv`` holds one row per artist with a ``genres`` list literal, joined
onto tracks by artist name; ``data_by_genres.csv`` and ``data_by_year.csv`` hold mean
audio features per genre and per year.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from musicrec.data.importers.common import ImportResult, parse_list_column, read_table
from musicrec.data.lists import parse_list_literal
from musicrec.data.schema import (
    AUDIO_FEATURES,
    coerce_numeric,
    conform,
    require_columns,
    year_from_release_date,
)

DATA_COLUMNS = (
    "valence", "year", "acousticness", "artists", "danceability", "duration_ms", "energy",
    "explicit", "id", "instrumentalness", "key", "liveness", "loudness", "mode", "name",
    "popularity", "release_date", "speechiness", "tempo",
)
PROFILE_FEATURES = (
    "acousticness", "danceability", "duration_ms", "energy", "instrumentalness", "liveness",
    "loudness", "speechiness", "tempo", "valence", "popularity", "key", "mode",
)

SOURCE = "kaggle_1921_2020"


def read_kaggle_tracks(data_csv: str | Path, genres_csv: str | Path | None = None) -> ImportResult:
    """Read ``data.csv`` (and, when given, genres from ``data_w_genres.csv``)."""
    raw = read_table(data_csv)
    require_columns(raw, DATA_COLUMNS, data_csv)
    numeric = (*AUDIO_FEATURES, "duration_ms", "popularity", "year", "explicit")
    frame = pd.DataFrame({c: coerce_numeric(raw, c, data_csv) for c in numeric})
    frame["track_id"] = raw["id"]
    frame["name"] = raw["name"]
    frame["artists"] = parse_list_column(raw, "artists", data_csv, parse_list_literal)
    frame["release_date"] = raw["release_date"]
    missing_year = frame["year"].isna()
    if missing_year.any():
        frame.loc[missing_year, "year"] = year_from_release_date(raw["release_date"])[missing_year]
    frame = frame.drop_duplicates("track_id", keep="first").reset_index(drop=True)
    sources = [Path(data_csv)]
    if genres_csv is not None:
        by_artist = read_artist_genres(genres_csv)
        frame["genres"] = [
            _union(by_artist.get(a) for a in (artists or [])) for artists in frame["artists"]
        ]
        sources.append(Path(genres_csv))
    return ImportResult(tracks=conform(frame, SOURCE), sources=sources)


def read_artist_genres(path: str | Path) -> dict[str, list[str]]:
    """Map artist name to its genres from ``data_w_genres.csv``."""
    raw = read_table(path)
    require_columns(raw, ("artists", "genres"), path)
    genres = parse_list_column(raw, "genres", path, parse_list_literal)
    out: dict[str, list[str]] = {}
    for artist, artist_genres in zip(raw["artists"], genres, strict=True):
        if not isinstance(artist, str):
            continue
        names = parse_list_literal(artist) or []
        for name in names:
            if artist_genres:
                out[name] = artist_genres
    return out


def read_genre_profiles(path: str | Path) -> pd.DataFrame:
    """Read ``data_by_genres.csv``: one row per genre with mean audio features."""
    return _read_profiles(path, "genres")


def read_year_profiles(path: str | Path) -> pd.DataFrame:
    """Read ``data_by_year.csv``: one row per year with mean audio features."""
    frame = _read_profiles(path, "year")
    frame["year"] = coerce_numeric(frame, "year", path).astype("Int64")
    return frame


def _read_profiles(path: str | Path, key: str) -> pd.DataFrame:
    raw = read_table(path)
    require_columns(raw, (key, *PROFILE_FEATURES), path)
    out = pd.DataFrame({key: raw[key]})
    for column in PROFILE_FEATURES:
        out[column] = coerce_numeric(raw, column, path).astype("float64")
    return out


def _union(lists) -> list[str] | None:
    seen: dict[str, None] = {}
    for items in lists:
        for item in items or ():
            seen.setdefault(item, None)
    return list(seen) or None
