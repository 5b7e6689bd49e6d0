"""Coarse cells over an approximate index's vectors, for filtered searches.

A graph walk restricted to the rows a filter allows goes wrong when the query lies
away from them: five seeds from different decades average to a point whose nearest
tracks are in none of the years asked for, and the walk stays near that point (at a
million tracks, five seeds with a 1990-2009 filter: recall@10 0.44 for the filtered
walk alone). Cells fix that. At build time the vectors are grouped into about
sqrt(n) cells (spherical k-means on a sample, every row then assigned to its nearest
centre); the centres and each row's cell are saved with the index (``cells.npy``,
``cell_rows.npy``, no pickle).

For a filter asked for a second time, its allowed rows are copied into inverted lists
of their own (faiss ``IndexIVFFlat``, filled from the saved assignment, no search), and
each cell holding any of them is represented by the mean of those rows rather than by
its centre: a year filter keeps one side of many cells, and that side is what a query
should be compared with (at a million tracks, recall@10 0.992 against 0.92 when probing
by the centres, same effort). A query then scans the allowed rows of the
``PROBE_SHARE`` of those cells that are nearest to it (at least ``MIN_PROBED``), with
exact float32 inner products. A filter's first request does not wait for its lists
(about half a second at a million tracks for a filter allowing a fifth): it is
answered as before, by the graph walk and, where that finds too few, an exact scan,
so a one-off command never pays for lists it will not reuse. The lists of recent
filters are kept (at most ``BUDGET_SHARE`` of the catalog's rows in all, least
recently used dropped first).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

import numpy as np

from musicrec.errors import ModelIntegrityError
from musicrec.progress import Progress

CENTRES_FILE, ROWS_FILE = "cells.npy", "cell_rows.npy"
#: Indexes of fewer rows keep no cells: an exact scan of a filter's rows costs well
#: under a millisecond there, and is exact.
CELLS_FROM = 100_000
#: Rows per centre in the sample the centres are learned from.
TRAIN_PER_CELL = 40
#: Share of a filter's cells a query scans (their allowed rows only); at a million
#: tracks and a filter allowing a fifth, recall@10 of five seeds averaged: 0.959 at
#: 0.08, 0.972 at 0.1, 0.982 at 0.12, 0.991 at 0.15; of one seed: 0.992 at 0.1, 0.997
#: at 0.15. 0.1 scans a third fewer rows than 0.15 (0.35 ms against 0.49 ms for five
#: seeds) for recall well above 0.95 (benchmarks/scale.py; docs/performance.md).
#: A query scans at least MIN_PROBED cells: a filter's nearest rows spread over about
#: as many cells whatever the catalog's size, so a smaller one needs a larger share.
PROBE_SHARE, MIN_PROBED = 0.1, 50
#: Filters allowing more than this share of rows search the graph with a bitmap instead.
MAX_SHARE = 0.5
#: Rows kept in the lists of recent filters, as a share of the catalog's rows.
BUDGET_SHARE = 0.5
#: Filters asked for once, remembered so that their second request makes their lists.
REMEMBERED = 64
#: Rows assigned to cells at a time (paces the progress bar; Ctrl-C lands between).
ASSIGN_BATCH = 50_000


def cell_count(n: int) -> int:
    """How many cells a catalog of ``n`` rows gets: about sqrt(n)."""
    return max(1, int(math.sqrt(n)))


class Cells:
    """The cells of one index's vectors, and the inverted lists of recent filters."""

    def __init__(self, vectors: np.ndarray, centres: np.ndarray, rows: np.ndarray) -> None:
        self.vectors = vectors
        self.centres = np.ascontiguousarray(centres, dtype=np.float32)
        self.rows = rows  # the cell of every row
        self.probe_share = PROBE_SHARE
        self._budget = max(1, int(BUDGET_SHARE * len(vectors)))
        self._lists: OrderedDict[int, tuple[weakref.ref, object, int]] = OrderedDict()
        self._seen: OrderedDict[int, weakref.ref] = OrderedDict()  # filters asked once
        self._lock = threading.Lock()

    @classmethod
    def learn(cls, vectors: np.ndarray, progress: Progress | None = None) -> Cells:
        """Centres learned from a sample of ``vectors``, then every row's cell."""
        from musicrec.index.approximate import faiss_module

        faiss = faiss_module()
        n, d = vectors.shape
        count = cell_count(n)
        sample = np.sort(np.random.default_rng(0).choice(n, min(n, count * TRAIN_PER_CELL),
                                                         replace=False))
        if progress is not None:
            progress.say(f"Learning {count:,} cells for filtered searches")
        kmeans = faiss.Kmeans(d, count, niter=10, spherical=True, seed=0,
                              min_points_per_centroid=1)
        kmeans.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
        quantizer = faiss.IndexFlatIP(d)
        quantizer.add(kmeans.centroids)
        rows = np.empty(n, dtype=np.int32)
        for start in range(0, n, ASSIGN_BATCH):
            batch = np.ascontiguousarray(vectors[start: start + ASSIGN_BATCH], dtype=np.float32)
            rows[start: start + len(batch)] = quantizer.search(batch, 1)[1][:, 0]
            if progress is not None:
                progress.count("cells", min(start + ASSIGN_BATCH, n), n)
        return cls(vectors, kmeans.centroids, rows)

    def save(self, directory: Path) -> list[str]:
        """Write the centres and the rows' cells; returns the file names."""
        np.save(directory / CENTRES_FILE, self.centres)
        np.save(directory / ROWS_FILE, self.rows)
        return [CENTRES_FILE, ROWS_FILE]

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray) -> Cells | None:
        """The saved cells (None for an index saved before cells were kept)."""
        if not (directory / CENTRES_FILE).exists():
            return None
        try:
            centres = np.load(directory / CENTRES_FILE, allow_pickle=False)
            rows = np.load(directory / ROWS_FILE, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelIntegrityError(f"the cells in {directory} cannot be read ({exc})"
                                      ) from None
        if (rows.shape != (len(vectors),) or centres.ndim != 2
                or centres.shape[1] != vectors.shape[1]
                or (len(rows) and not 0 <= int(rows.min()) <= int(rows.max()) < len(centres))):
            raise ModelIntegrityError(f"the cells in {directory} do not fit the model's "
                                      "vectors; rebuild it")
        return cls(vectors, centres, rows)

    def search(self, queries: np.ndarray, fetch: int, allowed
               ) -> tuple[np.ndarray, np.ndarray] | None:
        """(scores, rows), each (m, fetch), best first, among the rows of ``allowed`` (a
        :class:`~musicrec.index.base.RowMask`); row -1 pads. None when the cells do not
        answer this filter (yet): it allows more than ``MAX_SHARE`` of the rows, or this
        is the first time it is asked (its lists are made when it comes again)."""
        import faiss

        lists = self._lists_for(allowed)
        if lists is None:
            return None
        params = faiss.SearchParametersIVF()
        params.nprobe = min(lists.nlist, max(MIN_PROBED,
                                             math.ceil(self.probe_share * lists.nlist)))
        return lists.search(queries, min(fetch, allowed.count), params=params)

    def _lists_for(self, allowed):
        """The inverted lists of ``allowed``'s rows: kept, or made and kept when the
        filter is asked for the second time; None before that."""
        count = allowed.count
        if count > MAX_SHARE * len(self.vectors):
            return None
        key = id(allowed)
        with self._lock:
            kept = self._lists.get(key)
            if kept is not None and kept[0]() is allowed:
                self._lists.move_to_end(key)
                return kept[1]
            seen = self._seen.get(key)
            if seen is None or seen() is not allowed:  # first sight: remembered only
                self._seen[key] = weakref.ref(allowed)
                while len(self._seen) > REMEMBERED:
                    self._seen.popitem(last=False)
                return None
        lists = self._make_lists(np.flatnonzero(allowed.mask))
        with self._lock:
            self._lists[key] = (weakref.ref(allowed), lists, count)
            used = sum(size for _, _, size in self._lists.values())
            while used > self._budget and len(self._lists) > 1:
                _, (_, _, size) = self._lists.popitem(last=False)
                used -= size
        return lists

    def _make_lists(self, rows: np.ndarray):
        """An ``IndexIVFFlat`` holding ``rows`` (their own vectors, ids the catalog rows)
        in the cells they were assigned to; each cell that holds any of them is probed
        by the mean of those rows, not by its centre (a filter may keep one side of a
        cell only, and that side is what a query should be compared with)."""
        import faiss

        d = self.centres.shape[1]
        of_rows = np.asarray(self.rows[rows])
        order = np.argsort(of_rows, kind="stable")  # rows grouped by cell
        rows, of_rows = rows[order], of_rows[order]
        vectors = np.ascontiguousarray(self.vectors[rows], dtype=np.float32)
        cells, starts, assigned = np.unique(of_rows, return_index=True, return_inverse=True)
        sums = np.add.reduceat(vectors, starts, axis=0, dtype=np.float64)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        means = np.where(norms > 0, sums / np.maximum(norms, 1e-12), self.centres[cells])
        quantizer = faiss.IndexFlatIP(d)
        quantizer.add(np.ascontiguousarray(means, dtype=np.float32))
        lists = faiss.IndexIVFFlat(quantizer, d, len(cells), faiss.METRIC_INNER_PRODUCT)
        lists.is_trained = True
        ids = rows.astype(np.int64)
        assigned = assigned.astype(np.int64)
        lists.add_core(len(rows), faiss.swig_ptr(vectors), faiss.swig_ptr(ids),
                       faiss.swig_ptr(assigned))
        return lists
