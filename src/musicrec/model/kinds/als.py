"""The collaborative baseline: implicit's alternating least squares on listening data.

Tracks that appear together in playlists (or in one listener's plays) get similar
factors. Only tracks in the training interactions have factors, so this kind recommends
those alone and cannot place a new song: it is the yardstick the hybrid kind is
measured against, not a default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np

from musicrec.features.collaborative import CollaborativeBlock
from musicrec.model.kinds.base import ModelKind, training_interactions
from musicrec.model.kinds.original import OriginalKind
from musicrec.model.kinds.registry import register
from musicrec.progress import Progress

if TYPE_CHECKING:  # scipy.sparse is imported only by a build that learns from listens
    from musicrec.data.interactions import UserItems

#: Settings chosen on a validation split of the default catalog's training playlists
#: (docs/evaluation.md).
FACTORS = 64
REGULARIZATION = 0.05
ITERATIONS = 15
BM25_K1, BM25_B = 100.0, 0.8


#: Another ALS solver for the builds in this context (``musicrec.spark.als`` runs
#: Spark MLlib's); None: implicit's, here
_SOLVER: ContextVar[Callable[..., np.ndarray] | None] = ContextVar("als_solver",
                                                                   default=None)


@contextmanager
def als_solver(solver: Callable[..., np.ndarray]) -> Iterator[None]:
    """Builds inside learn their ALS factors with ``solver`` (same arguments as
    :func:`fit_als`, BM25-weighted matrix in, item factors out)."""
    token = _SOLVER.set(solver)
    try:
        yield
    finally:
        _SOLVER.reset(token)


def bm25(interactions: UserItems):
    """The interactions BM25-weighted, as every ALS solver here learns from them."""
    from implicit.nearest_neighbours import bm25_weight

    return bm25_weight(interactions.matrix.astype(np.float32), K1=BM25_K1, B=BM25_B).tocsr()


def fit_als(interactions: UserItems, progress: Progress, *, factors: int = FACTORS,
            regularization: float = REGULARIZATION, iterations: int = ITERATIONS,
            seed: int = 0) -> np.ndarray:
    """Item factors (n_tracks, factors) from BM25-weighted interactions; tracks without
    interactions get zero rows. Interactions that learn their own factors (listening
    data kept on Spark, :class:`musicrec.spark.listens.SparkListens`) do."""
    learn = getattr(interactions, "learn_factors", None)
    if learn is not None:
        return learn(progress, factors=factors, regularization=regularization,
                     iterations=iterations, seed=seed)
    solver = _SOLVER.get()
    if solver is not None:
        item_factors = np.asarray(solver(bm25(interactions), progress, factors=factors,
                                         regularization=regularization,
                                         iterations=iterations, seed=seed), np.float32)
        item_factors[np.diff(interactions.matrix.tocsc().indptr) == 0] = 0.0
        return item_factors
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from musicrec.threads import active_thread_count

    weighted = bm25(interactions)

    def step(iteration: int, elapsed: float, loss: float) -> None:
        progress.count("ALS iterations", iteration + 1, iterations)

    with threadpool_limits(limits=1, user_api="blas"):  # implicit runs its own threads
        model = AlternatingLeastSquares(factors=factors, regularization=regularization,
                                        iterations=iterations,
                                        num_threads=active_thread_count(), random_state=seed)
        model.fit(weighted.tocsr(), show_progress=False, callback=step)
    item_factors = np.asarray(model.item_factors, dtype=np.float32)
    item_factors[np.diff(interactions.matrix.tocsc().indptr) == 0] = 0.0
    return item_factors


def warm_block(method: str, share: float, catalog, factors: np.ndarray, **options
               ) -> CollaborativeBlock:
    """A block holding the factors of the tracks that have any."""
    warm = np.flatnonzero(np.linalg.norm(factors, axis=1) > 0)
    ids = catalog.column("track_id")[warm].astype(str)
    return CollaborativeBlock(method, share, ids, factors[warm], **options)


@register
class AlsKind(ModelKind):
    collaborative = True
    name = "als"
    summary = "collaborative baseline: ALS on playlists or plays (warm tracks only)"

    def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
            transfer=None, interactions=None, progress):
        data = training_interactions(catalog, labels, interactions, self.name)
        space = OriginalKind().fit(catalog, features=features, weights=weights,
                                   fit_rows=fit_rows, progress=progress)
        progress.say(f"Learning ALS factors from {data.n_pairs:,} interactions of "
                     f"{data.n_users:,} playlists or listeners")
        factors = fit_als(data, progress)
        block = warm_block(self.name, 1.0, catalog, factors, warm_only=True,
                           details=data.describe())
        return space.with_collaborative(block)
