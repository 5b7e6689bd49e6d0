"""An approximate backend: faiss's HNSW graph over the unit vectors (inner product).

A query walks the graph instead of scanning every row; a filter is searched through
the coarse cells kept beside the graph (:mod:`musicrec.index.cells`), or, when it
allows more than half the rows, by a walk skipping the rows it refuses. Restrictions
and exclusions are handled as for every approximate backend
(:mod:`musicrec.index.approximate`). The graph
stores the vectors in full (HNSW,Flat), so its scores are exact inner products.

An index that keeps cells also keeps its graph in cell order: the graph's nodes (and
the vectors faiss stores beside them) are renumbered so that the rows of one cell sit
together in memory, and ``hnsw_order.npy`` maps each node back to its catalog row. A
walk stays among a few neighbouring cells, so it then touches fewer pages and cache
lines (at a million tracks, 20% less time per walk for the same results;
docs/performance.md).

Saved with ``faiss.write_index`` (faiss's own binary format, no pickle) and checked on
load against the model's vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.errors import ModelIntegrityError
from musicrec.index.approximate import (
    ApproximateIndex,
    add_in_batches,
    check_loaded,
    faiss_module,
    only_allowed,
    read_faiss_index,
)
from musicrec.index.base import RowMask
from musicrec.index.cells import CELLS_FROM, Cells
from musicrec.progress import Progress

FILE, ORDER_FILE = "hnsw.faiss", "hnsw_order.npy"
#: Graph degree and build effort (faiss's M and efConstruction). A better-connected
#: graph needs less walking for the same recall on averaged seeds: at a million tracks,
#: benchmarks/scale.py's five-seed queries with faiss alone reach recall@10 0.967 at
#: walk effort 150 on M 24 / effort 200 (180 s to build on two threads), against 0.949
#: on M 16 / 200 (162 s) and 0.969 on M 16 / 400 (336 s); docs/performance.md.
NEIGHBOURS, BUILD_EFFORT = 24, 200
#: Search effort: candidates kept while walking, at least this many or the fetch size
#: (40: recall@10 0.9997 through the Recommender at a million tracks, 300 one-track
#: queries; 64 gave 1.0 for a slower walk).
SEARCH_EFFORT = 40
#: The least effort for a query that is not a track's own vector: five seeds averaged
#: lie away from every track, where a walk tuned for a track's own neighbourhood stops
#: too soon. At a million tracks, M 24: recall@10 0.943 at 100, 0.967 at 150, 0.981 at
#: 200 on benchmarks/scale.py's 100 five-seed queries (faiss alone); on M 16 / 200,
#: through the Recommender, 0.949 at 150 and 0.965 at 200.
FREE_QUERY_EFFORT = 150


class HnswIndex(ApproximateIndex):
    """HNSW (faiss) over float32 unit vectors; see the module docstring."""

    name = "hnsw"

    def __init__(self, vectors: np.ndarray, graph, cells: Cells | None = None,
                 order: np.ndarray | None = None) -> None:
        self.vectors = np.asarray(vectors)
        self.graph = graph
        self.filter_cells = cells
        #: the catalog row of each graph node (None: node i is row i)
        self.order = order
        self._plain: dict[int, object] = {}  # search parameters by effort, unfiltered

    @classmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> HnswIndex:
        faiss = faiss_module()
        graph = faiss.IndexHNSWFlat(vectors.shape[1], NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = BUILD_EFFORT
        add_in_batches(graph, vectors, "HNSW graph", progress)
        index = cls(vectors, graph)
        if len(vectors) >= CELLS_FROM:
            index.filter_cells = Cells.learn(vectors, progress)
            if progress is not None:
                progress.say("Arranging the graph by cells")
            index.arrange(index.filter_cells.rows)
        return index

    def arrange(self, cell_of_rows: np.ndarray) -> None:
        """Renumber the graph's nodes so that the rows of each cell are adjacent (rows
        in their order within a cell); searches answer the same rows as before. The
        graph must be in memory (as built), not memory-mapped."""
        order = np.argsort(np.asarray(cell_of_rows), kind="stable").astype(np.int64)
        # node i becomes the node that held row order[i] (node r, unless arranged before)
        self.graph.permute_entries(order if self.order is None else
                                   np.argsort(self.order)[order])
        self.order = order
        self.__dict__.pop("_stored", None)  # (its map from rows to nodes is stale)

    def _candidates(self, queries: np.ndarray, fetch: int,
                    allowed: RowMask | None = None, widen: float = 1.0,
                    free: bool = False) -> tuple[np.ndarray, np.ndarray]:
        import faiss  # (its thread count was set when the index was built or loaded)

        effort = int(max(FREE_QUERY_EFFORT if free else SEARCH_EFFORT, fetch) * widen)
        if allowed is None:  # the commonest search: its parameters made once
            params = self._plain.get(effort)
            if params is None:
                params = self._plain[effort] = faiss.SearchParametersHNSW()
                params.efSearch = effort
                # faiss's walk without a bounded queue: the same rows, 3% sooner at a
                # million tracks (docs/performance.md)
                params.bounded_queue = False
            return self._as_rows(*self.graph.search(queries, fetch, params=params))
        params = faiss.SearchParametersHNSW()
        params.efSearch = effort
        selector = only_allowed(params, len(self.vectors), allowed.bits_in(self.order))
        found = self.graph.search(queries, fetch, params=params)
        del selector  # (held until the search has run)
        return self._as_rows(*found)

    def vectors_at(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows' vectors as the graph stores them (row-major, the same float32
        values as the model's column-major matrix): five seeds' vectors in 15 us inside
        a request at a million tracks, against 50 us from the model's matrix."""
        stored, nodes = self._stored
        rows = np.asarray(rows, dtype=np.int64)
        return stored[rows if nodes is None else nodes[rows]]

    @cached_property
    def _stored(self) -> tuple[np.ndarray, np.ndarray | None]:
        """A view of the vectors faiss stores (node order, no copy), and each row's node
        (None: node i is row i); the latter is worked out on first use (3 ms at a
        million rows)."""
        import faiss

        n, d = self.vectors.shape
        stored = faiss.rev_swig_ptr(faiss.downcast_index(self.graph.storage).get_xb(), n * d)
        nodes = None
        if self.order is not None:
            nodes = np.empty(n, dtype=np.int64)
            nodes[self.order] = np.arange(n)
        return stored.reshape(n, d), nodes

    def _as_rows(self, scores: np.ndarray, nodes: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Found graph nodes as catalog rows (-1 stays -1)."""
        if self.order is None:
            return scores, nodes
        rows = self.order[nodes]
        rows[nodes < 0] = -1
        return scores, rows

    def describe(self) -> str:
        return f"hnsw (approximate: faiss HNSW graph, M {self.graph.hnsw.nb_neighbors(1)})"

    def save(self, directory: Path) -> dict[str, Any]:
        faiss_module(1).write_index(self.graph, str(directory / FILE))
        files = [FILE]
        if self.order is not None:
            np.save(directory / ORDER_FILE, self.order)
            files.append(ORDER_FILE)
        cells = self.filter_cells.save(directory) if self.filter_cells is not None else []
        return {"files": [*files, *cells], "neighbours": NEIGHBOURS,
                "build_effort": BUILD_EFFORT}

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> HnswIndex:
        graph = read_faiss_index(directory / FILE, "HNSW")
        check_loaded(graph, vectors, directory, "HNSW")
        return cls(vectors, graph, Cells.load(directory, vectors),
                   _load_order(directory, len(vectors)))


def _load_order(directory: Path, n: int) -> np.ndarray | None:
    """The saved node order (None for a graph saved in row order); ModelIntegrityError
    when it is unreadable or does not fit ``n`` rows."""
    path = directory / ORDER_FILE
    if not path.exists():
        return None
    try:
        order = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"the graph order {path} cannot be read ({exc})") from None
    if (order.shape != (n,) or order.dtype != np.int64
            or (n and not 0 <= int(order.min()) <= int(order.max()) < n)):
        raise ModelIntegrityError(f"the graph order {path} does not fit the model's "
                                  "vectors; rebuild it")
    return order
