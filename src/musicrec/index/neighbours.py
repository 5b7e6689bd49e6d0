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

import numpy as np

from musicrec.index.topk import top_k

#: Neighbours kept per track: the default candidate pool (100) plus room for versions.
NEIGHBOURS = 128
#: Largest catalog that gets a table (the build work grows with the square of its size).
MAX_TRACKS = 100_000
_BLOCK = 128


def nearest_neighbours(
    vectors: np.ndarray,
    n_neighbours: int = NEIGHBOURS,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(n, n_neighbours) int32: each row's most similar other rows, best first.

    Ties are broken by lower row first, as in :func:`musicrec.index.topk.top_k`.
    ``progress(done, total)`` is called after each block of rows.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    n_neighbours = min(n_neighbours, n - 1)
    out = np.empty((n, max(n_neighbours, 0)), dtype=np.int32)
    if n_neighbours <= 0:
        return out
    columns = np.ascontiguousarray(vectors.T)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        scores = vectors[start:stop] @ columns
        scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not itself
        for i in range(stop - start):
            out[start + i] = top_k(scores[i], n_neighbours)[0]
        if progress is not None:
            progress(stop, n)
    return out


def neighbours_of(
    table: np.ndarray,
    vectors: np.ndarray,
    row: int,
    k: int,
    allowed: np.ndarray | None,
    exclude: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The k best rows for the query "like ``row``", from the table; None when the table
    holds fewer than k rows that pass ``allowed`` and ``exclude``."""
    rows = table[row].astype(np.int64)
    keep = np.ones(len(rows), dtype=bool)
    if allowed is not None:
        keep &= allowed[rows]
    if exclude is not None and len(exclude):
        if len(exclude) <= 64:  # a seed's versions: a few rows, compared directly
            keep &= ~(rows[:, None] == np.asarray(exclude)[None, :]).any(axis=1)
        else:
            keep &= ~np.isin(rows, exclude)
    if keep.sum() < k:
        return None
    rows = rows[keep]
    scores = vectors[rows] @ vectors[row]
    # the same order as the scan: best score first, lower row first among equals
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]
