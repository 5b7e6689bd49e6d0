"""Clusters of songs and of genres: model state read at query time (``--same-cluster``).

StandardScaler + KMeans, as the original method does. A fitted clustering is plain
data (feature names, the median that fills a missing value, scaler mean and scale,
centroids, labels, silhouette), so it is saved in the model as JSON and ``.npy`` and
never pickled. Missing values are filled with the fitted median, both when fitting and
when placing a new track. ``choose_k`` picks k by the silhouette score over a range.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from musicrec.errors import InvalidArgumentError, ModelIntegrityError
from musicrec.progress import Progress

SONG_CLUSTERS = 20
GENRE_CLUSTERS = 10
#: Rows the silhouette score is computed on (it is quadratic in the number of rows).
SILHOUETTE_SAMPLE = 5000


@dataclass
class Clustering:
    """KMeans clusters in standardised feature space, with each row's cluster."""

    features: list[str]
    fill: np.ndarray  # (d,) the value a missing one is taken as (the fitted median)
    mean: np.ndarray  # (d,) scaler mean, original units
    scale: np.ndarray  # (d,) scaler scale
    centers: np.ndarray  # (k, d) in standardised units
    labels: np.ndarray  # (n,) int, cluster of each row fitted on
    silhouette: float
    seed: int = 0

    @property
    def k(self) -> int:
        return self.centers.shape[0]

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Nearest centroid for rows of raw feature values (NaN taken as the median)."""
        z = (self.filled(raw) - self.mean) / self.scale
        distances = ((z[:, None, :] - self.centers[None, :, :]) ** 2).sum(axis=2)
        return distances.argmin(axis=1)

    def filled(self, raw: np.ndarray) -> np.ndarray:
        """``raw`` with each missing value replaced by the fitted median."""
        raw = np.asarray(raw, dtype=np.float64)
        return np.where(np.isnan(raw), self.fill, raw)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the labels, as JSON-able data."""
        return {
            "features": self.features, "fill": self.fill.tolist(), "mean": self.mean.tolist(),
            "scale": self.scale.tolist(), "centers": self.centers.tolist(),
            "silhouette": self.silhouette, "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any], labels: np.ndarray) -> Clustering:
        try:
            features = [str(f) for f in state["features"]]
            fill = np.asarray(state["fill"], dtype=np.float64)
            mean = np.asarray(state["mean"], dtype=np.float64)
            scale = np.asarray(state["scale"], dtype=np.float64)
            centers = np.asarray(state["centers"], dtype=np.float64)
            if mean.shape != (len(features),) or scale.shape != mean.shape or (
                    fill.shape != mean.shape):
                raise ValueError("scaler arrays do not match the features")
            if centers.ndim != 2 or centers.shape[1] != len(features):
                raise ValueError("centroids do not match the features")
            labels = np.asarray(labels)
            if labels.ndim != 1 or (labels.size and not 0 <= labels.min() <= labels.max()
                                    < centers.shape[0]):
                raise ValueError("cluster labels out of range")
            return cls(features, fill, mean, scale, centers, labels, float(state["silhouette"]),
                       int(state.get("seed", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"the saved clusters are not valid ({exc})") from exc


#: KMeans runs from different starting centroids; the one of least inertia is kept.
KMEANS_RUNS = 4


def _kmeans(z: np.ndarray, k: int, seed: int, progress: Progress | None, label: str):
    """KMeans(k) on standardised rows, as ``KMeans(n_init=KMEANS_RUNS,
    random_state=seed)`` (the same random stream, the same result), one run at a time so
    a big catalog's clustering shows how far it is."""
    from sklearn.cluster import KMeans

    stream = np.random.RandomState(seed)
    best = None
    for run in range(KMEANS_RUNS):
        kmeans = KMeans(n_clusters=k, n_init=1, random_state=stream).fit(z)
        if best is None or kmeans.inertia_ < best.inertia_:
            best = kmeans
        if progress is not None:
            progress.count(label, run + 1, KMEANS_RUNS)
    return best


def _silhouette(z: np.ndarray, labels: np.ndarray, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    if not 2 <= len(set(labels.tolist())) <= len(z) - 1:  # undefined: as many clusters as rows
        return 0.0
    sample = min(SILHOUETTE_SAMPLE, len(z))
    return float(silhouette_score(z, labels, sample_size=sample, random_state=seed))


def fit_clusters(
    raw: np.ndarray, features: Sequence[str], k: int, seed: int = 0,
    progress: Progress | None = None, label: str = "k-means runs",
) -> Clustering:
    """StandardScaler + KMeans(k) on raw feature values (n, d); NaN is taken as the
    column median (0 where a column has no value at all)."""
    from sklearn.preprocessing import StandardScaler

    raw = np.asarray(raw, dtype=np.float64)
    if not 2 <= k <= len(raw):
        raise InvalidArgumentError(f"k must be between 2 and {len(raw)} (got {k})")
    fill = column_medians(raw)
    filled = np.where(np.isnan(raw), fill, raw)
    scaler = StandardScaler().fit(filled)
    z = scaler.transform(filled)
    kmeans = _kmeans(z, k, seed, progress, label)
    labels = kmeans.labels_.astype(np.int64)
    return Clustering(list(features), fill, scaler.mean_.copy(), scaler.scale_.copy(),
                      kmeans.cluster_centers_.copy(), labels, _silhouette(z, labels, seed), seed)


def choose_k(
    raw: np.ndarray,
    features: Sequence[str],
    ks: Sequence[int],
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[Clustering, dict[int, float]]:
    """The clustering with the best silhouette over ``ks``, and every k's score."""
    scores: dict[int, float] = {}
    best: Clustering | None = None
    ks = [k for k in ks if 2 <= k <= len(raw)]
    if not ks:
        raise InvalidArgumentError("no k in the range fits the number of rows")
    for i, k in enumerate(ks, 1):
        clustering = fit_clusters(raw, features, k, seed)
        scores[k] = clustering.silhouette
        if best is None or clustering.silhouette > best.silhouette:
            best = clustering
        if progress is not None:
            progress.count("k", i, len(ks))
    return best, scores


def column_medians(raw: np.ndarray) -> np.ndarray:
    """Each column's median over its present values (0 for a column with none)."""
    if raw.shape[0] == 0:
        return np.zeros(raw.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column with no value at all
        medians = np.nanmedian(raw, axis=0)
    return np.where(np.isnan(medians), 0.0, medians)


@dataclass
class ModelClusters:
    """The clusters saved with a model: of its songs, and of its genres' mean profiles."""

    songs: Clustering
    genres: Clustering | None
    genre_names: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "songs": self.songs.to_dict(),
            "genres": None if self.genres is None else {
                **self.genres.to_dict(), "names": self.genre_names,
                "labels": self.genres.labels.tolist(),
            },
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any], song_labels: np.ndarray) -> ModelClusters:
        try:
            songs = Clustering.from_dict(state["songs"], song_labels)
            raw = state.get("genres")
            genres, names = None, []
            if raw is not None:
                names = [str(n) for n in raw["names"]]
                genres = Clustering.from_dict(raw, np.asarray(raw["labels"], dtype=np.int64))
                if len(names) != len(genres.labels):
                    raise ValueError("genre names do not match their labels")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"the saved clusters are not valid ({exc})") from exc
        return cls(songs, genres, names)


def song_cluster_count(n: int, k_songs: int = SONG_CLUSTERS) -> int:
    """How many song clusters a catalog of ``n`` tracks gets: ``k_songs``, fewer for a
    small catalog (about sqrt(n / 2): a library of 15 songs gets 3 clusters, not 14 of
    one song each), at least 2 and fewer than ``n``."""
    return max(2, min(k_songs, round(math.sqrt(n / 2)), n - 1))


def model_clusters(
    catalog, features: Sequence[str], k_songs: int = SONG_CLUSTERS,
    k_genres: int = GENRE_CLUSTERS, seed: int = 0, progress: Progress | None = None,
) -> ModelClusters:
    """Song clusters of a catalog on ``features``, and clusters of its genres' profiles."""
    from musicrec.data.profiles import genre_profiles
    from musicrec.data.schema import feature_matrix

    raw = feature_matrix(catalog.tracks, features)
    songs = fit_clusters(raw, features, song_cluster_count(len(raw), k_songs), seed,
                         progress, "song clusters (k-means runs)")
    profiles = genre_profiles(catalog, features)
    genres = None
    names: list[str] = []
    if len(profiles) >= 3:
        genre_raw = profiles[list(features)].to_numpy(dtype=np.float64)
        genres = fit_clusters(genre_raw, features, min(k_genres, len(profiles) - 1), seed)
        names = profiles["genres"].tolist()
    return ModelClusters(songs, genres, names)
