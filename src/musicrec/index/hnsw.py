"""An approximate backend: faiss's HNSW graph over the unit vectors (inner product).

A query walks the graph instead of scanning every row. Restrictions and exclusions are
honoured by fetching more candidates than asked (``OVERFETCH`` times, growing until k
pass or the graph is exhausted) and dropping what fails; a restriction that leaves few
rows (at most ``EXACT_BELOW`` of them, or a small share of the catalog) is answered by
an exact scan of just those rows instead, so a rare year or a tiny genre still gets k
results. The graph stores the vectors in full (HNSW,Flat), so scores are exact inner
products, ties go to the lower row as in the exact backend.

Saved with ``faiss.write_index`` (faiss's own binary format, no pickle) and checked on
load against the model's vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.errors import ModelIntegrityError
from musicrec.index.base import Allowed, Index, as_mask, passes, per_query
from musicrec.index.topk import top_k
from musicrec.progress import Progress

FILE = "hnsw.faiss"
#: Graph degree and build effort (faiss's M and efConstruction).
NEIGHBOURS, BUILD_EFFORT = 32, 200
#: Search effort: candidates kept while walking, at least this many or the fetch size.
SEARCH_EFFORT = 128
#: Candidates fetched per result asked for when a restriction may drop some.
OVERFETCH = 4
#: A restriction allowing at most this many rows (or this share) is scanned exactly.
EXACT_BELOW, EXACT_SHARE = 20_000, 0.05
_BATCH = 50_000  # rows added to the graph at a time (for the progress bar)


def _faiss(threads: int | None = None):
    """faiss, its OpenMP pool sized to ``threads`` (default: the build's free cores)."""
    import faiss

    from musicrec.threads import active_thread_count

    faiss.omp_set_num_threads(threads or active_thread_count())
    return faiss


class HnswIndex(Index):
    """HNSW (faiss) over float32 unit vectors; see the module docstring."""

    name = "hnsw"

    def __init__(self, vectors: np.ndarray, graph) -> None:
        self.vectors = np.asarray(vectors)
        self.graph = graph

    @classmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> HnswIndex:
        faiss = _faiss()
        n = len(vectors)
        graph = faiss.IndexHNSWFlat(vectors.shape[1], NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = BUILD_EFFORT
        for start in range(0, n, _BATCH):  # a row-major copy of one batch at a time
            graph.add(np.ascontiguousarray(vectors[start: start + _BATCH], dtype=np.float32))
            if progress is not None:
                progress.count("HNSW graph", min(start + _BATCH, n), n)
        return cls(vectors, graph)

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
            self._walk(queries, k, restrictions, exclude, walk, rows, scores)
        return rows, scores

    def _walk(self, queries, k, restrictions, exclude, which, rows, scores) -> None:
        """Graph search for the queries in ``which``, fetching more until k pass."""
        n = self.vectors.shape[0]

        def excluded(i: int) -> np.ndarray | None:
            return None if exclude is None or exclude[i] is None or not len(exclude[i]) \
                else np.asarray(exclude[i])

        narrowed = any(restrictions[i] is not None or excluded(i) is not None for i in which)
        fetch = min(n, k * OVERFETCH if narrowed else k)
        pending = list(which)
        while pending:
            self.graph.hnsw.efSearch = max(SEARCH_EFFORT, fetch)
            found_scores, found_rows = self.graph.search(queries[pending], fetch)
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

    def save(self, directory: Path) -> dict[str, Any]:
        _faiss(1).write_index(self.graph, str(directory / FILE))
        return {"files": [FILE], "neighbours": NEIGHBOURS, "build_effort": BUILD_EFFORT}

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> HnswIndex:
        faiss = _faiss(1)  # a query walks the graph on one thread; no core count to measure
        try:
            graph = faiss.read_index(str(directory / FILE))
        except RuntimeError as exc:
            raise ModelIntegrityError(f"the HNSW index in {directory} cannot be read "
                                      f"({exc})") from None
        if graph.ntotal != len(vectors) or graph.d != vectors.shape[1]:
            raise ModelIntegrityError(
                f"the HNSW index in {directory} holds {graph.ntotal} vectors of {graph.d} "
                f"dimensions, the model {vectors.shape[0]} of {vectors.shape[1]}; rebuild it")
        return cls(vectors, graph)
