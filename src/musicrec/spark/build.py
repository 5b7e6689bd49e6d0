"""``musicrec spark build``: a model whose vectors are made on Spark.

The feature space (and the learned style, or the collaborative factors) is fitted on
the driver, exactly as ``musicrec build`` fits it; the fitted space is broadcast and
every partition of the track table is embedded with it (``mapInPandas``). Tracks are
grouped by their first artist first, because a track's style takes in its artist's
other tracks. The vectors are written as Parquet (``track_id``, ``vector``) under
``CACHE/vectors/MODEL/``, and read back in catalog order into a normal model directory
(index, clusters, manifest) that ``recommend`` and ``serve`` load as they are. The
``als`` and ``hybrid`` kinds learn their factors with Spark MLlib's ALS
(:mod:`musicrec.spark.als`).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.catalog import Catalog
from musicrec.data.registry import default_cache_dir
from musicrec.data.schema import TRACK_COLUMNS
from musicrec.errors import ModelIntegrityError
from musicrec.progress import SILENT, Progress

VECTORS = "vectors"


def _with_artist(batches):
    """Each row's folded first artist (the key its style context is grouped by)."""
    from musicrec.data.text import primary_artist

    for batch in batches:
        batch["_artist"] = [primary_artist(a) for a in batch["artists"]]
        yield batch


def by_artist(batches):
    """A partition sorted by artist as frames that each hold all rows of their artists:
    Arrow cuts a partition into batches anywhere, so rows are held back until their
    artist's last row has arrived (a track's style takes in its artist's other tracks)."""
    pending = None
    for batch in batches:
        pending = batch if pending is None else pd.concat([pending, batch],
                                                          ignore_index=True)
        last = pending["_artist"].iloc[-1]
        done = (pending["_artist"] != last).to_numpy() if last is not None else (
            pending["_artist"].notna().to_numpy())
        if done.any():
            cut = int(np.flatnonzero(~done)[0]) if (~done).any() else len(pending)
            yield pending.iloc[:cut]
            pending = pending.iloc[cut:]
    if pending is not None and len(pending):
        yield pending


def _embed(batches, *, space, source: str):
    """Vectors of one partition's tracks (sorted by artist), by the broadcast space."""
    from musicrec.spark.transformer import _canonical

    fitted = space.value
    for frame in by_artist(batches):
        tracks = _canonical(frame)
        yield pd.DataFrame({"track_id": tracks["track_id"].astype(object),
                            "vector": list(fitted.transform(tracks))})


def vectors_dir(cache_dir: Path | None, model_name: str) -> Path:
    """Where a Spark-built model's vectors are kept as Parquet."""
    return (cache_dir or default_cache_dir()) / VECTORS / model_name


def spark_build(
    dataset: str,
    *,
    kind: str | None = None,
    listens: str | None = None,
    listens_table: str | None = None,
    listens_columns: dict[str, str] | None = None,
    index: str | None = None,
    master: str | None = None,
    partitions: int | None = None,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
):
    """Build ``dataset``'s model of ``kind`` with its vectors made on Spark; returns the
    model (the same as ``musicrec build`` makes, its vectors also as Parquet). A
    collaborative kind learns from ``listens`` (imported listening data, assembled on
    the driver) or ``listens_table`` (a table of user, track id, weight that stays on
    Spark, its columns found as ``import-listens`` finds them or given by
    ``listens_columns``; :mod:`musicrec.spark.listens`)."""
    from pyspark.sql import functions as F

    from musicrec.data.imported import find_imported
    from musicrec.io import replace_directory
    from musicrec.spark.session import spark_session
    from musicrec.workspace.datasets import model_dir
    from musicrec.workspace.models import build_dataset_model, default_kind

    progress = progress or SILENT
    cache = cache_dir or default_cache_dir()
    kind = kind or default_kind(dataset, cache_dir)
    target = model_dir(dataset, cache_dir, kind)
    spark = spark_session(master)
    root = cache / "spark"
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))

    def embed(catalog: Catalog, space, out: np.ndarray) -> None:
        found = find_imported(cache, dataset)
        if found is not None:
            table = spark.read.parquet(str(found.tracks_file))
        else:  # a registered dataset, read on the driver: handed to Spark as Parquet
            catalog.tracks.to_parquet(scratch / "tracks.parquet", index=False)
            table = spark.read.parquet(str(scratch / "tracks.parquet"))
        table = table.select(*[F.col(c) for c in TRACK_COLUMNS])
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([*table.schema.fields, StructField("_artist", StringType())])
        grouped = table.mapInPandas(_with_artist, schema)
        n = partitions or max(2, spark.sparkContext.defaultParallelism)
        grouped = grouped.repartition(n, "_artist").sortWithinPartitions("_artist")
        broadcast = spark.sparkContext.broadcast(space)
        progress.say(f"Embedding on Spark ({n} partitions by artist)")
        try:
            (grouped.mapInPandas(partial(_embed, space=broadcast, source=dataset),
                                 "track_id string, vector array<float>")
             .write.parquet(str(scratch / VECTORS)))
        finally:  # (after Ctrl-C the gateway may be gone: the interrupt is what counts)
            with contextlib.suppress(Exception):
                broadcast.unpersist()
        read_vectors(scratch / VECTORS, catalog, out)

    from musicrec.model.kinds.als import als_solver
    from musicrec.spark.als import mllib_als

    interactions_from = None
    if listens_table is not None:
        if listens is not None:
            from musicrec.errors import InvalidArgumentError

            raise InvalidArgumentError("give --listens or --listens-table, not both")
        from musicrec.spark.listens import read_listens_table

        def interactions_from(catalog: Catalog):
            ids = catalog.column("track_id").astype(str).tolist()
            return read_listens_table(spark, listens_table, ids, columns=listens_columns,
                                      progress=progress)

    try:
        with als_solver(partial(mllib_als, spark=spark)):  # collaborative kinds: MLlib
            model = build_dataset_model(dataset, data_dir=data_dir, cache_dir=cache_dir,
                                        kind=kind, listens=listens, index=index,
                                        embed=embed, interactions_from=interactions_from,
                                        progress=progress)
        keep = vectors_dir(cache_dir, target.name)
        keep.parent.mkdir(parents=True, exist_ok=True)
        replace_directory(scratch / VECTORS, keep)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return model


def read_vectors(folder: Path, catalog: Catalog, out: np.ndarray) -> None:
    """Vectors written by Spark into ``out``, each at its track's catalog row."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    filled = np.zeros(len(catalog), dtype=bool)
    for batch in ds.dataset(str(folder), format="parquet").to_batches():
        ids = batch.column("track_id").to_pylist()
        rows = catalog.rows_of(ids)
        if (rows < 0).any():
            raise ModelIntegrityError("Spark returned vectors of tracks the catalog does "
                                      "not hold")
        values = pc.list_flatten(batch.column("vector")).to_numpy(zero_copy_only=False)
        out[rows] = values.reshape(len(ids), out.shape[1])
        filled[rows] = True
    if not filled.all():
        raise ModelIntegrityError(f"Spark returned vectors for {int(filled.sum()):,} of "
                                  f"{len(catalog):,} tracks")
