"""What each cluster is like, in words people read: for ``musicrec clusters`` and figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from musicrec.model.clusters import Clustering


@dataclass
class ClusterSummary:
    """What sets one cluster apart."""

    cluster: int
    size: int
    distinctive: list[tuple[str, float, float]]  # feature, cluster mean, overall mean
    genres: list[tuple[str, int]]
    examples: list[str]
    key: str | None = None  # the commonest key and mode, with its share: "G major (14%)"


def summarize(
    clustering: Clustering,
    raw: np.ndarray,
    genres: Sequence[Sequence[str] | None],
    labels_of_rows: Callable[[int], str],
    top_features: int = 3,
    examples: int = 3,
) -> list[ClusterSummary]:
    """Per cluster: size, the features furthest from the overall mean (in standard
    deviations; reported in original units), its commonest genres, example tracks
    (the closest to the centroid), and its commonest key and mode. A key is a pitch
    class, not a quantity, so it is never described by a mean."""
    filled = clustering.filled(raw)
    z = (filled - clustering.mean) / clustering.scale
    overall = filled.mean(axis=0)
    features = clustering.features
    measurable = np.array([f != "key" for f in features])
    out = []
    for c in range(clustering.k):
        rows = np.flatnonzero(clustering.labels == c)
        if not len(rows):
            out.append(ClusterSummary(c, 0, [], [], []))
            continue
        centre = z[rows].mean(axis=0)
        spread = np.where(measurable, np.abs(centre - z.mean(axis=0)), -1.0)
        order = np.argsort(-spread)[:top_features]
        distinctive = [
            (clustering.features[j], float(filled[rows, j].mean()), float(overall[j]))
            for j in order
        ]
        counts = pd.Series([g for r in rows for g in (genres[r] or [])]).value_counts()
        nearest = rows[np.argsort(((z[rows] - clustering.centers[c]) ** 2).sum(axis=1))]
        out.append(ClusterSummary(
            c, len(rows), distinctive,
            [(str(g), int(n)) for g, n in counts.head(3).items()],
            [labels_of_rows(int(r)) for r in nearest[:examples]],
            _commonest_key(raw, rows, features),
        ))
    return out


def _commonest_key(raw: np.ndarray, rows: np.ndarray, features: Sequence[str]) -> str | None:
    """The commonest key and mode among ``rows``, with its share ("G major (14%)")."""
    if "key" not in features:
        return None
    from musicrec.recommend.explain import key_name

    keys = raw[rows, list(features).index("key")]
    modes = (raw[rows, list(features).index("mode")] if "mode" in features
             else np.full(len(rows), np.nan))
    known = ~np.isnan(keys)
    if not known.any():
        return None
    names = pd.Series([key_name(k, m) for k, m in zip(keys[known], modes[known], strict=True)])
    counts = names.value_counts()
    return f"{counts.index[0]} ({counts.iloc[0] / len(names):.0%})"


def mean_text(feature: str, mean: float, overall: float) -> str:
    """A cluster's mean of a feature beside the overall mean, as people read them."""
    from musicrec.recommend.explain import format_value

    if feature == "mode":
        return f"{mean:.0%} major (all {overall:.0%})"
    if feature == "explicit":
        return f"{mean:.0%} explicit (all {overall:.0%})"
    return f"{feature} {format_value(feature, mean)} (all {format_value(feature, overall)})"
