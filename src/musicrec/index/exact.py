"""Exact cosine search: one matrix product over unit vectors, then an exact top-k."""

from __future__ import annotations

import numpy as np

from musicrec.index.base import Index
from musicrec.index.neighbours import NeighbourTable, neighbours_of
from musicrec.index.topk import top_k


class ExactIndex(Index):
    """Brute-force inner product over float32 unit vectors (memory-mapped is fine).

    Vectors stored column-major (as ``musicrec build`` writes them) give a contiguous
    (d, n) view for the product at no cost; otherwise one transposed copy is made.
    ``neighbours``, a table from :func:`musicrec.index.neighbours.nearest_neighbours`,
    answers single-track queries without the scan when it holds enough rows.
    """

    def __init__(self, vectors: np.ndarray, neighbours: NeighbourTable | None = None) -> None:
        self.vectors = np.asarray(vectors)  # a plain view of a memmap: cheaper indexing
        self.neighbours = neighbours
        transposed = vectors.T
        self._columns = (
            transposed if transposed.flags.c_contiguous else np.ascontiguousarray(transposed)
        )

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: list[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        m = queries.shape[0]
        scores = queries @ self._columns  # (m, n)
        if allowed is not None:
            np.putmask(scores, ~np.broadcast_to(allowed, scores.shape), -np.inf)
        for i, rows in enumerate(exclude or ()):
            scores[i, rows] = -np.inf
        if m == 1:
            r, s = top_k(scores[0], k)
            if len(r) == k:
                return r[None, :], s[None, :]
        rows = np.full((m, k), -1, dtype=np.int64)
        top = np.full((m, k), -np.inf, dtype=np.float32)
        for i in range(m):
            r, s = top_k(scores[i], k)
            rows[i, : len(r)], top[i, : len(r)] = r, s
        return rows, top

    def search_row(
        self,
        row: int,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.neighbours is not None and k <= self.neighbours.width:
            found = neighbours_of(self.neighbours, row, k, allowed, exclude)
            if found is not None:
                return found
        rows, scores = self.search(
            self.vectors[row], k, allowed, None if exclude is None else [exclude]
        )
        return rows[0], scores[0]

    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        return self.vectors[rows_a] @ self.vectors[rows_b].T
