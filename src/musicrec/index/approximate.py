"""What the approximate backends share: restrictions and exclusions on an index that
cannot restrict its own search.

A backend supplies ``_candidates(queries, fetch)``: up to ``fetch`` rows per query, best
first, with exact inner products (re-ranked from the model's vectors when its own
scores are approximate). This class honours restrictions and exclusions by fetching
more than asked (``OVERFETCH`` times, growing fourfold until k pass or every row has
been seen) and dropping what fails; a restriction that leaves few rows (at most
``EXACT_BELOW`` of them, or ``EXACT_SHARE`` of the catalog) is answered by an exact scan
of just those rows instead, so a rare year or a tiny genre still gets k results. Ties
go to the lower row, as in the exact backend.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from musicrec.errors import ModelIntegrityError
from musicrec.index.base import Allowed, Index, as_mask, passes, per_query
from musicrec.index.topk import top_k

#: Candidates fetched per result asked for when a restriction may drop some.
OVERFETCH = 4
#: A restriction allowing at most this many rows (or this share) is scanned exactly.
EXACT_BELOW, EXACT_SHARE = 20_000, 0.05


def faiss_module(threads: int | None = None):
    """faiss, its OpenMP pool sized to ``threads`` (default: the build's free cores)."""
    import faiss

    from musicrec.threads import active_thread_count

    faiss.omp_set_num_threads(threads or active_thread_count())
    return faiss


def read_faiss_index(path: Path, what: str):
    """A saved faiss index, its large arrays memory-mapped where faiss can (a million
    tracks' graph opens in a twentieth of a second); ModelIntegrityError if unreadable."""
    faiss = faiss_module(1)  # a query searches on one thread: no core count to measure
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError:
        try:
            return faiss.read_index(str(path))
        except RuntimeError as exc:
            raise ModelIntegrityError(f"the {what} index {path} cannot be read ({exc})"
                                      ) from None


def exact_scores(vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Inner products of each query with its candidate rows (-1: none, score -inf)."""
    safe = np.where(rows >= 0, rows, 0)
    scores = np.einsum("mkd,md->mk", np.asarray(vectors[safe.ravel()]).reshape(
        *safe.shape, -1), queries, dtype=np.float32)
    scores[rows < 0] = -np.inf
    return scores


class ApproximateIndex(Index):
    """An index searched by candidates (see the module docstring)."""

    @abstractmethod
    def _candidates(self, queries: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (m, fetch), exact scores best first; row -1 pads."""

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        m, n = queries.shape[0], self.vectors.shape[0]
        restrictions = per_query(allowed, m)
        rows = np.full((m, k), -1, dtype=np.int64)
        scores = np.full((m, k), -np.inf, dtype=np.float32)
        walk = []
        small = min(EXACT_BELOW, max(EXACT_SHARE * n, k))
        for i, restriction in enumerate(restrictions):
            mask = as_mask(restriction, n)
            if mask is not None and mask.sum() <= small:  # a selective filter: scan it
                subset = np.flatnonzero(mask)
                if exclude is not None and exclude[i] is not None and len(exclude[i]):
                    subset = subset[~np.isin(subset, exclude[i])]
                local, best = top_k(self.vectors[subset] @ queries[i], k)
                rows[i, : len(local)], scores[i, : len(local)] = subset[local], best
            else:
                walk.append(i)
        if walk:
            self._fetch_until_k(queries, k, restrictions, exclude, walk, rows, scores)
        return rows, scores

    def _fetch_until_k(self, queries, k, restrictions, exclude, which, rows, scores) -> None:
        """Candidates for the queries in ``which``, fetching more until k pass."""
        n = self.vectors.shape[0]

        def excluded(i: int) -> np.ndarray | None:
            return None if exclude is None or exclude[i] is None or not len(exclude[i]) \
                else np.asarray(exclude[i])

        narrowed = any(restrictions[i] is not None or excluded(i) is not None for i in which)
        fetch = min(n, k * OVERFETCH if narrowed else k)
        pending = list(which)
        while pending:
            found_scores, found_rows = self._candidates(queries[pending], fetch)
            still = []
            for j, i in enumerate(pending):
                r, s = found_rows[j], found_scores[j]
                keep = r >= 0
                if restrictions[i] is not None:
                    keep[keep] = passes(restrictions[i], r[keep])
                if excluded(i) is not None:
                    keep &= ~np.isin(r, excluded(i))
                r, s = r[keep], s[keep].astype(np.float32)
                if len(r) < k and fetch < n:  # too few passed: fetch more for this one
                    still.append(i)
                    continue
                order = np.lexsort((r, -s))[:k]  # best first, ties to the lower row
                rows[i, : len(order)], scores[i, : len(order)] = r[order], s[order]
            pending = still
            fetch = min(n, fetch * 4)
