"""The neighbour-table backend: each track's nearest neighbours, computed at build time.

"More like this one track" is the commonest query. Answering it from a stored list of
the track's closest tracks skips the scan over the whole catalog; the list holds the
same tracks, in the same order, that the exact scan finds, with their scores.
Restrictions, exclusions and the seed's versions are applied to the list; when too few
tracks survive, and for any other query, the exact scan answers.

Building is one pass of blocked matrix products, O(n^2 d): about a second for the
default 28k-track catalog. Catalogs above ``MAX_TRACKS`` get the HNSW graph instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.errors import ModelIntegrityError
from musicrec.index.base import Allowed, Index, not_in, passes, per_query
from musicrec.index.exact import ExactIndex
from musicrec.index.topk import top_k
from musicrec.progress import Progress

#: Neighbours kept per track: the default candidate pool (100) plus room for versions.
NEIGHBOURS = 128
#: Largest catalog that gets a table (the build work grows with the square of its size).
MAX_TRACKS = 100_000
_BLOCK = 128
ROWS_FILE = "neighbours.npy"
SCORES_FILE = "neighbour_scores.npy"


@dataclass
class NeighbourTable:
    """Per track, its nearest other tracks (best first) and their cosine scores."""

    rows: np.ndarray  # (n, width) int32
    scores: np.ndarray  # (n, width) float32

    @property
    def width(self) -> int:
        return self.rows.shape[1]

    def fits(self, n_rows: int) -> bool:
        """Whether the table has the right shapes, types and row numbers for n rows."""
        rows, scores = self.rows, self.scores
        return (
            rows.ndim == 2 and rows.shape[0] == n_rows and rows.shape == scores.shape
            and np.issubdtype(rows.dtype, np.integer) and scores.dtype == np.float32
            and (rows.size == 0 or 0 <= rows.min() <= rows.max() < n_rows)
        )


def nearest_neighbours(
    vectors: np.ndarray,
    n_neighbours: int = NEIGHBOURS,
    progress: Progress | None = None,
) -> NeighbourTable:
    """Each row's ``n_neighbours`` most similar other rows, best first, with scores;
    ties to the lower row, as in :func:`musicrec.index.topk.top_k`."""
    vectors = np.asarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    width = max(min(n_neighbours, n - 1), 0)
    rows = np.empty((n, width), dtype=np.int32)
    scores = np.empty((n, width), dtype=np.float32)
    if width == 0:
        return NeighbourTable(rows, scores)
    columns = np.ascontiguousarray(vectors.T)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        block = vectors[start:stop] @ columns
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not itself
        for i in range(stop - start):
            rows[start + i], scores[start + i] = top_k(block[i], width)
        if progress is not None:
            progress.count("nearest neighbours", stop, n)
    return NeighbourTable(rows, scores)


def neighbours_of(
    table: NeighbourTable, row: int, k: int, allowed: Allowed, exclude: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """The k best rows for the query "like ``row``", from the table; None when the table
    holds fewer than k rows that pass ``allowed`` and ``exclude``."""
    rows = table.rows[row].astype(np.int64)
    keep = passes(allowed, rows)
    if exclude is not None and len(exclude):
        keep &= not_in(rows, exclude)
    chosen = np.flatnonzero(keep)[:k]
    if len(chosen) < k:
        return None
    return rows[chosen], np.asarray(table.scores[row], dtype=np.float32)[chosen]


class NeighbourIndex(Index):
    """Exact search plus each row's stored nearest neighbours for one-track queries."""

    name = "neighbours"

    def __init__(self, vectors: np.ndarray, table: NeighbourTable) -> None:
        self.exact = ExactIndex(vectors)
        self.vectors = self.exact.vectors
        # plain views of the memory-mapped arrays: cheaper row reads
        self.table = NeighbourTable(np.asarray(table.rows), np.asarray(table.scores))

    @classmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> NeighbourIndex:
        return cls(vectors, nearest_neighbours(vectors, progress=progress))

    def search(self, queries, k, allowed=None, exclude=None):
        return self.exact.search(queries, k, allowed, exclude)

    def search_rows(
        self,
        rows: Sequence[int],
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        rows = [int(r) for r in rows]
        restrictions = per_query(allowed, len(rows))
        excluded = list(exclude) if exclude is not None else [None] * len(rows)
        if len(rows) == 1 and k <= self.table.width:  # the commonest query, answered directly
            found = neighbours_of(self.table, rows[0], k, restrictions[0], excluded[0])
            if found is not None:
                return found[0][None, :], found[1][None, :]
        out_rows = np.full((len(rows), k), -1, dtype=np.int64)
        out_scores = np.full((len(rows), k), -np.inf, dtype=np.float32)
        scan = []
        for i, row in enumerate(rows):
            found = None
            if k <= self.table.width:
                found = neighbours_of(self.table, row, k, restrictions[i], excluded[i])
            if found is None:
                scan.append(i)
            else:
                out_rows[i], out_scores[i] = found
        if scan:
            r, s = self.exact.search(
                self.vectors[[rows[i] for i in scan]], k, [restrictions[i] for i in scan],
                None if exclude is None else [excluded[i] for i in scan],
            )
            out_rows[scan], out_scores[scan] = r, s
        return out_rows, out_scores

    def save(self, directory: Path) -> dict[str, Any]:
        np.save(directory / ROWS_FILE, self.table.rows, allow_pickle=False)
        np.save(directory / SCORES_FILE, self.table.scores, allow_pickle=False)
        return {"width": self.table.width, "files": [ROWS_FILE, SCORES_FILE]}

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> NeighbourIndex:
        table = NeighbourTable(
            np.load(directory / ROWS_FILE, mmap_mode="r", allow_pickle=False),
            np.load(directory / SCORES_FILE, mmap_mode="r", allow_pickle=False),
        )
        if not table.fits(len(vectors)) or table.width != saved.get("width"):
            raise ModelIntegrityError(
                f"the neighbour table in {directory} does not fit its {len(vectors)} tracks"
            )
        return cls(vectors, table)
