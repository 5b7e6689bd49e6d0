"""Mean feature values per genre and per year, from the catalog or from side files."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from musicrec.data.catalog import Catalog
from musicrec.data.schema import feature_matrix


def genre_profiles(catalog: Catalog, features: Sequence[str]) -> pd.DataFrame:
    """One row per catalog genre: its name, track count and mean feature values."""
    raw = feature_matrix(catalog.tracks, features)
    rows: dict[str, list[int]] = {}
    for row, genres in enumerate(catalog.column("genres")):
        for genre in genres or ():
            rows.setdefault(str(genre), []).append(row)
    records = []
    for genre, members in sorted(rows.items()):
        means = _column_means(raw[members])
        records.append({"genres": genre, "tracks": len(members),
                        **dict(zip(features, means, strict=True))})
    return pd.DataFrame.from_records(records, columns=["genres", "tracks", *features])


def _column_means(values: np.ndarray) -> np.ndarray:
    """Mean of each column over its present values; NaN (and no warning) for a column
    with none, as a genre whose tracks all lack a feature has."""
    present = ~np.isnan(values)
    counts = present.sum(axis=0)
    totals = np.where(present, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def year_profiles(catalog: Catalog, features: Sequence[str]) -> pd.DataFrame:
    """One row per release year: track count and mean feature values."""
    frame = pd.DataFrame(feature_matrix(catalog.tracks, features), columns=list(features))
    frame["year"] = catalog.numeric("year")
    frame = frame.dropna(subset=["year"])
    grouped = frame.groupby("year")
    out = grouped.mean()
    out.insert(0, "tracks", grouped.size())
    return out.reset_index().astype({"year": "int64"})
