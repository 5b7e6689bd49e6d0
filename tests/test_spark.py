"""The batch steps on Spark in local mode (local[2], no UI, loopback): the same import
counts, the same canonical table and the same vectors as the single-machine path.

One Spark session for the module (starting the JVM takes a few seconds)."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from musicrec.cli import run
from musicrec.data.importers.mapped import read_mapped
from musicrec.errors import DataFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MESSY = FIXTURES / "messy_tracks.csv"
MESSY_MAP = {"id": "track_uri", "title": "track_name", "artist": "artist_name",
             "album": "album_name"}


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="the test extra installs pyspark")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 (Debian's openjdk-17-jre-headless; .ci/run "
                    "installs it)")
    from musicrec.spark.session import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture
def cache(tmp_path, model):
    """A cache with the session's default model in it (imports borrow its style)."""
    shutil.copytree(model.path, tmp_path / "models" / model.path.name)
    return tmp_path


def _same_tables(spark_tracks: pd.DataFrame, single: pd.DataFrame) -> None:
    from musicrec.data.schema import conform

    spark_tracks = conform(spark_tracks, "x")
    single = conform(single, "x")
    assert list(spark_tracks["track_id"]) == list(single["track_id"])
    for column in single.columns:
        if column == "source":
            continue
        a, b = spark_tracks[column], single[column]
        if column in ("artists", "genres"):
            assert [None if v is None else list(v) for v in a] == [
                None if v is None else list(v) for v in b], column
        else:
            pd.testing.assert_series_equal(a, b, check_names=False, obj=column)


def test_import_of_the_default_catalog_counts_and_keeps_what_import_does(spark, cache,
                                                                          songs_csv):
    from musicrec.data.imported import read_imported
    from musicrec.spark.importer import spark_import

    dataset, report = spark_import(str(songs_csv), "songs", cache_dir=cache)
    single = read_mapped(songs_csv, {}, source="songs")
    assert report.summary() == single.report.summary()
    assert (report.rows_read, report.rows_kept) == (32_833, 28_356)
    _same_tables(read_imported(dataset).tracks, single.tracks)


def test_import_of_a_messy_table_reports_every_bad_cell_as_import_does(spark, cache):
    from musicrec.spark.importer import spark_import

    _, report = spark_import(str(MESSY), "messy", MESSY_MAP, units={"duration": "s"},
                             cache_dir=cache)
    single = read_mapped(MESSY, MESSY_MAP, source="messy", units={"duration": "s"})
    assert report.summary() == single.report.summary()
    assert report.problems == single.report.problems > 0


def test_repeated_ids_keep_the_first_row_with_all_genres(spark, cache):
    from musicrec.data.imported import read_imported
    from musicrec.spark.importer import spark_import

    table = FIXTURES / "large_tables" / "dataset.csv"
    dataset, report = spark_import(str(table), "genres", cache_dir=cache)
    single = read_mapped(table, {}, source="genres")
    assert report.summary() == single.report.summary()
    assert any("genres of all" in n for n in report.notes)
    _same_tables(read_imported(dataset).tracks, single.tracks)


def test_strict_and_duplicate_errors_name_the_row_and_keep_the_previous_dataset(spark,
                                                                               cache):
    from musicrec.data.imported import find_imported
    from musicrec.spark.importer import spark_import

    spark_import(str(MESSY), "kept", MESSY_MAP, cache_dir=cache)
    before = (cache / "datasets" / "kept" / "dataset.json").read_text()
    with pytest.raises(DataFileError) as spark_error:
        spark_import(str(MESSY), "kept", MESSY_MAP, strict=True, cache_dir=cache)
    with pytest.raises(DataFileError) as single_error:
        read_mapped(MESSY, MESSY_MAP, strict=True)
    assert str(spark_error.value) == str(single_error.value)
    with pytest.raises(DataFileError) as spark_error:
        spark_import(str(MESSY), "kept", MESSY_MAP, on_duplicate="error", cache_dir=cache)
    with pytest.raises(DataFileError) as single_error:
        read_mapped(MESSY, MESSY_MAP, on_duplicate="error")
    assert str(spark_error.value) == str(single_error.value)
    assert (cache / "datasets" / "kept" / "dataset.json").read_text() == before
    assert find_imported(cache, "kept") is not None
    leftovers = [p.name for p in (cache / "datasets").iterdir() if p.name.startswith(".")]
    leftovers += [p.name for p in (cache / "spark").iterdir()]
    assert leftovers == []
    with pytest.raises(DataFileError, match="file not found"):
        spark_import(str(cache / "nowhere.csv"), "nowhere", cache_dir=cache)


def test_spark_build_makes_the_vectors_the_single_machine_build_makes(spark, cache,
                                                                      data_dir):
    """'original' on the default catalog, and 'style' (its style borrowed from the
    default model) on a table imported with Spark: the same vectors as musicrec build
    makes of the same dataset, and a model recommend loads as it is."""
    from musicrec.spark.build import spark_build, vectors_dir
    from musicrec.spark.importer import spark_import
    from musicrec.workspace.models import build_dataset_model, open_recommender

    other = cache / "single"
    shutil.copytree(cache / "models", other / "models")
    for dataset, kind in (("spotify_songs", "original"), ("songs", "style")):
        if dataset == "songs":
            spark_import(str(data_dir / "spotify_songs" / "spotify_songs.csv"), "songs",
                         cache_dir=cache)
            shutil.copytree(cache / "datasets", other / "datasets", dirs_exist_ok=True)
        built = spark_build(dataset, kind=kind, data_dir=data_dir, cache_dir=cache)
        single = build_dataset_model(dataset, kind=kind, data_dir=data_dir, cache_dir=other)
        assert list(built.catalog.tracks["track_id"]) == list(single.catalog.tracks["track_id"])
        difference = np.abs(np.asarray(built.vectors) - np.asarray(single.vectors)).max()
        print(f"{dataset} ({kind}): max abs difference {difference:.2e}")
        assert difference < 1e-5
        parquet = pd.read_parquet(vectors_dir(cache, built.path.name))
        assert len(parquet) == len(built.catalog)
        rec = open_recommender(dataset, kind=kind, data_dir=data_dir, cache_dir=cache)
        assert len(rec.recommend(["Shape of You"], k=5).results) == 5


def test_the_cli_imports_and_builds_on_spark(spark, cache, capsys, data_dir):
    code = run(["spark", "import", str(MESSY), "--name", "cli-messy", "--map",
                "id=track_uri", "--map", "title=track_name", "--map", "artist=artist_name",
                "--unit", "duration=s", "--master", "local[2]", "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "rows read" in err and "Next: musicrec spark build --dataset cli-messy" in err
    code = run(["spark", "build", "--dataset", "cli-messy", "--model", "original",
                "--master", "local[2]", "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "on Spark" in err
    code = run(["recommend", "--dataset", "cli-messy", "--model", "original",
                "Despacito", "--k", "2", "--cache-dir", str(cache)])
    assert code == 0, capsys.readouterr().err


def _kth_scores(model, k: int) -> dict[str, float]:
    """Each track's k-th best cosine to another track (exact, faiss)."""
    import faiss

    vectors = np.ascontiguousarray(model.vectors, dtype=np.float32)
    ids = model.catalog.column("track_id")
    scores, found = faiss.knn(vectors, vectors, k + 1, metric=faiss.METRIC_INNER_PRODUCT)
    kth = {}
    for i in range(len(ids)):
        others = scores[i][found[i] != i][:k]
        kth[str(ids[i])] = float(others[-1])
    return kth


def _recall(table: pd.DataFrame, kth: dict[str, float], k: int) -> float:
    """recall@k counting ties: a listed neighbour is right when its score reaches the
    track's true k-th score (tracks with identical vectors tie)."""
    threshold = table["track_id"].map(kth)
    right = (table["score"] >= threshold - 1e-5).groupby(table["track_id"]).sum()
    return float(right.reindex(list(kth), fill_value=0).mean() / k)


def test_neighbour_table_exact_and_ivf_recall(spark, cache, model):
    """Every track's 10 nearest of the default model: exact recall@10 1.0 (ties
    counted), IVF (16 of ~670 cells per query) at least 0.95, ranks 1-10, the track
    itself never listed."""
    from musicrec.spark.neighbours import spark_neighbours

    kth = _kth_scores(model, 10)
    for mode, floor in (("exact", 1.0), ("ivf", 0.95)):
        written = spark_neighbours(model, k=10, mode=mode, cache_dir=cache)
        table = pd.read_parquet(written)
        recall = _recall(table, kth, 10)
        print(f"{mode}: recall@10 {recall:.4f}")
        assert recall >= floor
        assert (table["track_id"] != table["neighbour_id"]).all()
        assert table.groupby("track_id")["rank"].apply(list).map(
            lambda r: r == list(range(1, 11))).all()
        assert table["track_id"].nunique() == len(model.catalog)


def test_continuations_leave_out_what_each_playlist_holds(spark, cache, model):
    from musicrec.spark.neighbours import spark_continuations

    held = model.catalog.interactions.rename(columns={"playlist_id": "user"})
    some = held[held["user"].isin(held["user"].drop_duplicates().iloc[:20])]
    written = spark_continuations(model, some, k=5, mode="exact", cache_dir=cache)
    table = pd.read_parquet(written)
    assert table.groupby("user").size().eq(5).all() and table["user"].nunique() == 20
    owned = set(zip(some["user"].astype(str), some["track_id"].astype(str), strict=True))
    assert not any(pair in owned for pair in zip(table["user"], table["track_id"], strict=True))
    # the first continuation of a playlist is the nearest track to its mean it lacks
    user = table["user"].iloc[0]
    rows = model.catalog.rows_of(some.loc[some["user"] == user, "track_id"])
    mean = np.asarray(model.vectors)[rows].mean(axis=0)
    scores = np.asarray(model.vectors) @ (mean / np.linalg.norm(mean))
    scores[rows] = -np.inf
    best = model.catalog.column("track_id")[int(np.argmax(scores))]
    assert table.loc[(table["user"] == user) & (table["rank"] == 1), "track_id"].item() == best


def test_style_vectorizer_in_a_pipeline_gives_the_models_vectors(spark, model, tmp_path):
    from pyspark.ml import Pipeline, PipelineModel

    from musicrec.data.schema import TRACK_COLUMNS
    from musicrec.spark import StyleVectorizer

    tracks = model.catalog.tracks[list(TRACK_COLUMNS)].head(3000)
    tracks.to_parquet(tmp_path / "tracks.parquet", index=False)
    frame = spark.read.parquet(str(tmp_path / "tracks.parquet"))
    fitted = Pipeline(stages=[StyleVectorizer(modelPath=str(model.path),
                                              outputCol="style")]).fit(frame)
    fitted.write().overwrite().save(str(tmp_path / "pipeline"))
    again = PipelineModel.load(str(tmp_path / "pipeline"))
    out = again.transform(frame).select("track_id", "name", "style").toPandas()
    assert len(out) == 3000 and set(out["name"]) == set(tracks["name"])
    expected = model.space.transform(model.catalog.tracks.head(3000).reset_index(drop=True))
    rows = {t: i for i, t in enumerate(tracks["track_id"])}
    got = np.vstack(out["style"].to_numpy())[np.argsort([rows[t] for t in out["track_id"]])]
    assert np.abs(got - expected).max() < 1e-5


@pytest.mark.slow  # (31 s; benchmarks/spark_als.py prints the same for als and hybrid)
def test_mllib_als_continues_playlists_as_well_as_implicit(spark, data_dir):
    """The 'als' kind's factors from Spark MLlib against implicit's, on the same held-out
    playlists of the default catalog: R-precision within 10%."""
    from functools import partial

    from musicrec.evaluation.harness import EvaluationSettings, evaluate_continuation
    from musicrec.evaluation.methods import ModelMethod
    from musicrec.model.kinds.als import als_solver
    from musicrec.spark.als import mllib_als
    from musicrec.workspace import dataset_catalog

    catalog = dataset_catalog("spotify_songs", data_dir=data_dir)
    scores = {}
    for solver in ("implicit", "mllib"):
        method = ModelMethod("als", name=solver)
        if solver == "mllib":
            with als_solver(partial(mllib_als, spark=spark)):
                result, _, _ = evaluate_continuation(catalog, [method], EvaluationSettings())
        else:
            result, _, _ = evaluate_continuation(catalog, [method], EvaluationSettings())
        method.close()
        scores[solver] = result[solver]["r_precision"]
    print(scores)
    assert scores["implicit"] > 0.02
    assert abs(scores["mllib"] / scores["implicit"] - 1) <= 0.10


@pytest.fixture(scope="module")
def listens_table(tmp_path_factory, model):
    """The default catalog's playlists as a listening table (user, track_id, weight as
    text), with the rows a real table has: a Spotify URI for an id, a pair given twice,
    a row without a user, a track the catalog lacks, a weight that is not a number."""
    from musicrec.data.labels import playlist_members

    catalog = model.catalog
    ids = catalog.column("track_id").astype(str)
    members = playlist_members(catalog)
    rows = [(user, ids[r], "1") for user, found in members.items() for r in found]
    first_user, first_id = rows[0][0], rows[0][1]
    rows += [(first_user, f"spotify:track:{rows[1][1]}", "2"),  # adds up with row 1
             (None, first_id, "1"), ("someone", "0000000000000000000000", "1"),
             (first_user, rows[2][1], "many")]
    path = tmp_path_factory.mktemp("listens") / "listens.parquet"
    pd.DataFrame(rows, columns=["user_id", "track_uri", "plays"]).to_parquet(path)
    return path, members, catalog


def test_a_listening_table_stays_on_spark_counted_and_weighted_as_implicit(
        spark, listens_table):
    """Rows counted as import-listens counts them; (user, track) pairs summed; BM25 on
    Spark gives implicit's weights; the validation split holds out whole users."""
    from musicrec.data.interactions import UserItems
    from musicrec.model.kinds.als import bm25
    from musicrec.spark.listens import bm25_pairs, read_listens_table

    path, members, catalog = listens_table
    ids = catalog.column("track_id").astype(str).tolist()
    listens = read_listens_table(spark, str(path), ids)
    assert (listens.counts["missing"], listens.counts["unknown"],
            listens.counts["bad_weight"]) == (1, 1, 1)
    single = UserItems.from_groups(members, len(catalog))
    assert (listens.n_users, listens.n_pairs) == (single.n_users, single.n_pairs)
    weighted = bm25_pairs(listens.pairs).toPandas()
    ours = np.bincount(weighted["item"], weights=weighted["weight"], minlength=len(ids))
    # the same pairs on the driver: row 1's pair weighs 1 + 2, the "many" pair 1 + 1
    matrix = single.matrix.tolil()
    first = list(members)[0]
    matrix[0, members[first][1]] = 3.0
    matrix[0, members[first][2]] = 2.0
    theirs = np.asarray(bm25(UserItems(matrix.tocsr(), single.users)).sum(axis=0)).ravel()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    train, seeds, hidden = listens.validation_split(0.2, 10)
    assert seeds and len(seeds) == len(hidden)
    assert all(not set(s) & set(h) and len(s) + len(h) >= 10
               for s, h in zip(seeds, hidden, strict=True))
    assert train.n_users == listens.n_users - len(seeds)


def test_spark_build_learns_als_from_a_listening_table(spark, cache, listens_table,
                                                       capsys):
    """``spark build --model als --listens-table``: factors for the table's tracks, the
    counts said, and a model recommend loads; a table without a track id column is
    refused with its name."""
    path, members, catalog = listens_table
    code = run(["spark", "build", "--dataset", "spotify_songs", "--model", "als",
                "--listens-table", str(path), "--master", "local[2]",
                "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "1 of tracks the catalog does not hold" in err, err
    assert "Learning ALS factors on Spark MLlib" in err
    from musicrec import Recommender, load_model

    built = load_model(cache / "models" / "spotify_songs-als")
    block = built.space.collab_
    assert block.details["on_spark"] and block.details["unknown"] == 1
    seed = str(catalog.column("track_id")[next(iter(members.values()))[0]])
    result = Recommender(built).recommend([seed], k=5)
    assert len(result.results) == 5
    bad = path.parent / "no-ids.parquet"
    pd.DataFrame({"user": ["a"], "title": ["x"]}).to_parquet(bad)
    code = run(["spark", "build", "--dataset", "spotify_songs", "--model", "als",
                "--listens-table", str(bad), "--master", "local[2]",
                "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert code != 0 and "no-ids.parquet" in err and "track id" in err
    assert "--listens-map track_id=COLUMN" in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def spark_built(spark, tmp_path_factory, model, data_dir):
    """A cache holding the default model and a Spark-built 'original' model of the
    default catalog (``musicrec spark build`` in this process), and its environment."""
    import os

    cache = tmp_path_factory.mktemp("spark-built") / "cache"
    shutil.copytree(model.path, cache / "models" / "spotify_songs")
    assert run([*_SPARK_BUILD, "--cache-dir", str(cache)]) == 0
    return cache, {**os.environ, "MUSICREC_DATA_DIR": str(data_dir), "COLUMNS": "200"}


_SPARK_BUILD = ["spark", "build", "--dataset", "spotify_songs", "--model", "original",
                "--master", "local[2]"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_spark_build_stopped_while_spark_embeds_changes_nothing(spark_built, tmp_path, sig):
    """Ctrl-C at a terminal (to the whole process group, the JVM included) or SIGTERM
    while executors embed: exit 130 / 143, one line, the previous model as it was and no
    staging folder or partial vectors left. Sent when the process says it embeds."""
    import json

    from tests.test_interrupts import _interrupt, _stopped_cleanly

    cache = tmp_path / "cache"
    shutil.copytree(spark_built[0], cache)
    env = {**spark_built[1], "MUSICREC_CACHE_DIR": str(cache)}
    target = cache / "models" / "spotify_songs-original"
    before = json.loads((target / "manifest.json").read_text())
    vectors = sorted(p.name for p in (cache / "vectors" / target.name).iterdir())
    code, err = _interrupt(_SPARK_BUILD, "Embedding on Spark", env, sig=sig,
                           group=sig == signal.SIGINT)
    _stopped_cleanly(code, err, sig)
    assert json.loads((target / "manifest.json").read_text()) == before
    assert sorted(p.name for p in (cache / "vectors" / target.name).iterdir()) == vectors
    # no staging folder; Hadoop's checksum files beside the kept vectors are not one
    assert not [p for p in cache.rglob(".*") if not p.name.endswith(".crc")]
