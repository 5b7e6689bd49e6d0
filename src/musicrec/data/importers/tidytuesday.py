"""Importer for the TidyTuesday 2020-01-21 "Spotify Songs" table (spotifyr export).

One CSV row is one (playlist, track) membership, so a track in several playlists
appears several times; we keep one track row and move memberships into interactions.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from musicrec.data.importers.common import ImportResult, read_table
from musicrec.data.schema import (
    AUDIO_FEATURES,
    coerce_numeric,
    conform,
    require_columns,
    year_from_release_date,
)
from musicrec.errors import DataFileError

COLUMNS = (
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id",
    "track_album_name", "track_album_release_date", "playlist_name", "playlist_id",
    "playlist_genre", "playlist_subgenre", *AUDIO_FEATURES, "duration_ms",
)

SOURCE = "spotify_songs"


def read_spotify_songs(path: str | Path) -> ImportResult:
    """Read ``spotify_songs.csv`` into tracks, playlist memberships and playlists."""
    raw = read_table(path)
    require_columns(raw, COLUMNS, path)
    for column in (*AUDIO_FEATURES, "duration_ms", "track_popularity"):
        raw[column] = coerce_numeric(raw, column, path)
    if raw["track_id"].isna().any():
        row = int(raw["track_id"].isna().to_numpy().argmax()) + 2
        raise DataFileError(path, "track id is empty", row=row, column="track_id")
    raw["genre_labels"] = [
        sorted({g for g in (a, b) if isinstance(g, str)})
        for a, b in zip(raw["playlist_genre"], raw["playlist_subgenre"], strict=True)
    ]
    genres = (
        raw.groupby("track_id", sort=False)["genre_labels"]
        .agg(lambda lists: sorted({g for gl in lists for g in gl}) or None)
    )
    first = raw.drop_duplicates("track_id", keep="first").set_index("track_id", drop=False)
    tracks = pd.DataFrame(
        {
            "track_id": first["track_id"],
            "name": first["track_name"],
            "artists": [[a] if isinstance(a, str) else None for a in first["track_artist"]],
            "album": first["track_album_name"],
            "release_date": first["track_album_release_date"],
            "popularity": first["track_popularity"],
            "duration_ms": first["duration_ms"],
            "genres": genres.reindex(first.index).to_numpy(),
            **{f: first[f] for f in AUDIO_FEATURES},
        }
    ).reset_index(drop=True)
    tracks["year"] = year_from_release_date(tracks["release_date"])
    interactions = (
        raw[["playlist_id", "track_id"]].drop_duplicates().reset_index(drop=True).astype("string")
    )
    interactions["weight"] = pd.Series(1.0, index=interactions.index, dtype="float32")
    playlists = raw.groupby("playlist_id", sort=True).agg(
        name=("playlist_name", "first"),
        genres=("playlist_genre", lambda s: sorted(set(s.dropna()))),
        subgenres=("playlist_subgenre", lambda s: sorted(set(s.dropna()))),
        n_tracks=("track_id", "nunique"),
    ).reset_index()
    return ImportResult(
        tracks=conform(tracks, SOURCE),
        interactions=interactions,
        playlists=playlists,
        sources=[Path(path)],
    )
