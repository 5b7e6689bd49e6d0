"""The built model directory: round trip, checksums, atomic replacement, no pickle."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from musicrec import Catalog, FeatureSpace, ModelIntegrityError, build_model, load_model
from musicrec.data.importers.kaggle import read_kaggle_tracks
from musicrec.errors import InvalidArgumentError, ModelNotFoundError
from musicrec.model.store import MANIFEST, VECTORS
from tests.conftest import FIXTURES


@pytest.fixture
def small_model(tmp_path):
    catalog = Catalog.from_import(read_kaggle_tracks(FIXTURES / "kaggle_data.csv"))
    return build_model(catalog, tmp_path / "model", dataset="fixture")


def test_round_trip_on_real_model(model, songs_import):
    again = load_model(model.path)
    assert isinstance(again.vectors, np.memmap)  # memory-mapped, not read into memory
    assert again.vectors.dtype == np.float32
    norms = np.linalg.norm(again.vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)
    assert len(again.catalog) == 28_356
    pd.testing.assert_series_equal(again.catalog.tracks["energy"], songs_import.tracks["energy"])
    assert again.catalog.tracks["artists"].iloc[0] == songs_import.tracks["artists"].iloc[0]
    # the restored feature space embeds tracks exactly as the vectors were made
    # (the first 500 rows, with the rest as the artists' context)
    tracks = again.catalog.tracks
    embedded = again.space.transform(tracks.iloc[:500], context=tracks.iloc[500:])
    assert np.allclose(embedded, again.vectors[:500], atol=1e-6)
    manifest = again.manifest
    assert manifest["counts"]["tracks"] == 28_356 and manifest["counts"]["playlists"] == 471
    assert manifest["features"] == again.space.features_
    assert "explicit" not in manifest["features"]  # absent in this dataset
    assert {"numpy", "pandas", "scikit-learn", "pyarrow"} <= set(manifest["libraries"])
    assert len(manifest["sources"][0]["sha256"]) == 64


def test_files_hold_no_pickle(small_model):
    for path in small_model.path.rglob("*.*"):
        head = path.read_bytes()[:2]
        assert head != b"\x80\x04" and head != b"\x80\x05", path.name
    np.load(small_model.path / VECTORS, allow_pickle=False)


def test_tampered_vectors_are_refused(small_model):
    path = small_model.path / VECTORS
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="does not match its checksum"):
        load_model(small_model.path)


def test_mismatched_or_broken_models_are_refused(small_model, tmp_path):
    manifest_path = small_model.path / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="format version 99"):
        load_model(small_model.path)
    manifest_path.write_text("{not json")
    with pytest.raises(ModelIntegrityError, match="not valid JSON"):
        load_model(small_model.path)
    manifest_path.unlink()
    with pytest.raises(ModelIntegrityError, match="manifest.json is missing"):
        load_model(small_model.path)
    with pytest.raises(ModelNotFoundError, match="musicrec build"):
        load_model(tmp_path / "nowhere")


def test_missing_file_is_refused(small_model):
    (small_model.path / "tracks.arrow").unlink()
    with pytest.raises(ModelIntegrityError, match="missing tracks.arrow"):
        load_model(small_model.path)


def test_failed_rebuild_keeps_the_old_model(small_model, monkeypatch):
    before = (small_model.path / MANIFEST).read_text()
    catalog = small_model.catalog

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        build_model(catalog, small_model.path, dataset="fixture")
    monkeypatch.undo()
    assert (small_model.path / MANIFEST).read_text() == before
    load_model(small_model.path)  # still whole
    leftovers = [p.name for p in small_model.path.parent.iterdir() if p.name != "model"]
    assert leftovers == []


def test_rebuild_replaces_model(small_model):
    rebuilt = build_model(small_model.catalog, small_model.path, "original",
                          features=["energy", "danceability", "valence"],
                          weights={"energy": 2.0}, dataset="fixture")
    assert rebuilt.space.features_ == ["energy", "danceability", "valence"]
    assert load_model(small_model.path).vectors.shape == (8, 3)
    assert [p.name for p in small_model.path.parent.iterdir()] == ["model"]


def test_feature_space_errors(small_model):
    tracks = small_model.catalog.tracks
    with pytest.raises(InvalidArgumentError, match="unknown feature"):
        FeatureSpace(["energy", "groove"]).fit(tracks)
    with pytest.raises(InvalidArgumentError, match="weight"):
        FeatureSpace(["energy"], weights={"tempo": 2}).fit(tracks)
    with pytest.raises(InvalidArgumentError, match=">= 0"):
        FeatureSpace(["energy"], weights={"energy": -1}).fit(tracks)


def test_explicit_is_used_where_present(small_model):
    assert "explicit" in small_model.space.features_


def test_copied_model_loads_elsewhere(small_model, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(small_model.path, copy)
    assert len(load_model(copy).catalog) == 8


def test_stale_model_is_rebuilt_with_its_feature_config(songs_csv, tmp_path):
    import os

    from musicrec.workspace import build_dataset_model, ensure_model

    data = tmp_path / "data" / "spotify_songs"
    data.mkdir(parents=True)
    csv_path = data / "spotify_songs.csv"
    shutil.copy(songs_csv, csv_path)
    cache = tmp_path / "cache"
    first = build_dataset_model("spotify_songs", data_dir=tmp_path / "data", cache_dir=cache,
                                features=["energy", "valence"], weights={"energy": 2.0},
                                kind="original")
    os.utime(csv_path, ns=(1, 1))  # touched, same content: kept
    kept = ensure_model("spotify_songs", data_dir=tmp_path / "data", cache_dir=cache,
                        kind="original")
    assert kept.manifest["created"] == first.manifest["created"]
    assert kept.manifest["sources"] == first.manifest["sources"]
    frame = pd.read_csv(csv_path)
    frame.loc[0, "energy"] = 0.123
    frame.to_csv(csv_path, index=False)
    rebuilt = ensure_model("spotify_songs", data_dir=tmp_path / "data", cache_dir=cache,
                           kind="original")
    assert rebuilt.manifest["sources"][0]["sha256"] != first.manifest["sources"][0]["sha256"]
    assert rebuilt.space.features_ == ["energy", "valence"]
    assert rebuilt.space.weights == {"energy": 2.0}
    row = rebuilt.catalog.index_of(str(frame.loc[0, "track_id"]))
    assert rebuilt.catalog.tracks.loc[row, "energy"] == pytest.approx(0.123)
