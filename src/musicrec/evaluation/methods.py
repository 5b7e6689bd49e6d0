"""The methods compared: baselines (random, most popular) and musicrec's models.

A model method builds a real model of a registered kind through the same build code
as ``musicrec build`` (fitted on the training part only, written to a temporary
directory and loaded back) and asks the same :class:`~musicrec.Recommender` as
``musicrec recommend``, with the default request settings; so what evaluation reports
is what ships.
"""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.data.labels import TrackLabels
from musicrec.progress import SILENT, Progress


class Method(ABC):
    """Something that, once fitted, recommends k rows for each seed set."""

    name: str = ""

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


class ModelMethod(Method):
    """A built model of ``kind``, asked through the Recommender (see the module doc)."""

    def __init__(self, kind: str, name: str | None = None, progress: Progress | None = None,
                 request: dict[str, Any] | None = None) -> None:
        """``request``: settings of the request (``artist_cap``, ``diversity``, ...);
        none given means the shipped defaults."""
        self.kind = kind
        self.name = name or kind
        self.progress = progress or SILENT
        self.request = dict(request or {})
        self._folder: tempfile.TemporaryDirectory | None = None

    def fit(self, catalog, train_rows, labels):
        from musicrec.model.build import build_model
        from musicrec.recommend.recommender import Recommender

        self.close()
        self._folder = tempfile.TemporaryDirectory(prefix="musicrec-eval-")
        model = build_model(catalog, Path(self._folder.name) / "model", self.kind,
                            labels=labels.restricted(train_rows), fit_rows=train_rows,
                            dataset="evaluation", progress=self.progress)
        self.recommender_ = Recommender(model)
        collab = model.space.collab_
        #: what the build chose that the report should show (a hybrid's factor share)
        self.details_ = {} if collab is None else {
            "factor_share": collab.share,
            "validation": collab.details.get("validation", {}),
        }
        return self

    def recommend(self, seed_sets, k, allowed, exclude):
        from musicrec.recommend.request import RecommendRequest

        catalog = self.recommender_.catalog
        ids = catalog.column("track_id")
        requests = [RecommendRequest([str(ids[r]) for r in rows], k=k, **self.request)
                    for rows in seed_sets]
        answers = self.recommender_.recommend_batch(
            requests, allowed_rows=np.flatnonzero(allowed), exclude_rows=exclude)
        return [catalog.rows_of([r.track_id for r in answer.results]) for answer in answers]

    def close(self) -> None:
        """Remove the temporary model directory."""
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


BASELINES = ("random", "popularity")


def make_methods(names: list[str], seed: int = 0, progress: Progress | None = None,
                 request: dict[str, Any] | None = None) -> list[Method]:
    """Methods by name: the baselines, any registered model kind, and "musicrec" (the
    default kind); models are asked with ``request`` settings (default: as shipped)."""
    from musicrec.errors import InvalidArgumentError
    from musicrec.model.kinds import DEFAULT_KIND, kind_names

    kinds = kind_names()

    def make(name: str) -> Method:
        if name == "random":
            return RandomMethod(seed)
        if name == "popularity":
            return PopularityMethod()
        if name == "musicrec":
            return ModelMethod(DEFAULT_KIND, "musicrec", progress, request)
        return ModelMethod(name, progress=progress, request=request)

    known = (*BASELINES, *kinds, "musicrec")
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise InvalidArgumentError(
            f"unknown method{'s' if len(unknown) > 1 else ''} {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(known)}"
        )
    return [make(n) for n in dict.fromkeys(names)]
