"""Exact cosine search: one matrix product over unit vectors, then an exact top-k."""

from __future__ import annotations

import numpy as np

from musicrec.index.base import Index

#: Every SAMPLE_STEP-th score is looked at first to guess a threshold for the top k.
SAMPLE_STEP = 16


class ExactIndex(Index):
    """Brute-force inner product over float32 unit vectors (memory-mapped is fine).

    Vectors stored column-major (as ``musicrec build`` writes them) give a contiguous
    (d, n) view for the product at no cost; otherwise one transposed copy is made.
    """

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.asarray(vectors)  # a plain view of a memmap: cheaper indexing
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
        rows = np.full((m, k), -1, dtype=np.int64)
        top = np.full((m, k), -np.inf, dtype=np.float32)
        for i in range(m):
            r, s = top_k(scores[i], k)
            rows[i, : len(r)], top[i, : len(r)] = r, s
        return rows, top

    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        return self.vectors[rows_a] @ self.vectors[rows_b].T


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and scores of the k largest finite scores, best first (exact).

    A threshold taken from a strided sample selects a small superset of the top k in
    one pass; only when that superset is too small does a full partition run.
    """
    n = len(scores)
    candidates = None
    if n > 8 * SAMPLE_STEP * k:
        sample = scores[::SAMPLE_STEP]
        need = min(len(sample), 2 * (k // SAMPLE_STEP + 1))
        threshold = np.partition(sample, len(sample) - need)[len(sample) - need]
        if np.isfinite(threshold):
            found = np.flatnonzero(scores >= threshold)
            if len(found) >= k:
                candidates = found
    if candidates is None:
        finite = np.flatnonzero(np.isfinite(scores))
        if len(finite) > k:
            part = np.argpartition(scores[finite], len(finite) - k)[len(finite) - k:]
            candidates = finite[part]
        else:
            candidates = finite
    order = np.argsort(-scores[candidates], kind="stable")[:k]
    chosen = candidates[order]
    return chosen, scores[chosen]
