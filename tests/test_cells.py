"""Filtered searches through coarse cells (musicrec.index.cells): a filter far from the
query still gets its true nearest rows, a filter's lists are made on its second request
and kept within a budget, and the cells are saved, loaded and checked with the index.

The default catalog's real vectors; queries are five recent seeds averaged with a
filter to earlier decades (what the million-track benchmark found the graph walk
alone to miss). The cells are learned explicitly: an index this small keeps none."""

from __future__ import annotations

import numpy as np
import pytest

from musicrec import ModelIntegrityError
from musicrec.index import ExactIndex, RowMask
from musicrec.index.cells import CENTRES_FILE, ROWS_FILE, Cells
from musicrec.index.hnsw import HnswIndex
from musicrec.index.registry import load_index, save_index


@pytest.fixture(scope="module")
def far_filter(model):
    vectors = np.asarray(model.vectors)
    years = model.catalog.numeric("year")
    allowed = RowMask((years >= 2000) & (years <= 2009))
    rng = np.random.default_rng(0)
    recent = np.flatnonzero(years >= 2017)
    queries = np.stack([vectors[rng.choice(recent, 5)].mean(0) for _ in range(60)])
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    index = HnswIndex.build(vectors)
    assert index.filter_cells is None  # (under CELLS_FROM rows)
    index.filter_cells = Cells.learn(vectors)
    return vectors, allowed, queries, index


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b)
                          for a, b in zip(found, truth, strict=True)]))


def test_a_filter_far_from_the_query_gets_its_nearest_rows(far_filter):
    """Asked twice, a filter is searched through its cells: recall@10 against the exact
    scan at least 0.9 here, where the graph walk skipping refused rows finds almost
    none of the true ten (the reason cells exist; the approximate index used to fall
    back to an exact scan for such queries)."""
    vectors, allowed, queries, index = far_filter
    cells = index.filter_cells
    truth, _ = ExactIndex(vectors).search(queries, 10, allowed)
    assert cells.search(queries[:1], 10, allowed) is None  # first request: no lists yet
    assert id(allowed) not in cells._lists
    found, _ = index.search(queries, 10, allowed)
    assert id(allowed) in cells._lists  # made on the second request
    assert (found >= 0).all() and allowed.mask[found].all()
    assert _recall(found, truth) >= 0.9
    walked = np.stack([index._candidates(q[None], 10, allowed, widen=1.0)[1][0]
                       for q in queries])
    assert _recall(walked, truth) < 0.5


def test_probing_every_cell_is_the_exact_scan(far_filter):
    """With every cell probed, rows and scores are the exact scan's, exclusions kept."""
    vectors, allowed, queries, index = far_filter
    exclude = [np.flatnonzero(allowed.mask)[i: i + 3] for i in range(len(queries))]
    truth, truth_scores = ExactIndex(vectors).search(queries, 10, allowed, exclude)
    index.search(queries[:1], 10, allowed)  # (its lists made, if not yet)
    share, index.filter_cells.probe_share = index.filter_cells.probe_share, 1.0
    try:
        found, scores = index.search(queries, 10, allowed, exclude)
    finally:
        index.filter_cells.probe_share = share
    assert np.array_equal(found, truth)
    np.testing.assert_allclose(scores, truth_scores, rtol=1e-5)


def test_lists_are_kept_within_the_budget_and_wide_filters_walk(far_filter):
    """The same mask reuses its lists; masks beyond the budget drop the oldest; a
    filter allowing more than half the rows is never given lists."""
    vectors, allowed, _, index = far_filter
    cells = index.filter_cells
    cells._lists_for(allowed)
    first = cells._lists_for(allowed)
    assert first is not None and cells._lists_for(allowed) is first
    rng = np.random.default_rng(1)
    others = [RowMask(rng.random(len(vectors)) < 0.2) for _ in range(4)]
    for other in others:
        assert cells._lists_for(other) is None
        assert cells._lists_for(other) is not None
    assert sum(size for _, _, size in cells._lists.values()) <= cells._budget
    assert id(allowed) not in cells._lists and id(others[-1]) in cells._lists
    wide = RowMask(rng.random(len(vectors)) < 0.7)
    assert cells._lists_for(wide) is None and cells._lists_for(wide) is None


def test_cells_are_saved_checked_and_optional(far_filter, tmp_path):
    """Saved beside the graph and loaded back (same answers); a folder saved before
    cells were kept loads without them (the walk answers); cells that do not fit the
    vectors are refused."""
    vectors, allowed, queries, index = far_filter
    save_index(index, tmp_path / "index")
    again = load_index(tmp_path / "index", vectors)
    assert again.filter_cells is not None
    for _ in range(2):
        found = again.search(queries, 10, allowed)[0]
    assert np.array_equal(found, index.search(queries, 10, allowed)[0])
    (tmp_path / "index" / CENTRES_FILE).unlink()
    (tmp_path / "index" / ROWS_FILE).unlink()
    older = load_index(tmp_path / "index", vectors)
    assert older.filter_cells is None
    found, _ = older.search(queries[:5], 10, allowed)
    assert (found >= 0).all() and allowed.mask[found].all()
    save_index(index, tmp_path / "bad")
    np.save(tmp_path / "bad" / ROWS_FILE, np.zeros(10, dtype=np.int32))
    with pytest.raises(ModelIntegrityError, match="rebuild"):
        load_index(tmp_path / "bad", vectors)


def test_a_graph_in_cell_order_answers_as_in_row_order(far_filter, tmp_path):
    """Renumbering the graph's nodes by cell (what a large index does at build) changes
    where rows sit in memory, not what a search finds: the same rows and scores for
    tracks' own vectors, averaged seeds and a filtered walk (whose bitmap must follow
    the new numbering), before and after saving; a row's vector read from the graph is
    the model's; a bad order file is refused."""
    import faiss

    vectors, allowed, queries, index = far_filter
    plain = HnswIndex(vectors, faiss.deserialize_index(faiss.serialize_index(index.graph)))
    arranged = HnswIndex(vectors, faiss.deserialize_index(faiss.serialize_index(index.graph)),
                         index.filter_cells)
    arranged.arrange(index.filter_cells.rows)
    assert (np.diff(index.filter_cells.rows[arranged.order]) >= 0).all()  # cells together
    assert not np.array_equal(arranged.order, np.arange(len(vectors)))
    picked = np.random.default_rng(2).choice(len(vectors), 40)
    own = vectors[picked]
    for graph in (plain, arranged):  # the graph's row-major copy, read by row
        assert np.array_equal(graph.vectors_at(picked), own)
    for q in (own, queries):
        for way in ("search", "_candidates"):
            got, expected = getattr(arranged, way)(q, 10), getattr(plain, way)(q, 10)
            assert np.array_equal(got[0], expected[0])
            np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    walked = arranged._candidates(queries, 10, allowed, widen=4.0)[1]
    assert allowed.mask[walked[walked >= 0]].all()
    assert np.array_equal(walked, plain._candidates(queries, 10, allowed, widen=4.0)[1])
    save_index(arranged, tmp_path / "index")
    again = load_index(tmp_path / "index", vectors)
    assert np.array_equal(again.order, arranged.order)
    assert np.array_equal(again.search(queries, 10)[0], plain.search(queries, 10)[0])
    np.save(tmp_path / "index" / "hnsw_order.npy", np.zeros(len(vectors) - 1, dtype=np.int64))
    with pytest.raises(ModelIntegrityError, match="rebuild"):
        load_index(tmp_path / "index", vectors)
