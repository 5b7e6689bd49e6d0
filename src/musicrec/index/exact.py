"""Exact cosine search: one matrix product over unit vectors, then an exact top-k."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.index.base import Allowed, Index, as_mask, per_query
from musicrec.index.topk import top_k
from musicrec.progress import Progress


class ExactIndex(Index):
    """Brute-force inner product over float32 unit vectors (memory-mapped is fine).

    Vectors stored column-major (as ``musicrec build`` writes them) give a contiguous
    (d, n) view for the product at no cost; otherwise one transposed copy is made. It
    has no files of its own: the model's vectors are its data.
    """

    name = "exact"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.asarray(vectors)  # a plain view of a memmap: cheaper indexing
        transposed = self.vectors.T
        self._columns = (
            transposed if transposed.flags.c_contiguous else np.ascontiguousarray(transposed)
        )

    @classmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> ExactIndex:
        return cls(vectors)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        m, n = queries.shape[0], self.vectors.shape[0]
        scores = queries @ self._columns  # (m, n)
        restrictions = per_query(allowed, m)
        if all(a is restrictions[0] for a in restrictions):
            mask = as_mask(restrictions[0], n)
            if mask is not None:
                np.putmask(scores, ~np.broadcast_to(mask, scores.shape), -np.inf)
        else:
            for i, restriction in enumerate(restrictions):
                mask = as_mask(restriction, n)
                if mask is not None:
                    scores[i, ~mask] = -np.inf
        for i, rows in enumerate(exclude or ()):
            scores[i, rows] = -np.inf
        rows = np.full((m, k), -1, dtype=np.int64)
        top = np.full((m, k), -np.inf, dtype=np.float32)
        for i in range(m):
            r, s = top_k(scores[i], k)
            rows[i, : len(r)], top[i, : len(r)] = r, s
        return rows, top

    def save(self, directory: Path) -> dict[str, Any]:
        return {}

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> ExactIndex:
        return cls(vectors)
