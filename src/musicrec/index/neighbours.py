"""Each track's nearest neighbours, computed once at build time.

"More like this one track" is the commonest query. Answering it from a stored list of
the track's closest tracks skips the scan over the whole catalog; the list holds the
same tracks, in the same order, that the exact scan finds (scores are recomputed at
query time, so they agree with the scan to float32 rounding). Filters, exclusions and
the seed's versions are applied to the list; when too few tracks survive, the exact
scan answers instead.

Building is one pass of blocked matrix products, O(n^2 d): about a second for the
default 28k-track catalog. Catalogs above ``MAX_TRACKS`` get no table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from musicrec.index.topk import top_k

#: Neighbours kept per track: the default candidate pool (100) plus room for versions.
NEIGHBOURS = 128
#: Largest catalog that gets a table (the build work grows with the square of its size).
MAX_TRACKS = 100_000
_BLOCK = 128


@dataclass
class NeighbourTable:
    """Per track, its nearest other tracks (best first) and their cosine scores."""

    rows: np.ndarray  # (n, width) int32
    scores: np.ndarray  # (n, width) float32

    @property
    def width(self) -> int:
        return self.rows.shape[1]


def nearest_neighbours(
    vectors: np.ndarray,
    n_neighbours: int = NEIGHBOURS,
    progress: Callable[[int, int], None] | None = None,
) -> NeighbourTable:
    """Each row's ``n_neighbours`` most similar other rows, best first, with scores.

    Ties are broken by lower row first, as in :func:`musicrec.index.topk.top_k`.
    ``progress(done, total)`` is called after each block of rows.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    width = max(min(n_neighbours, n - 1), 0)
    rows = np.empty((n, width), dtype=np.int32)
    scores = np.empty((n, width), dtype=np.float32)
    if width == 0:
        return NeighbourTable(rows, scores)
    columns = np.ascontiguousarray(vectors.T)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        block = vectors[start:stop] @ columns
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not itself
        for i in range(stop - start):
            rows[start + i], scores[start + i] = top_k(block[i], width)
        if progress is not None:
            progress(stop, n)
    return NeighbourTable(rows, scores)


def neighbours_of(
    table: NeighbourTable,
    row: int,
    k: int,
    allowed: np.ndarray | None,
    exclude: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The k best rows for the query "like ``row``", from the table; None when the table
    holds fewer than k rows that pass ``allowed`` and ``exclude``."""
    rows = table.rows[row].astype(np.int64)
    keep = np.ones(len(rows), dtype=bool)
    if allowed is not None:
        keep &= allowed[rows]
    if exclude is not None and len(exclude):
        if len(exclude) <= 64:  # a seed's versions: a few rows, compared directly
            keep &= ~(rows[:, None] == np.asarray(exclude)[None, :]).any(axis=1)
        else:
            keep &= ~np.isin(rows, exclude)
    chosen = np.flatnonzero(keep)[:k]
    if len(chosen) < k:
        return None
    return rows[chosen], np.asarray(table.scores[row], dtype=np.float32)[chosen]
