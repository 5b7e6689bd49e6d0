"""An approximate backend: faiss's inverted file with 8-bit codes, re-ranked exactly.

The vectors are clustered into ``lists`` cells (k-means on a sample); each vector is
stored once, in its cell, as one byte per dimension (a quarter of float32). A query
scans the ``PROBES`` cells nearest to it (more when they hold too few rows), takes the
best candidates by their 8-bit scores (``RERANK`` times as many as needed) and
re-ranks those by exact inner products
from the model's vectors, so every returned score is exact. Restrictions and exclusions
are handled as for every approximate backend (:mod:`musicrec.index.approximate`).

The smallest index on disk and in memory; the model's own vectors stay memory-mapped
and only the candidates' rows are read. Saved with ``faiss.write_index`` (no pickle),
its cells memory-mapped on load where faiss can, checked against the model's vectors.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.index.approximate import (
    ApproximateIndex,
    add_in_batches,
    check_loaded,
    exact_scores,
    faiss_module,
    only_allowed,
    read_faiss_index,
)
from musicrec.index.base import RowMask
from musicrec.progress import Progress

FILE = "ivf.faiss"
#: Cells per sqrt(rows), and the sample the cells are learned from (rows per cell).
LISTS_PER_ROOT, TRAIN_PER_LIST = 4, 64
#: Cells scanned per query (at least this many, or this share of them).
PROBES, PROBE_SHARE = 48, 0.02
#: Candidates taken by 8-bit score per result, before the exact re-ranking.
RERANK = 4


def lists_for(n: int) -> int:
    """How many cells a catalog of ``n`` rows gets (at least 1, at most n // 39)."""
    return max(1, min(n // 39, int(LISTS_PER_ROOT * math.sqrt(n))))


class IvfIndex(ApproximateIndex):
    """IVF with 8-bit scalar codes (faiss), exact re-ranking; see the module docstring."""

    name = "ivf"

    def __init__(self, vectors: np.ndarray, cells) -> None:
        self.vectors = np.asarray(vectors)
        self.cells = cells
        self.probes = min(cells.nlist, max(PROBES, int(PROBE_SHARE * cells.nlist)))

    @classmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> IvfIndex:
        faiss = faiss_module()
        n, d = vectors.shape
        lists = lists_for(n)
        quantizer = faiss.IndexFlatIP(d)
        cells = faiss.IndexIVFScalarQuantizer(quantizer, d, lists, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        cells.cp.min_points_per_centroid = 1  # small catalogs: no warning on stderr
        sample = np.random.default_rng(0).choice(n, min(n, lists * TRAIN_PER_LIST),
                                                 replace=False)
        if progress is not None:
            progress.say(f"Learning {lists:,} IVF cells from {len(sample):,} vectors")
        cells.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
        add_in_batches(cells, vectors, "IVF cells", progress)
        return cls(vectors, cells)

    def _candidates(self, queries: np.ndarray, fetch: int,
                    allowed: RowMask | None = None, widen: float = 1.0,
                    free: bool = False) -> tuple[np.ndarray, np.ndarray]:
        import faiss  # (its thread count was set when the index was built or loaded)

        wanted = min(len(self.vectors), fetch * RERANK)
        params = faiss.SearchParametersIVF()
        selector = only_allowed(params, len(self.vectors),  # held below
                                None if allowed is None else allowed.bits)
        probes = min(self.cells.nlist, int(self.probes * widen))
        while True:  # the probed cells may hold fewer rows than wanted: probe more
            params.nprobe = probes
            _, rows = self.cells.search(queries, wanted, params=params)
            if probes >= self.cells.nlist or (rows[:, -1] >= 0).all():
                break
            probes = min(self.cells.nlist, probes * 4)
        del selector
        scores = exact_scores(self.vectors, queries, rows)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :fetch]
        return np.take_along_axis(scores, order, 1), np.take_along_axis(rows, order, 1)

    def describe(self) -> str:
        return (f"ivf (approximate: {self.cells.nlist:,} cells of 8-bit codes, "
                f"{self.probes} probed per query, re-ranked exactly)")

    def save(self, directory: Path) -> dict[str, Any]:
        faiss_module(1).write_index(self.cells, str(directory / FILE))
        return {"files": [FILE], "lists": int(self.cells.nlist), "probes": self.probes}

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> IvfIndex:
        cells = read_faiss_index(directory / FILE, "IVF")
        check_loaded(cells, vectors, directory, "IVF")
        return cls(vectors, cells)
