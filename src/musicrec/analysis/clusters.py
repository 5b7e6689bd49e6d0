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
    (the closest to the centroid)."""
    filled = clustering.filled(raw)
    z = (filled - clustering.mean) / clustering.scale
    overall = filled.mean(axis=0)
    out = []
    for c in range(clustering.k):
        rows = np.flatnonzero(clustering.labels == c)
        if not len(rows):
            out.append(ClusterSummary(c, 0, [], [], []))
            continue
        centre = z[rows].mean(axis=0)
        order = np.argsort(-np.abs(centre - z.mean(axis=0)))[:top_features]
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
        ))
    return out


def mean_text(feature: str, mean: float, overall: float) -> str:
    """A cluster's mean of a feature beside the overall mean, as people read them."""
    from musicrec.recommend.explain import format_value

    if feature == "mode":
        return f"{mean:.0%} major (all {overall:.0%})"
    if feature == "explicit":
        return f"{mean:.0%} explicit (all {overall:.0%})"
    if feature == "key":
        return f"mean key {mean:.1f} (all {overall:.1f})"
    return f"{feature} {format_value(feature, mean)} (all {format_value(feature, overall)})"
