"""Clusters of songs and genres, their round trip in the model, --same-cluster, figures."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from musicrec import InvalidArgumentError, load_model
from musicrec.analysis.clusters import summarize
from musicrec.analysis.figures import (
    CORRELATION,
    GENRE_HTML,
    GENRE_MAP,
    SONG_HTML,
    SONG_MAP,
    TRENDS,
)
from musicrec.features.space import feature_matrix
from musicrec.model.clusters import Clustering, choose_k, fit_clusters, model_clusters
from musicrec.model.store import replace_clusters
from tests.test_cli import cli


def _blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], dtype=float)
    return np.vstack([c + rng.normal(size=(150, 3)) for c in centres])


def test_choose_k_finds_the_blobs_and_reports_every_score():
    best, scores = choose_k(_blobs(), ["a", "b", "c"], range(2, 8), seed=0)
    assert best.k == 4 and set(scores) == set(range(2, 8))
    assert max(scores, key=scores.get) == 4 and best.silhouette == scores[4]
    assert len(set(best.labels[:150])) == 1  # one blob, one cluster
    with pytest.raises(InvalidArgumentError):
        fit_clusters(_blobs(), ["a", "b", "c"], 1)


def test_clusters_are_deterministic_with_a_seed(model):
    raw = feature_matrix(model.catalog.tracks, model.clusters.songs.features)
    first = fit_clusters(raw, model.clusters.songs.features, 8, seed=5)
    again = fit_clusters(raw, model.clusters.songs.features, 8, seed=5)
    assert np.array_equal(first.labels, again.labels)
    assert np.allclose(first.centers, again.centers) and first.silhouette == again.silhouette
    # the built model's clusters are the seeded default fit
    rebuilt = model_clusters(model.catalog, model.clusters.songs.features)
    assert np.array_equal(rebuilt.songs.labels, model.clusters.songs.labels)


def test_model_holds_song_and_genre_clusters(model):
    clusters = model.clusters
    assert clusters.songs.k == 20 and len(clusters.songs.labels) == len(model.catalog)
    assert len(np.unique(clusters.songs.labels)) == 20
    assert clusters.genres.k == 10 and len(clusters.genre_names) == 30
    assert -1 <= clusters.songs.silhouette <= 1
    # the saved labels are each song's nearest centroid
    raw = feature_matrix(model.catalog.tracks.iloc[:2000], clusters.songs.features)
    assert (clusters.songs.predict(raw) == clusters.songs.labels[:2000]).mean() > 0.99
    summaries = summarize(clusters.songs, feature_matrix(model.catalog.tracks,
                          clusters.songs.features), model.catalog.column("genres"),
                          model.catalog.label)
    assert sum(s.size for s in summaries) == len(model.catalog)
    assert all(len(s.examples) == 3 and len(s.distinctive) == 3 for s in summaries)


def test_saved_clusters_round_trip_and_replace(model, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(model.path, copy)
    loaded = load_model(copy).clusters
    assert np.array_equal(loaded.songs.labels, model.clusters.songs.labels)
    assert np.allclose(loaded.songs.centers, model.clusters.songs.centers)
    raw = feature_matrix(model.catalog.tracks, loaded.songs.features)
    loaded.songs = fit_clusters(raw, loaded.songs.features, 6, seed=1)
    replaced = replace_clusters(copy, loaded)  # checksums are verified on load
    assert replaced.clusters.songs.k == 6
    assert load_model(copy).clusters.songs.k == 6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    with pytest.raises(Exception, match="not valid"):
        Clustering.from_dict(loaded.songs.to_dict(), np.array([0, 99]))


def test_same_cluster_keeps_results_in_the_seeds_clusters(rec, model):
    labels = model.clusters.songs.labels
    one = rec.recommend("bad guy", k=15, same_cluster=True)
    seed_cluster = labels[one.seeds[0].row]
    assert len(one) == 15
    assert all(r.cluster == seed_cluster for r in one.results)
    many = rec.recommend(["bad guy", "Wonderwall", "Hello - Adele"], k=20, same_cluster=True)
    allowed = {labels[s.row] for s in many.seeds}
    assert {r.cluster for r in many.results} <= allowed
    plain = rec.recommend("bad guy", k=15)
    assert all(r.cluster == labels[rec.catalog.index_of(r.track_id)] for r in plain.results)


def test_clusters_command(capsys):
    code, out, _ = cli(capsys, "clusters")
    assert code == 0 and "20 song clusters" in out and "silhouette" in out
    code, _, err = cli(capsys, "clusters", "--k", "1")
    assert code == 1 and "at least 2" in err
    code, _, err = cli(capsys, "clusters", "--k", "many")
    assert code == 1 and "'auto'" in err


def test_figures_command_writes_the_files(capsys, tmp_path):
    out = tmp_path / "figs"
    code, _, err = cli(capsys, "figures", "--out", str(out))
    assert code == 0, err
    for name in (TRENDS, CORRELATION, GENRE_MAP, SONG_MAP):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, name
    for name in (GENRE_HTML, SONG_HTML):
        html = (out / name).read_text()
        assert "plotly" in html and "<script src=" not in html  # self-contained
    assert "Bad Guy" in (out / SONG_HTML).read_text() or "bad guy" in (
        out / SONG_HTML).read_text()
    assert "2,973 genres" in err  # data_by_genres.csv from the data folder was used
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_summaries_name_the_commonest_key_never_a_mean_key(model):
    from musicrec.data.schema import feature_matrix

    songs, catalog = model.clusters.songs, model.catalog
    raw = feature_matrix(catalog.tracks, songs.features)
    summaries = summarize(songs, raw, catalog.column("genres"), catalog.label)
    for c in summaries:
        assert all(feature != "key" for feature, _, _ in c.distinctive)
        assert re.fullmatch(r"[A-G]#? (major|minor) \(\d+%\)", c.key), c.key


def test_cluster_colours_do_not_repeat_and_genre_maps_are_named(tmp_path):
    from musicrec.analysis.figures import ClusterMap, _style, _typical_names

    styles = [_style(c) for c in range(20)]
    assert len({colour for colour, _, _ in styles}) == 20  # 0 and 9 no longer alike
    assert len({(colour, marker) for colour, marker, _ in (_style(c) for c in range(60))}) == 60
    cmap = ClusterMap(np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 9.0], [0.5, 0.1]]),
                      np.array([0, 0, 1, 0]), ["pop", "[]", "jazz", "dance pop"], "t", ("x", "y"))
    assert sorted(_typical_names(cmap, cmap.clusters == 0, 3)) == ["dance pop", "pop"]  # no "[]"


def test_clustering_shows_each_kmeans_run_and_equals_sklearns_own_restarts():
    """The runs are made one at a time (a bar for a million tracks) from the same random
    stream as KMeans(n_init=4), so the clusters are scikit-learn's own."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    from musicrec.progress import Progress

    rng = np.random.default_rng(3)
    raw = np.vstack([_blobs(1), rng.normal(scale=4.0, size=(400, 3))])
    counted = []
    clustering = fit_clusters(raw, ["a", "b", "c"], 7, seed=5,
                              progress=Progress(count=lambda *c: counted.append(c)))
    assert counted == [("k-means runs", i, 4) for i in range(1, 5)]
    z = StandardScaler().fit_transform(raw)
    theirs = KMeans(n_clusters=7, n_init=4, random_state=5).fit(z)
    assert np.array_equal(clustering.labels, theirs.labels_)
    assert np.allclose(clustering.centers, theirs.cluster_centers_)
