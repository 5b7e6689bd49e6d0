"""Index backends: exact top-k with ties to the lower row, save and load, and a toy
backend that plugs in from this file alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musicrec import Catalog, ModelIntegrityError, Recommender, build_model, load_model
from musicrec.data.importers.kaggle import read_kaggle_tracks
from musicrec.index import BACKENDS, ExactIndex, Index, RowMask, register
from musicrec.index.base import passes
from musicrec.index.topk import SAMPLE_STEP, top_k
from musicrec.model.store import INDEX, MANIFEST
from tests.conftest import FIXTURES


def _expected(scores: np.ndarray, k: int) -> np.ndarray:
    rows = np.arange(len(scores))
    finite = np.isfinite(scores)
    order = np.lexsort((rows[finite], -scores[finite]))  # best first, then lower row
    return rows[finite][order][:k]


@pytest.mark.parametrize("n, k", [(50, 7), (40, 40), (3000, 40), (20_000, 10)])
def test_top_k_breaks_ties_by_lower_row_on_every_path(n, k):
    rng = np.random.default_rng(n)
    scores = rng.integers(0, 5, size=n).astype(np.float32)  # many ties
    scores[rng.choice(n, n // 10, replace=False)] = -np.inf
    rows, values = top_k(scores, k)
    assert rows.tolist() == _expected(scores, k).tolist()  # not sorted first: order counts
    assert values.tolist() == scores[rows].tolist()
    assert (n > 8 * SAMPLE_STEP * k) == (n == 20_000)  # both code paths are covered


def test_exact_index_restrictions_as_ids_predicates_and_masks():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = ExactIndex.build(vectors)
    allowed = np.flatnonzero(rng.random(500) < 0.3)
    mask = np.zeros(500, dtype=bool)
    mask[allowed] = True
    queries = vectors[:3]
    by_ids = index.search(queries, 10, allowed)
    by_mask = index.search(queries, 10, RowMask(mask))
    by_predicate = index.search(queries, 10, lambda rows: mask[rows])
    assert np.array_equal(by_ids[0], by_mask[0]) and np.array_equal(by_ids[0], by_predicate[0])
    assert mask[by_ids[0]].all()
    # one restriction per query, and exclusions
    rows, _ = index.search(queries, 5, [allowed, None, RowMask(~mask)], [np.array([0]), None, []])
    assert mask[rows[0]].all() and (~mask[rows[2]]).all() and 0 not in rows[0]
    assert passes(allowed, np.array([allowed[0], -5])).tolist() == [True, False]


class OverFetchIndex(Index):
    """A toy backend that cannot restrict its search: it ranks everything, then drops
    what the restriction refuses (as an approximate index does by over-fetching)."""

    name = "toy-overfetch"

    def __init__(self, vectors):
        self.vectors = np.asarray(vectors)

    @classmethod
    def build(cls, vectors, progress=None):
        return cls(vectors)

    def search(self, queries, k, allowed=None, exclude=None):
        queries = np.atleast_2d(queries)
        restrictions = allowed if isinstance(allowed, list) else [allowed] * len(queries)
        out_rows = np.full((len(queries), k), -1)
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        for i, query in enumerate(queries):
            scores = self.vectors @ query
            order = np.lexsort((np.arange(len(scores)), -scores))
            keep = passes(restrictions[i], order)
            if exclude is not None and exclude[i] is not None:
                keep &= ~np.isin(order, exclude[i])
            chosen = order[keep][:k]
            out_rows[i, : len(chosen)], out_scores[i, : len(chosen)] = chosen, scores[chosen]
        return out_rows, out_scores

    def save(self, directory):
        np.save(directory / "toy.npy", np.array([len(self.vectors)]), allow_pickle=False)
        return {"files": ["toy.npy"]}

    @classmethod
    def load(cls, directory, vectors, saved):
        if int(np.load(directory / "toy.npy")[0]) != len(vectors):
            raise ModelIntegrityError("toy index does not fit")
        return cls(vectors)


@pytest.fixture
def toy_backend():
    register(OverFetchIndex)
    yield OverFetchIndex
    BACKENDS.pop(OverFetchIndex.name)


def test_a_toy_backend_plugs_in_from_this_file(toy_backend, tmp_path):
    catalog = Catalog.from_import(read_kaggle_tracks(FIXTURES / "kaggle_data.csv"))
    toy = build_model(catalog, tmp_path / "toy", "original", index=toy_backend.name)
    exact = build_model(catalog, tmp_path / "exact", "original", index="exact")
    assert toy.manifest["index"] == toy_backend.name and isinstance(toy.index, toy_backend)
    assert f"{INDEX}/toy.npy" in toy.manifest["files"]
    assert isinstance(load_model(toy.path).index, toy_backend)
    for title in catalog.tracks["name"].dropna().head(4):
        ours = [r.track_id for r in Recommender(toy).recommend(title, k=3, artist_cap=0)]
        theirs = [r.track_id for r in Recommender(exact).recommend(title, k=3, artist_cap=0)]
        assert ours == theirs
    # the index folder describes itself; a mismatch is refused
    description = json.loads((toy.path / INDEX / "index.json").read_text())
    assert description["backend"] == toy_backend.name and description["rows"] == len(catalog)
    manifest = json.loads((toy.path / MANIFEST).read_text())
    assert manifest["index"] == toy_backend.name


def test_unknown_backend_is_refused(tmp_path):
    catalog = Catalog.from_import(read_kaggle_tracks(FIXTURES / "kaggle_data.csv"))
    with pytest.raises(Exception, match="unknown index 'nope'"):
        build_model(catalog, tmp_path / "m", "original", index="nope")
    assert not (tmp_path / "m").exists()


def musicrec_filters(**given):
    from musicrec.recommend.filters import Filters

    return Filters(**given)


@pytest.mark.parametrize("name", ["hnsw", "ivf"])
def test_approximate_index_agrees_with_exact_search_under_filters(model, tmp_path, name):
    """An approximate backend on the default model's vectors: the same top ten as the
    exact scan for nearly every query, and k results under a rare filter, a small
    allowed set, exclusions and multi-seed queries; saved and loaded back."""
    from musicrec.index.registry import backend, load_index, save_index

    vectors = np.asarray(model.vectors)
    approximate = backend(name)
    ours, exact = approximate.build(vectors), ExactIndex.build(vectors)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(vectors), 200, replace=False)
    seeds = np.stack([vectors[rng.choice(len(vectors), 5)].mean(0) for _ in range(50)])
    seeds /= np.linalg.norm(seeds, axis=1, keepdims=True)
    for queries in (vectors[rows], seeds):
        found, _ = ours.search(queries, 10)
        truth, _ = exact.search(queries, 10)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        assert recall >= 0.95, recall
    # a rare year (a few dozen tracks) and a large filter, with the queries excluded
    years = model.catalog.numeric("year")
    for mask in (years == 1975, years >= 2015):
        assert mask.sum() >= 10
        exclude = [np.array([r]) for r in rows[:20]]
        found, scores = ours.search(vectors[rows[:20]], 10, RowMask(mask), exclude)
        truth, _ = exact.search(vectors[rows[:20]], 10, RowMask(mask), exclude)
        assert (found >= 0).all() and mask[found].all()  # k results, all allowed
        assert not any(r in f for r, f in zip(rows[:20], found, strict=True))
        assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth,
                                                                 strict=True)]) >= 0.9
    # fewer allowed rows than asked: all of them, then -1
    few = np.zeros(len(vectors), dtype=bool)
    few[rows[:3]] = True
    found, scores = ours.search(vectors[rows[:1]], 10, RowMask(few))
    assert sorted(found[0][:3]) == sorted(rows[:3]) and (found[0][3:] == -1).all()
    assert np.isneginf(scores[0][3:]).all()
    save_index(ours, tmp_path / "index")
    again = load_index(tmp_path / "index", vectors)
    assert np.array_equal(again.search(vectors[rows[:5]], 10)[0], ours.search(vectors[rows[:5]],
                                                                              10)[0])
    with pytest.raises(ModelIntegrityError, match="rebuild"):
        approximate.load(tmp_path / "index", vectors[:100], {})
    # through the Recommender: versions, artist cap and a genre filter still give k
    rec, truth = Recommender(model, index=ours), Recommender(model, index=exact)
    for seeds, genres in ((["bad guy"], []), (["bad guy", "Shape of You"], ["rock"])):
        options = {"k": 20, "filters": musicrec_filters(genres=genres)}
        ours = [r.track_id for r in rec.recommend(seeds, **options).results]
        theirs = [r.track_id for r in truth.recommend(seeds, **options).results]
        assert len(ours) == 20 and len(set(ours) & set(theirs)) >= 18


def test_a_repeated_filter_reuses_its_mask_and_the_cache_stays_small(model):
    """The mask of a filter (and the bits an approximate index searches with) is made
    once per Recommender and kept for the last FILTER_MASKS filters; answers are those
    of a fresh Recommender."""
    from musicrec.recommend.filters import Filters
    from musicrec.recommend.recommender import FILTER_MASKS

    rec = Recommender(model)
    recent = Filters(year=(2010, 2015))
    first = rec.recommend(["bad guy"], k=10, filters=recent)
    kept = rec._masks[repr(recent)]
    assert kept.count == int(kept.mask.sum())
    assert np.array_equal(np.unpackbits(kept.bits, bitorder="little")[: len(kept.mask)],
                          kept.mask)
    again = rec.recommend(["bad guy"], k=10, filters=recent)
    assert rec._masks[repr(recent)] is kept
    fresh = Recommender(model).recommend(["bad guy"], k=10, filters=recent)
    assert ([r.track_id for r in first.results] == [r.track_id for r in again.results]
            == [r.track_id for r in fresh.results])
    for year in range(1960, 1960 + FILTER_MASKS + 4):
        rec.recommend(["bad guy"], k=3, filters=Filters(year=(year, year + 20)))
    assert len(rec._masks) == FILTER_MASKS and repr(recent) not in rec._masks
