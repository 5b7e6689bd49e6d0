"""An approximate backend: faiss's HNSW graph over the unit vectors (inner product).

A query walks the graph instead of scanning every row; a filter is searched through
the coarse cells kept beside the graph (:mod:`musicrec.index.cells`), or, when it
allows more than half the rows, by a walk skipping the rows it refuses. Restrictions
and exclusions are handled as for every approximate backend
(:mod:`musicrec.index.approximate`). The graph
stores the vectors in full (HNSW,Flat), so its scores are exact inner products.

Saved with ``faiss.write_index`` (faiss's own binary format, no pickle) and checked on
load against the model's vectors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from musicrec.index.approximate import (
    ApproximateIndex,
    add_in_batches,
    check_loaded,
    faiss_module,
    only_allowed,
    read_faiss_index,
)
from musicrec.index.cells import CELLS_FROM, Cells
from musicrec.progress import Progress

FILE = "hnsw.faiss"
#: Graph degree and build effort (faiss's M and efConstruction).
NEIGHBOURS, BUILD_EFFORT = 16, 100
#: Search effort: candidates kept while walking, at least this many or the fetch size
#: (40: recall@10 0.9997 through the Recommender at a million tracks, 300 one-track
#: queries; 64 gave 1.0 for a slower walk).
SEARCH_EFFORT = 40
#: The least effort for a query that is not a track's own vector (five seeds averaged,
#: at a million tracks: recall@10 0.836 at effort 40, 0.950 at 100, 0.984 at 200 with
#: faiss alone; through the Recommender on benchmarks/scale.py's queries 0.946 at 170,
#: 0.949 at 185, 0.952 at 200).
FREE_QUERY_EFFORT = 200


class HnswIndex(ApproximateIndex):
    """HNSW (faiss) over float32 unit vectors; see the module docstring."""

    name = "hnsw"

    def __init__(self, vectors: np.ndarray, graph, cells: Cells | None = None) -> None:
        self.vectors = np.asarray(vectors)
        self.graph = graph
        self.filter_cells = cells
        self._plain: dict[int, object] = {}  # search parameters by effort, unfiltered

    @classmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> HnswIndex:
        faiss = faiss_module()
        graph = faiss.IndexHNSWFlat(vectors.shape[1], NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = BUILD_EFFORT
        add_in_batches(graph, vectors, "HNSW graph", progress)
        cells = Cells.learn(vectors, progress) if len(vectors) >= CELLS_FROM else None
        return cls(vectors, graph, cells)

    def _candidates(self, queries: np.ndarray, fetch: int,
                    allowed_bits: np.ndarray | None = None, widen: float = 1.0,
                    free: bool = False) -> tuple[np.ndarray, np.ndarray]:
        import faiss  # (its thread count was set when the index was built or loaded)

        effort = int(max(FREE_QUERY_EFFORT if free else SEARCH_EFFORT, fetch) * widen)
        if allowed_bits is None:  # the commonest search: its parameters made once
            params = self._plain.get(effort)
            if params is None:
                params = self._plain[effort] = faiss.SearchParametersHNSW()
                params.efSearch = effort
            return self.graph.search(queries, fetch, params=params)
        params = faiss.SearchParametersHNSW()
        params.efSearch = effort
        selector = only_allowed(params, len(self.vectors), allowed_bits)
        found = self.graph.search(queries, fetch, params=params)
        del selector  # (held until the search has run)
        return found

    def describe(self) -> str:
        return f"hnsw (approximate: faiss HNSW graph, M {self.graph.hnsw.nb_neighbors(1)})"

    def save(self, directory: Path) -> dict[str, Any]:
        faiss_module(1).write_index(self.graph, str(directory / FILE))
        cells = self.filter_cells.save(directory) if self.filter_cells is not None else []
        return {"files": [FILE, *cells], "neighbours": NEIGHBOURS,
                "build_effort": BUILD_EFFORT}

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> HnswIndex:
        graph = read_faiss_index(directory / FILE, "HNSW")
        check_loaded(graph, vectors, directory, "HNSW")
        return cls(vectors, graph, Cells.load(directory, vectors))
