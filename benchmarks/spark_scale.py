"""Spark on local[N] against the single-process path on one synthetic table, same run:
import (``spark import`` vs ``import``'s reader), embedding (``spark build`` vs ``build``
of the same kind, the same fitted space) and every track's top-10 neighbour table
(Spark IVF vs faiss IVF in one process). Prints seconds, the Spark/single ratio and each
stage's throughput per core (tracks per core-second), the figures docs/performance.md
sizes a cluster from.

    MUSICREC_DATA_DIR=../shared/data python benchmarks/spark_scale.py [--tracks 1000000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from musicrec.data.importers.mapped import read_mapped
from musicrec.spark.build import spark_build
from musicrec.spark.importer import spark_import
from musicrec.spark.neighbours import spark_neighbours
from musicrec.spark.session import spark_session
from musicrec.workspace.models import build_dataset_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--kind", default="original")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")).resolve()
    from synthetic_catalog import write_synthetic

    work = Path(tempfile.mkdtemp(prefix="spark-scale-"))
    try:
        table = write_synthetic(args.tracks, work / "tracks.parquet", data_dir)
        spark_session(f"local[{args.cores}]")  # the session every stage uses
        spark_cache, single_cache = work / "spark-cache", work / "single-cache"
        home_models = Path.home() / ".cache" / "musicrec" / "models" / "spotify_songs"
        for cache in (spark_cache, single_cache):  # a style kind borrows the default's
            if home_models.exists():
                shutil.copytree(home_models, cache / "models" / "spotify_songs")
        rows = []

        start = time.perf_counter()
        spark_import(str(table), "synthetic", cache_dir=spark_cache)
        spark_seconds = time.perf_counter() - start
        start = time.perf_counter()
        result = read_mapped(table, {}, source="synthetic")
        single_seconds = time.perf_counter() - start
        from musicrec.data.imported import save_imported

        save_imported(single_cache, "synthetic", result, {}, {"path": str(table)})
        rows.append(("import", spark_seconds, single_seconds))

        start = time.perf_counter()
        spark_model = spark_build("synthetic", kind=args.kind, data_dir=data_dir,
                                  cache_dir=spark_cache)
        spark_seconds = time.perf_counter() - start
        start = time.perf_counter()
        single_model = build_dataset_model("synthetic", kind=args.kind, data_dir=data_dir,
                                           cache_dir=single_cache)
        single_seconds = time.perf_counter() - start
        rows.append((f"build ({args.kind})", spark_seconds, single_seconds))
        difference = float(np.abs(np.asarray(spark_model.vectors)
                                  - np.asarray(single_model.vectors)).max())

        start = time.perf_counter()
        spark_neighbours(spark_model, k=10, cache_dir=spark_cache)
        spark_seconds = time.perf_counter() - start
        start = time.perf_counter()
        single_neighbours(single_model, k=10, cores=args.cores)
        single_seconds = time.perf_counter() - start
        rows.append(("top-10 table (IVF)", spark_seconds, single_seconds))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{args.tracks:,} synthetic tracks; Spark local[{args.cores}] against one process "
          f"(max abs vector difference {difference:.1e})")
    print(f"{'stage':22s} {'Spark s':>8s} {'single s':>9s} {'ratio':>6s} "
          f"{'Spark tracks/core-s':>20s}")
    for stage, ours, single in rows:
        print(f"{stage:22s} {ours:8.1f} {single:9.1f} {ours / single:6.2f} "
              f"{args.tracks / (ours * args.cores):20,.0f}")


def single_neighbours(model, k: int, cores: int) -> None:
    """The same table in one process: faiss IVF (4 x sqrt(n) cells, 16 probed)."""
    import faiss

    faiss.omp_set_num_threads(cores)
    vectors = np.ascontiguousarray(model.vectors, dtype=np.float32)
    n, d = vectors.shape
    nlist = int(round(4 * np.sqrt(n)))
    quantizer = faiss.IndexFlatIP(d)
    index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    index.train(vectors[rng.choice(n, min(n, 100_000), replace=False)])
    index.add(vectors)
    index.nprobe = 16
    index.search(vectors, k + 1)


if __name__ == "__main__":
    main()
