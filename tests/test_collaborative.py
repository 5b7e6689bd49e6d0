"""The collaborative kinds (als, hybrid, lightfm) built through the shipped build code
on the default catalog's playlists, and the evaluation's warm and cold slices."""

from __future__ import annotations

import numpy as np
import pytest

from musicrec import Recommender
from musicrec.data.catalog import Catalog
from musicrec.data.interactions import UserItems
from musicrec.data.labels import playlist_members
from musicrec.evaluation.harness import Slice
from musicrec.model.build import build_model
from musicrec.model.kinds.hybrid import SHARES
from musicrec.model.store import load_model


@pytest.fixture(scope="module")
def catalog(songs_import) -> Catalog:
    return Catalog.from_import(songs_import)


@pytest.fixture(scope="module")
def held_out(catalog):
    """The playlists minus one: the tracks only in that one are cold."""
    members = playlist_members(catalog)
    left = sorted(members)[0]
    others = {p: r for p, r in members.items() if p != left}
    cold = np.setdiff1d(members[left], np.concatenate(list(others.values())))
    assert len(cold) > 5
    return UserItems.from_groups(others, len(catalog)), cold


def test_als_recommends_warm_tracks_only(tmp_path, catalog, held_out):
    interactions, cold = held_out
    model = build_model(catalog, tmp_path / "als", "als", interactions=interactions)
    again = load_model(tmp_path / "als")
    assert np.array_equal(np.asarray(again.vectors), np.asarray(model.vectors))
    assert again.space.collab_.warm_only and again.space.collab_.share == 1.0
    rec = Recommender(again)
    ids = catalog.column("track_id")
    answer = rec.recommend(["Shape of You - Ed Sheeran"], k=20)
    assert len(answer.results) == 20
    cold_ids = set(ids[cold])
    assert not cold_ids & {r.track_id for r in answer.results}
    # the reason is what listening data says, not a sound it cannot measure
    assert all(r.reasons[0].kind == "listening" and r.why.startswith("often with your songs")
               for r in answer.results)
    nothing = rec.recommend([str(ids[cold[0]])], k=5)
    assert nothing.results == [] and "learned from" in nothing.notices[-1]


def test_hybrid_falls_back_to_content_for_new_tracks(tmp_path, catalog, held_out, model):
    interactions, cold = held_out
    hybrid = build_model(catalog, tmp_path / "hybrid", "hybrid", interactions=interactions)
    block = hybrid.space.collab_
    assert block.share in SHARES and not block.warm_only
    table = block.details["validation"]
    assert set(table) == {f"{s:.1f}" for s in SHARES}
    assert all({"warm", "cold", "score"} <= set(v) for v in table.values())
    content_dims = hybrid.space.dims_ - block.dims
    vectors = np.asarray(hybrid.vectors)
    # a cold track: its content vector alone, no factor part
    assert np.allclose(vectors[cold, content_dims:], 0.0)
    style = np.asarray(model.vectors)  # the default style model, fitted on all playlists
    warm = np.setdiff1d(np.arange(len(catalog)), cold)[:50]
    assert np.linalg.norm(vectors[warm, content_dims:], axis=1).min() > 0
    assert style.shape[1] == content_dims
    # the loaded feature space embeds the tracks as the build did (factors read back)
    again = load_model(tmp_path / "hybrid")
    rows = np.concatenate([cold[:3], warm[:3]])
    assert np.allclose(again.space.transform(catalog.tracks)[rows], vectors[rows], atol=1e-5)
    answer = Recommender(again).recommend([str(catalog.column("track_id")[cold[0]])], k=10)
    assert len(answer.results) == 10
    from musicrec.workspace import describe_model

    info = dict(describe_model(Recommender(again)))
    assert f"share of the similarity {block.share:.1f}" in info["listening data"]
    assert "placed by content alone" in info["listening data"]


@pytest.mark.slow
def test_lightfm_places_new_tracks_through_content(tmp_path, catalog, held_out):
    pytest.importorskip("lightfm")
    interactions, cold = held_out
    built = build_model(catalog, tmp_path / "lightfm", "lightfm", interactions=interactions)
    block = built.space.collab_
    assert block.projection is not None and len(block.track_ids) == len(catalog) - len(cold)
    vectors = np.asarray(built.vectors)
    content_dims = built.space.dims_ - block.dims
    assert np.linalg.norm(vectors[cold, content_dims:], axis=1).min() > 0
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_lightfm_missing_says_how_to_install(monkeypatch):
    import builtins

    from musicrec.errors import MissingDependencyError
    from musicrec.model.kinds.lightfm_kind import load_lightfm

    real = builtins.__import__

    def no_lightfm(name, *args, **kwargs):
        if name == "lightfm":
            raise ImportError("No module named 'lightfm'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_lightfm)
    with pytest.raises(MissingDependencyError, match=r"musicrec\[hybrid\]"):
        load_lightfm()


def test_collaborative_kind_without_listening_data_says_so(tmp_path, catalog):
    from musicrec.errors import InvalidArgumentError

    bare = Catalog(catalog.tracks.head(200).copy())
    with pytest.raises(InvalidArgumentError, match="import-listens"):
        build_model(bare, tmp_path / "m", "hybrid")


def test_slices_split_hidden_tracks_by_kind():
    warm = np.array([True, True, False, False, True])
    hidden = [np.array([0, 2]), np.array([3]), np.array([1, 4])]
    warm_slice, cold_slice = Slice.of(hidden, warm), Slice.of(hidden, ~warm)
    assert warm_slice.playlists == [0, 2] and [list(h) for h in warm_slice.hidden] == [[0], [1, 4]]
    assert cold_slice.playlists == [0, 1] and [list(h) for h in cold_slice.hidden] == [[2], [3]]
