"""The neighbour table answers one-track queries exactly as the full scan does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musicrec import Filters, ModelIntegrityError, Recommender, load_model
from musicrec.index import ExactIndex, NeighbourIndex, RowMask
from musicrec.index.neighbours import ROWS_FILE, nearest_neighbours
from musicrec.model.store import INDEX, MANIFEST, sha256_file

NEIGHBOURS = f"{INDEX}/{ROWS_FILE}"


def _one(index, row, k, allowed=None, exclude=None):
    """search_rows for a single row, with a boolean mask as the restriction."""
    rows, scores = index.search_rows(
        [row], k, None if allowed is None else RowMask(allowed),
        None if exclude is None else [exclude])
    keep = rows[0] >= 0
    return rows[0][keep], scores[0][keep]


def _brute_force(vectors: np.ndarray, n: int) -> np.ndarray:
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    rows = np.arange(len(vectors))
    # best score first, lower row first among equal scores
    return np.array([np.lexsort((rows, -s))[:n] for s in scores])


def test_table_matches_brute_force_with_ties():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 6)).astype(np.float32)
    vectors[100:110] = vectors[5]  # ten exact duplicates: ties broken by row
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    found = nearest_neighbours(vectors, 40)
    table = found.rows
    assert table.shape == (3000, 40) and table.dtype == np.int32
    assert found.scores.dtype == np.float32
    assert np.all(np.diff(found.scores, axis=1) <= 0)  # best first
    assert not (table == np.arange(3000)[:, None]).any()  # a track is not its own neighbour
    expected = _brute_force(vectors, 40)
    exact = vectors.astype(np.float64)
    got = np.einsum("ij,ikj->ik", exact, exact[table])
    want = np.einsum("ij,ikj->ik", exact, exact[expected])
    assert np.allclose(got, want, atol=1e-6)  # the same similarity at every rank
    assert (table == expected).mean() > 0.99  # float32 rounding may swap near-equal pairs
    assert table[5, :10].tolist() == list(range(100, 110))  # its duplicates, lower row first
    assert np.allclose(found.scores, got, atol=1e-6)  # the stored scores are the cosines


def test_tiny_catalogs():
    one = nearest_neighbours(np.ones((1, 3), dtype=np.float32))
    assert one.rows.shape == (1, 0) and one.width == 0
    two = nearest_neighbours(np.eye(2, dtype=np.float32))
    assert two.rows.tolist() == [[1], [0]] and two.scores.tolist() == [[0.0], [0.0]]


def test_search_row_equals_the_scan_on_the_real_catalog(model):
    with_table = model.index
    scan = ExactIndex(model.vectors)
    assert isinstance(with_table, NeighbourIndex)
    assert with_table.table.rows.shape == (28_356, 128)
    catalog = model.catalog
    rng = np.random.default_rng(11)
    rock = Filters(genres=["rock"]).mask(catalog)
    recent = Filters(year=(2019, 2020)).mask(catalog)
    for row in rng.choice(len(catalog), 60, replace=False):
        exclude = catalog.version_rows([int(row)])
        for allowed, k in ((None, 100), (rock, 20), (recent, 50), (None, 10)):
            got_rows, got_scores = _one(with_table, int(row), k, allowed, exclude)
            want_rows, want_scores = _one(scan, int(row), k, allowed, exclude)
            assert np.allclose(got_scores, want_scores, atol=1e-6)
            # the same tracks; only exact-score neighbours may trade places
            assert set(got_rows.tolist()) == set(want_rows.tolist()) or np.isclose(
                want_scores[-1], got_scores[-1], atol=1e-6
            )
            assert not np.isin(got_rows, exclude).any()
            if allowed is not None:
                assert allowed[got_rows].all()


def test_search_row_falls_back_when_the_table_is_too_short(model):
    catalog = model.catalog
    index = model.index
    row = catalog.index_of("2Fxmhks0bxGSBdJ92vM42m")  # bad guy
    # a narrow filter leaves almost none of its 128 neighbours: the scan answers
    allowed = Filters(year=(1957, 1965)).mask(catalog)
    assert allowed[index.table.rows[row]].sum() < 5
    rows, scores = _one(index, row, 20, allowed, catalog.version_rows([row]))
    assert len(rows) == 20 and allowed[rows].all()
    assert np.all(np.diff(scores) <= 1e-7)
    scan_rows, _ = _one(ExactIndex(model.vectors), row, 20, allowed, catalog.version_rows([row]))
    assert rows.tolist() == scan_rows.tolist()
    # k above the table's width also scans
    assert len(_one(index, row, 500)[0]) == 500


def test_recommendations_do_not_depend_on_the_table(model, rec):
    plain = Recommender(model, index=ExactIndex(model.vectors))
    for seed in ("bad guy", "Shape of You", "Wonderwall", "Blinding Lights"):
        for options in ({}, {"filters": Filters(genres=["pop"])}, {"artist_cap": 1, "k": 20}):
            ours = [r.track_id for r in rec.recommend(seed, **options)]
            theirs = [r.track_id for r in plain.recommend(seed, **options)]
            assert ours == theirs, (seed, options)


def test_bad_neighbour_table_is_refused(model, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model.path, copy)
    table = np.load(copy / NEIGHBOURS)
    table[0, 0] = 10**6  # points past the catalog; checksums updated to match
    np.save(copy / NEIGHBOURS, table, allow_pickle=False)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["files"][NEIGHBOURS] = {
        "sha256": sha256_file(copy / NEIGHBOURS), "bytes": (copy / NEIGHBOURS).stat().st_size
    }
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="neighbour table"):
        load_model(copy)
