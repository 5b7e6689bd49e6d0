"""The Index interface every backend (exact now, approximate later) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Index(ABC):
    """Finds the rows most similar (cosine) to query vectors.

    ``search`` takes a batch as readily as one query: ``queries`` is (m, d), ``allowed``
    is None, (n,) shared by all queries, or (m, n) one mask per query, and ``exclude``
    optionally lists, per query, rows that must not come back. It returns
    ``(rows, scores)``, both (m, k), best first; where fewer than k rows are allowed,
    the tail holds row -1 and score -inf.
    """

    @abstractmethod
    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: list[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows and scores per query."""

    @abstractmethod
    def search_row(
        self,
        row: int,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows and scores, (k,) each, for the query "like indexed row ``row``".

        The same answer as ``search`` with that row's own vector; a backend may have a
        faster way to give it.
        """

    @abstractmethod
    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        """Cosine similarities between two sets of indexed rows, (len(a), len(b))."""
