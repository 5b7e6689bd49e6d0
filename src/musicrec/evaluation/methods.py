"""The methods compared: baselines (random, most popular, the original method) and
musicrec's models. Each is fitted on a training part only and then ranks candidates
for seed sets."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.data.labels import TrackLabels
from musicrec.features.cues import text_cues
from musicrec.features.space import FeatureSpace, normalize_rows
from musicrec.features.style import StyleConfig, StyleModel, combine
from musicrec.index import ExactIndex


class Method(ABC):
    """Something that, once fitted, recommends k rows for each seed set."""

    name: str = ""
    #: True when the method scores a track from its features alone (works for new songs)
    content_based: bool = False

    @abstractmethod
    def fit(self, catalog: Catalog, train_rows: np.ndarray, labels: TrackLabels) -> Method:
        """Learn from the rows in ``train_rows`` and from ``labels`` only."""

    @abstractmethod
    def recommend(
        self, seed_sets: list[np.ndarray], k: int, allowed: np.ndarray,
        exclude: list[np.ndarray],
    ) -> list[np.ndarray]:
        """Up to k rows per seed set, best first, among ``allowed`` minus ``exclude``."""


class RandomMethod(Method):
    """k allowed tracks drawn uniformly (seeded)."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, catalog, train_rows, labels):
        self.rng_ = np.random.default_rng(self.seed)
        return self

    def recommend(self, seed_sets, k, allowed, exclude):
        out = []
        candidates = np.flatnonzero(allowed)
        for rows in exclude:
            pool = candidates[~np.isin(candidates, rows)]
            out.append(self.rng_.choice(pool, size=min(k, len(pool)), replace=False))
        return out


class PopularityMethod(Method):
    """The most popular allowed tracks, whatever the seeds."""

    name = "popularity"

    def fit(self, catalog, train_rows, labels):
        popularity = np.nan_to_num(catalog.numeric("popularity"), nan=-1.0)
        self.order_ = np.argsort(-popularity, kind="stable")
        return self

    def recommend(self, seed_sets, k, allowed, exclude):
        ranked = self.order_[allowed[self.order_]]
        out = []
        for rows in exclude:
            head = ranked[: k + len(rows)]
            out.append(head[~np.isin(head, rows)][:k])
        return out


class EmbeddingMethod(Method):
    """Cosine to the mean of the seeds' vectors, in some learned or fixed embedding."""

    content_based = True

    def recommend(self, seed_sets, k, allowed, exclude):
        vectors = self.vectors_
        queries = np.stack([vectors[rows].mean(axis=0) for rows in seed_sets])
        rows, _ = ExactIndex(vectors).search(normalize_rows(queries), k, allowed, exclude)
        return [r[r >= 0] for r in rows]


class OriginalMethod(EmbeddingMethod):
    """The seed method: StandardScaler on its numeric columns, cosine to the seeds' mean."""

    name = "original"

    def fit(self, catalog, train_rows, labels):
        space = FeatureSpace().fit(catalog.tracks.iloc[train_rows])
        self.vectors_ = space.transform(catalog.tracks)
        return self


class StyleMethod(EmbeddingMethod):
    """musicrec's style model: audio features plus predicted genre, subgenre and
    playlist-style blocks (see :mod:`musicrec.features.style`)."""

    def __init__(
        self, config: StyleConfig | None = None, name: str = "musicrec",
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or StyleConfig()
        self.name = name
        self.progress = progress

    def fit(self, catalog, train_rows, labels):
        space = FeatureSpace().fit(catalog.tracks.iloc[train_rows])
        self.scaled_ = space.scaled(catalog.tracks)
        cues = text_cues(catalog.tracks["name"], catalog.tracks["album"])
        train = labels.restricted(train_rows)
        self.style_ = StyleModel(self.config).fit(
            self.scaled_, cues, train.genres, train.subgenres, train.playlist_rows,
            train.genre_names, train.subgenre_names, progress=self.progress,
        )
        self.blocks_ = self.style_.blocks(self.scaled_, cues, catalog.artist_codes)
        self.vectors_ = self._embed()
        return self

    def with_weights(self, weights: dict[str, float], feature_weight: float) -> StyleMethod:
        """The same fitted model with other block weights (no refitting)."""
        other = StyleMethod(
            StyleConfig(dict(weights), feature_weight, self.config.playlist_dims,
                        self.config.random_state, self.config.artist_share),
            name=self.name,
        )
        other.scaled_, other.style_, other.blocks_ = self.scaled_, self.style_, self.blocks_
        other.vectors_ = other._embed()
        return other

    def _embed(self) -> np.ndarray:
        return normalize_rows(combine(self.scaled_, self.blocks_, self.config))


METHOD_NAMES = ("random", "popularity", "original", "musicrec")


def make_methods(names: list[str], seed: int = 0) -> list[Method]:
    """Methods by name (see :data:`METHOD_NAMES`); "musicrec" is the default style model."""
    from musicrec.errors import InvalidArgumentError

    makers = {
        "random": lambda: RandomMethod(seed),
        "popularity": PopularityMethod,
        "original": OriginalMethod,
        "musicrec": lambda: StyleMethod(StyleConfig(random_state=seed)),
    }
    unknown = [n for n in names if n not in makers]
    if unknown or not names:
        raise InvalidArgumentError(
            f"unknown method{'s' if len(unknown) > 1 else ''} {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(METHOD_NAMES)}"
        )
    return [makers[n]() for n in dict.fromkeys(names)]
