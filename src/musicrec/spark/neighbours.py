"""Every track's top-k neighbours on Spark: the table a production system serves
"similar tracks" from (a key-value store keyed by track), as Parquet with ``track_id``,
``neighbour_id``, ``score`` (cosine) and ``rank`` (1 = nearest; the track itself left
out).

``exact``: every partition of queries is scored against all vectors (broadcast), for
catalogs whose vectors fit in an executor's memory. ``ivf``: k-means cells are trained
on a sample on the driver; every track is filed in its nearest cell, every query is
sent to its ``nprobe`` nearest cells, each cell scores its queries against its own
tracks (a cogroup of items and queries per cell), and the candidates are reduced to
each query's top k. Batch continuations (:func:`spark_continuations`) score the mean
vector of each playlist or user the same way.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.registry import default_cache_dir
from musicrec.errors import InvalidArgumentError
from musicrec.progress import SILENT, Progress

NEIGHBOURS = "neighbours"
SCHEMA = "track_id string, neighbour_id string, score float, rank int"
_CANDIDATES = "query string, neighbour_id string, score float"


def vectors_frame(spark, model, scratch: Path):
    """The model's vectors as a Spark DataFrame (``track_id``, ``vector``): the Parquet a
    Spark build wrote, else the model's vectors written to ``scratch`` in blocks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from musicrec.spark.build import vectors_dir

    cache = model.path.parent.parent if model.path is not None else None
    kept = vectors_dir(cache, model.path.name) if cache is not None else None
    if kept is not None and kept.is_dir():
        return spark.read.parquet(str(kept))
    target = scratch / "vectors.parquet"
    ids = model.catalog.column("track_id")
    vectors = model.vectors
    d = vectors.shape[1]
    with pq.ParquetWriter(target, pa.schema([("track_id", pa.string()),
                                             ("vector", pa.list_(pa.float32()))])) as out:
        for start in range(0, len(ids), 100_000):
            block = np.ascontiguousarray(vectors[start: start + 100_000], dtype=np.float32)
            values = pa.array(block.reshape(-1))
            offsets = pa.array(np.arange(0, len(block) * d + 1, d, dtype=np.int32))
            out.write_table(pa.table({
                "track_id": pa.array([str(t) for t in ids[start: start + 100_000]]),
                "vector": pa.ListArray.from_arrays(offsets, values)}))
    return spark.read.parquet(str(target))


def _arrow_matrix(column) -> np.ndarray:
    """A list<float> Arrow column as an (n, d) float32 matrix, without a Python loop."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not len(column):
        return np.zeros((0, 0), np.float32)
    values = pc.list_flatten(column).to_numpy(zero_copy_only=False)
    return values.astype(np.float32, copy=False).reshape(len(column), -1)


def _matrix(column: pd.Series) -> np.ndarray:
    return np.vstack(column.to_numpy()).astype(np.float32) if len(column) else np.zeros(
        (0, 0), np.float32)


def _top(queries: np.ndarray, query_ids, items: np.ndarray, item_ids, k: int
         ) -> pd.DataFrame:
    """Each query's k best items (itself left out), as candidate rows; faiss's exact
    inner-product search, one more than asked for in case the query is among them."""
    import faiss

    faiss.omp_set_num_threads(1)  # a Spark task has one core
    if not len(queries) or not len(items):
        return pd.DataFrame({"query": [], "neighbour_id": [], "score": []})
    take = min(k + 1, items.shape[0])
    scores, found = faiss.knn(np.ascontiguousarray(queries, dtype=np.float32),
                              np.ascontiguousarray(items, dtype=np.float32), take,
                              metric=faiss.METRIC_INNER_PRODUCT)
    item_ids = np.asarray(item_ids, dtype=object)
    neighbours = item_ids[np.maximum(found, 0)]
    query_ids = np.asarray(query_ids, dtype=object)
    keep = (found >= 0) & (neighbours != query_ids[:, None])
    keep &= np.cumsum(keep, axis=1) <= k  # at most k after leaving the query out
    return pd.DataFrame({
        "query": np.repeat(query_ids, take)[keep.reshape(-1)],
        "neighbour_id": neighbours.reshape(-1)[keep.reshape(-1)],
        "score": scores.reshape(-1)[keep.reshape(-1)].astype(np.float32)})


def _exact(batches, *, items, k: int):
    ids, matrix = items.value
    for batch in batches:
        yield _top(_matrix(batch["vector"]), batch["track_id"].tolist(), matrix, ids, k)


def _cells(batches, *, centroids, nprobe: int):
    """Each vector's nearest cell (``cell``) and its ``nprobe`` nearest (``probes``), on
    Arrow batches (no per-row Python)."""
    import pyarrow as pa

    c = centroids.value
    for batch in batches:
        v = _arrow_matrix(batch.column("vector"))
        order = (np.argsort(-(v @ c.T), axis=1)[:, :nprobe].astype(np.int32) if len(v)
                 else np.zeros((0, nprobe), np.int32))
        offsets = pa.array(np.arange(0, order.size + 1, order.shape[1] or 1,
                                     dtype=np.int32)[: len(order) + 1])
        probes = pa.ListArray.from_arrays(offsets, pa.array(order.reshape(-1)))
        yield pa.RecordBatch.from_arrays(
            [batch.column("track_id"), batch.column("vector"), pa.array(order[:, 0]
                                                                         if len(order) else
                                                                         np.zeros(0, np.int32)),
             probes], names=["track_id", "vector", "cell", "probes"])


def _per_cell(items, queries, *, k: int):
    """One cell's queries scored against the cell's tracks (Arrow tables in and out)."""
    import pyarrow as pa

    found = _top(_arrow_matrix(queries.column("vector")),
                 queries.column("track_id").to_pylist(),
                 _arrow_matrix(items.column("vector")), items.column("track_id").to_pylist(),
                 k)
    return pa.table({"query": pa.array(found["query"].tolist(), pa.string()),
                     "neighbour_id": pa.array(found["neighbour_id"].tolist(), pa.string()),
                     "score": pa.array(found["score"].to_numpy(), pa.float32())})


def _ranked(candidates, k: int):
    """Each query's best k candidates (a neighbour seen from several cells once)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    best = candidates.groupBy("query", "neighbour_id").agg(F.max("score").alias("score"))
    window = Window.partitionBy("query").orderBy(F.desc("score"), F.asc("neighbour_id"))
    return (best.withColumn("rank", F.row_number().over(window))
            .where(F.col("rank") <= k)
            .select(F.col("query").alias("track_id"), "neighbour_id",
                    F.col("score").cast("float"), F.col("rank").cast("int")))


def neighbour_candidates(spark, vectors, queries, *, k: int, mode: str, nlist: int | None,
                         nprobe: int, sample: int = 100_000, seed: int = 0):
    """Candidate rows (query, neighbour_id, score) of ``queries`` (``track_id``,
    ``vector``) among ``vectors``, by ``exact`` or ``ivf`` search."""
    from pyspark.sql import functions as F

    if mode == "exact":
        local = vectors.toPandas()
        items = spark.sparkContext.broadcast(
            (local["track_id"].tolist(), _matrix(local["vector"])))
        return queries.mapInPandas(partial(_exact, items=items, k=k), _CANDIDATES)
    if mode != "ivf":
        raise InvalidArgumentError(f"mode must be exact or ivf (got '{mode}')")
    total = vectors.count()
    nlist = nlist or max(1, int(round(4 * np.sqrt(total))))
    nprobe = min(nprobe, nlist)
    fraction = min(1.0, sample / max(1, total))
    trained = _matrix(vectors.sample(fraction=fraction, seed=seed).toPandas()["vector"])
    centroids = _train_cells(trained, min(nlist, len(trained)), seed)
    broadcast = spark.sparkContext.broadcast(centroids)
    cell_schema = "track_id string, vector array<float>, cell int, probes array<int>"
    filed = vectors.select("track_id", "vector").mapInArrow(
        partial(_cells, centroids=broadcast, nprobe=1), cell_schema)
    asked = queries.select("track_id", "vector").mapInArrow(
        partial(_cells, centroids=broadcast, nprobe=nprobe), cell_schema)
    sent = asked.select("track_id", "vector", F.explode("probes").alias("cell"))
    return (filed.select("track_id", "vector", "cell").groupBy("cell")
            .cogroup(sent.groupBy("cell"))
            .applyInArrow(partial(_per_cell, k=k), _CANDIDATES))


def _train_cells(sample: np.ndarray, nlist: int, seed: int) -> np.ndarray:
    """Unit-length k-means centroids of the sample (faiss, spherical)."""
    import faiss

    from musicrec.threads import usable_cores

    faiss.omp_set_num_threads(usable_cores())  # on the driver, the cores left free
    kmeans = faiss.Kmeans(sample.shape[1], nlist, niter=20, seed=seed, spherical=True,
                          verbose=False)
    kmeans.train(np.ascontiguousarray(sample, dtype=np.float32))
    return np.asarray(kmeans.centroids, dtype=np.float32)


def neighbours_dir(cache_dir: Path | None, model_name: str) -> Path:
    return (cache_dir or default_cache_dir()) / NEIGHBOURS / model_name


def continuations_dir(cache_dir: Path | None, model_name: str, source: str) -> Path:
    return (cache_dir or default_cache_dir()) / "continuations" / f"{model_name}-{source}"


def _write(table, out: str | None, default: Path, scratch: Path) -> str:
    """``table`` as Parquet at ``out`` (Spark's own job commit: a failed job leaves no
    ``_SUCCESS``), or staged in ``scratch`` and renamed over ``default``, so a failure
    or Ctrl-C leaves the previous table as it was."""
    from musicrec.io import replace_directory

    if out is not None:
        table.write.mode("overwrite").parquet(out)
        return out
    staged = scratch / "table"
    table.write.parquet(str(staged))
    default.parent.mkdir(parents=True, exist_ok=True)
    replace_directory(staged, default)
    return str(default)


def spark_neighbours(
    model,
    *,
    k: int = 10,
    mode: str = "ivf",
    nlist: int | None = None,
    nprobe: int = 16,
    out: str | None = None,
    master: str | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> str:
    """Write every track's top-``k`` neighbours of ``model`` as Parquet (to ``out``, a
    path or URI; default ``CACHE/neighbours/MODEL/``); returns where."""
    from musicrec.spark.session import spark_session

    progress = progress or SILENT
    if not 1 <= k <= 1000:
        raise InvalidArgumentError(f"k must be from 1 to 1000 (got {k})")
    spark = spark_session(master)
    root = (cache_dir or default_cache_dir()) / "spark"
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".neighbours.", dir=root))
    try:
        vectors = vectors_frame(spark, model, scratch)
        progress.say(f"Finding each track's {k} nearest on Spark ({mode})")
        candidates = neighbour_candidates(spark, vectors, vectors, k=k, mode=mode,
                                          nlist=nlist, nprobe=nprobe)
        return _write(_ranked(candidates, k), out,
                      neighbours_dir(cache_dir, model.path.name), scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _mean_vectors(groups: pd.DataFrame) -> pd.DataFrame:
    """One user's (or playlist's) tracks as their mean vector, unit length."""
    vectors = _matrix(groups["vector"])
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return pd.DataFrame({"track_id": [str(groups["user"].iloc[0])],
                         "vector": [mean / norm if norm else mean]})


def spark_continuations(
    model,
    pairs,
    *,
    k: int = 10,
    mode: str = "ivf",
    nlist: int | None = None,
    nprobe: int = 16,
    extra: int = 100,
    source: str = "playlists",
    out: str | None = None,
    master: str | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> str:
    """For every user or playlist in ``pairs`` (a Spark DataFrame or pandas table of
    ``user``, ``track_id``), the ``k`` tracks nearest the mean of its tracks that it does
    not hold yet, as Parquet (``user``, ``track_id``, ``score``, ``rank``) at ``out``
    (default ``CACHE/continuations/MODEL-SOURCE/``).
    Candidates are ``k + extra`` per user; a user holding more than ``extra`` of their
    own nearest tracks can get fewer than ``k``."""
    from pyspark.sql import functions as F

    from musicrec.spark.session import spark_session

    progress = progress or SILENT
    spark = spark_session(master)
    if isinstance(pairs, pd.DataFrame):
        pairs = spark.createDataFrame(pairs[["user", "track_id"]].astype(str))
    root = (cache_dir or default_cache_dir()) / "spark"
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".continuations.", dir=root))
    try:
        vectors = vectors_frame(spark, model, scratch)
        held = pairs.select(F.col("user").cast("string"),
                            F.col("track_id").cast("string")).distinct()
        users = (held.join(vectors, "track_id")
                 .groupBy("user").applyInPandas(_mean_vectors,
                                                "track_id string, vector array<float>"))
        progress.say(f"Continuing every playlist or user with {k} tracks on Spark ({mode})")
        candidates = neighbour_candidates(spark, vectors, users, k=k + extra, mode=mode,
                                          nlist=nlist, nprobe=nprobe)
        fresh = candidates.join(
            held.withColumnRenamed("user", "query").withColumnRenamed(
                "track_id", "neighbour_id"), ["query", "neighbour_id"], "left_anti")
        table = _ranked(fresh, k).withColumnRenamed("track_id", "user").withColumnRenamed(
            "neighbour_id", "track_id")
        return _write(table, out, continuations_dir(cache_dir, model.path.name, source),
                      scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
