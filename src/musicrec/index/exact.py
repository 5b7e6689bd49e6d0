"""Exact cosine search: one matrix product over unit vectors, then a partial sort."""

from __future__ import annotations

import numpy as np

from musicrec.index.base import Index


class ExactIndex(Index):
    """Brute-force inner product over float32 unit vectors (memory-mapped is fine)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        scores = queries @ self.vectors.T  # (m, n)
        if allowed is not None:
            scores = np.where(np.broadcast_to(allowed, scores.shape), scores, -np.inf)
        n = scores.shape[1]
        k_eff = min(k, n)
        if k_eff < n:
            part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
        else:
            part = np.broadcast_to(np.arange(n), (scores.shape[0], n))
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-part_scores, axis=1, kind="stable")
        rows = np.take_along_axis(part, order, axis=1)
        top = np.take_along_axis(part_scores, order, axis=1)
        rows = np.where(np.isfinite(top), rows, -1)
        if k_eff < k:
            pad = k - k_eff
            rows = np.pad(rows, ((0, 0), (0, pad)), constant_values=-1)
            top = np.pad(top, ((0, 0), (0, pad)), constant_values=-np.inf)
        return rows, top

    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        return self.vectors[rows_a] @ self.vectors[rows_b].T
