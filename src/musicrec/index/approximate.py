"""What the approximate backends share: restrictions and exclusions on an index whose
search is approximate.

A backend supplies ``_candidates(queries, fetch, allowed)``: up to ``fetch`` rows per
query, best first, with exact inner products (re-ranked from the model's vectors when
its own scores are approximate), optionally only among the rows a
:class:`~musicrec.index.base.RowMask` allows (faiss filters while it searches, through
an ``IDSelectorBitmap`` of the mask's bits).

- No restriction: ``k`` plus the number of excluded rows are fetched and the excluded
  ones dropped, so k always remain.
- A restriction (a filter, a genre) leaving few rows (at most ``EXACT_BELOW`` of them,
  or ``EXACT_SHARE`` of the catalog): an exact scan of just those rows, so a rare year
  or a tiny genre gets its true top k.
- A wider one, up to half the catalog, asked for before: the allowed rows of the cells
  nearest the query (:mod:`musicrec.index.cells`; inverted lists of the filter's rows,
  made on its second request), when the backend keeps cells.
- Otherwise the search itself skips the rows it refuses. Either way, if it finds fewer
  than k where k exist, the allowed rows are scanned exactly.

Ties go to the lower row, as in the exact backend.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from musicrec.errors import ModelIntegrityError
from musicrec.index.base import Allowed, Index, RowMask, as_mask, not_in, per_query
from musicrec.index.cells import Cells
from musicrec.index.topk import top_k
from musicrec.progress import Progress

#: A restriction allowing at most this many rows (or this share) is scanned exactly.
EXACT_BELOW, EXACT_SHARE = 20_000, 0.05
#: A filtered search's effort is WIDEN / (the share of rows allowed) times the usual,
#: at most MAX_WIDEN times: it meets about WIDEN times as many allowed rows as needed.
WIDEN, MAX_WIDEN = 2.0, 16.0
#: An exact scan gathers a subset's rows when they are under 1/this of the catalog,
#: else scores every row in one product and keeps the subset's.
GATHER_BELOW_SHARE = 32
#: Rows added to a faiss index at a time (bounds the copy; paces the progress bar).
ADD_BATCH = 50_000


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


def add_in_batches(index, vectors: np.ndarray, label: str,
                   progress: Progress | None) -> None:
    """Add ``vectors`` to a faiss index a batch at a time (a row-major float32 copy of
    one batch, not of all of them), counting them on ``progress``."""
    n = len(vectors)
    for start in range(0, n, ADD_BATCH):
        index.add(np.ascontiguousarray(vectors[start: start + ADD_BATCH], dtype=np.float32))
        if progress is not None:
            progress.count(label, min(start + ADD_BATCH, n), n)


def only_allowed(params, n: int, allowed_bits: np.ndarray | None):
    """Make faiss search ``params`` skip the ids whose bit is not set; returns the
    selector, which the caller keeps referenced until the search has run."""
    if allowed_bits is None:
        return None
    import faiss

    selector = faiss.IDSelectorBitmap(n, faiss.swig_ptr(allowed_bits))
    params.sel = selector
    return selector


def check_loaded(index, vectors: np.ndarray, directory: Path, what: str) -> None:
    """Refuse a loaded faiss index that was not built for these vectors."""
    if index.ntotal != len(vectors) or index.d != vectors.shape[1]:
        raise ModelIntegrityError(
            f"the {what} index in {directory} holds {index.ntotal} vectors of {index.d} "
            f"dimensions, the model {vectors.shape[0]} of {vectors.shape[1]}; rebuild it")


def exact_scores(vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Inner products of each query with its candidate rows (-1: none, score -inf)."""
    safe = np.where(rows >= 0, rows, 0)
    scores = np.einsum("mkd,md->mk", np.asarray(vectors[safe.ravel()]).reshape(
        *safe.shape, -1), queries, dtype=np.float32)
    scores[rows < 0] = -np.inf
    return scores


class ApproximateIndex(Index):
    """An index searched by candidates (see the module docstring)."""

    #: Coarse cells for filtered searches (:mod:`musicrec.index.cells`); None: the
    #: backend's own search with the filter's bitmap.
    filter_cells: Cells | None = None

    @abstractmethod
    def _candidates(self, queries: np.ndarray, fetch: int,
                    allowed: RowMask | None = None, widen: float = 1.0,
                    free: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (m, fetch), exact scores best first; row -1 pads.
        ``allowed`` limits the search to the rows it allows;
        ``widen`` multiplies its effort (1 / the share of rows allowed, so a filtered
        search still meets enough allowed rows). ``free``: the queries are not indexed
        rows (several seeds averaged, a track from elsewhere); they often lie away from
        every track, where a search tuned for a track's own neighbourhood stops too
        soon, and a backend may search them harder."""

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._search(queries, k, allowed, exclude, free_queries=True)

    def search_rows(
        self,
        rows: Sequence[int],
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._search(self.vectors_at(rows), k, allowed, exclude, free_queries=False)

    def _search(self, queries, k: int, allowed, exclude, *, free_queries: bool
                ) -> tuple[np.ndarray, np.ndarray]:
        """``search``; ``free_queries``: they are not indexed rows (see _candidates)."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        m, n = queries.shape[0], self.vectors.shape[0]
        if m == 1 and allowed is None:  # the commonest search, without the bookkeeping
            return self._unrestricted(queries, k, _excluded(exclude, 0), free_queries)
        restrictions = per_query(allowed, m)
        rows = np.full((m, k), -1, dtype=np.int64)
        scores = np.full((m, k), -np.inf, dtype=np.float32)
        small = min(EXACT_BELOW, max(EXACT_SHARE * n, k))
        unrestricted = []
        for i, restriction in enumerate(restrictions):
            excluded = _excluded(exclude, i)
            if restriction is None:
                unrestricted.append(i)
                continue
            given = restriction if isinstance(restriction, RowMask) else RowMask(
                as_mask(restriction, n))
            mask = given.mask
            # excluded rows stay in the mask (its bits are reused across requests): the
            # search fetches as many more and drops them
            dropped = excluded[mask[excluded]] if excluded is not None else None
            available = given.count - (0 if dropped is None else len(dropped))
            if available > small:  # search among the allowed rows only
                fetch = k + (0 if dropped is None else len(dropped))
                found = (None if self.filter_cells is None else
                         self.filter_cells.search(queries[i: i + 1], fetch, given))
                if found is None:  # the index's own search, skipping refused rows
                    found = self._candidates(queries[i: i + 1], fetch, given,
                                             widen=min(MAX_WIDEN, WIDEN * n / given.count),
                                             free=free_queries)
                found_scores, found_rows = found
                r, sc = found_rows[0], found_scores[0]
                keep = r >= 0
                if dropped is not None and len(dropped):
                    keep &= not_in(r, dropped)
                if keep.sum() >= min(k, available):
                    self._put(rows, scores, i, r[keep], sc[keep], k)
                    continue
            subset = np.flatnonzero(mask)
            if dropped is not None and len(dropped):
                subset = np.setdiff1d(subset, dropped, assume_unique=True)
            self._scan(queries[i], subset, k, rows, scores, i)
        if unrestricted:  # fetch enough that the excluded ones can be dropped
            extra = max((len(_excluded(exclude, i)) if _excluded(exclude, i) is not None
                         else 0) for i in unrestricted)
            found_scores, found_rows = self._candidates(
                queries[unrestricted], min(n, k + extra), free=free_queries)
            for j, i in enumerate(unrestricted):
                r, sc = found_rows[j], found_scores[j]
                keep = r >= 0
                excluded = _excluded(exclude, i)
                if excluded is not None:
                    keep &= not_in(r, excluded)
                self._put(rows, scores, i, r[keep], sc[keep], k)
        return rows, scores

    def _unrestricted(self, query: np.ndarray, k: int, excluded: np.ndarray | None,
                      free: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """One query with no restriction: ``k`` plus the excluded rows fetched, the
        excluded ones dropped (as the general path does)."""
        fetch = min(self.vectors.shape[0], k + (0 if excluded is None else len(excluded)))
        found_scores, found_rows = self._candidates(query, fetch, free=free)
        r, sc = found_rows[0], found_scores[0]
        keep = r >= 0
        if excluded is not None:
            keep &= not_in(r, excluded)
        rows = np.full((1, k), -1, dtype=np.int64)
        scores = np.full((1, k), -np.inf, dtype=np.float32)
        self._put(rows, scores, 0, r[keep], sc[keep], k)
        return rows, scores

    def _scan(self, query: np.ndarray, subset: np.ndarray, k: int, rows, scores, i) -> None:
        """The exact top k of ``subset`` (sorted rows) into output row ``i``. A large
        subset is scored by one product with all vectors (column-major, as the model
        stores them: gathering scattered rows would cost more than the scan)."""
        n = self.vectors.shape[0]
        if len(subset) * GATHER_BELOW_SHARE > n:
            every = np.full(n, -np.inf, dtype=np.float32)
            every[subset] = (query @ self.vectors.T)[subset]
            local, best = top_k(every, k)
            rows[i, : len(local)], scores[i, : len(local)] = local, best
            return
        local, best = top_k(self.vectors[subset] @ query, k)
        rows[i, : len(local)], scores[i, : len(local)] = subset[local], best

    @staticmethod
    def _put(rows, scores, i, r: np.ndarray, s: np.ndarray, k: int) -> None:
        """Candidates ``r`` with scores ``s`` into output row ``i``: best first, ties to
        the lower row."""
        order = np.lexsort((r, -s))[:k]
        rows[i, : len(order)], scores[i, : len(order)] = r[order], s[order].astype(np.float32)


def _excluded(exclude: Sequence[np.ndarray] | None, i: int) -> np.ndarray | None:
    if exclude is None or exclude[i] is None or not len(exclude[i]):
        return None
    return np.asarray(exclude[i], dtype=np.int64)
