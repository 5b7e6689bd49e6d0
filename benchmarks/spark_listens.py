"""Listening data on Spark at scale: a SYNTHETIC table of listens (users drawn with a
heavy tail of activity, tracks by a Zipf law of popularity over the default catalog)
read, matched, summed and BM25-weighted on Spark (``musicrec.spark.listens``), then
MLlib's ALS (the settings of the ``hybrid`` and ``als`` kinds) against implicit's ALS
on the same pairs in one process, same run. Prints seconds and each stage's throughput
per core, the figures docs/performance.md sizes 10 billion listens from.

    MUSICREC_DATA_DIR=../shared/data python benchmarks/spark_listens.py \\
        [--listens 20000000] [--users 200000] [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from musicrec.model.kinds.als import FACTORS, ITERATIONS
from musicrec.progress import SILENT
from musicrec.spark.listens import bm25_pairs, read_listens_table
from musicrec.spark.session import spark_session
from musicrec.workspace import dataset_catalog

CHUNK = 2_000_000


def write_listens(path: Path, ids: list[str], listens: int, users: int, seed: int = 0) -> None:
    """``listens`` rows of (user, track_id, weight 1): user activity log-normal, track
    popularity Zipf (exponent 1.1) over ``ids``."""
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.2, users)
    activity /= activity.sum()
    rank = np.arange(1, len(ids) + 1, dtype=np.float64)
    popularity = rank ** -1.1
    popularity /= popularity.sum()
    order = rng.permutation(len(ids))
    names = np.array([f"user{u}" for u in range(users)], dtype=object)
    track_ids = np.asarray(ids, dtype=object)[order]
    writer = None
    for start in range(0, listens, CHUNK):
        size = min(CHUNK, listens - start)
        table = pa.table({"user": names[rng.choice(users, size, p=activity)],
                          "track_id": track_ids[rng.choice(len(ids), size, p=popularity)],
                          "weight": np.ones(size, dtype=np.float32)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listens", type=int, default=20_000_000)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")).resolve()
    catalog = dataset_catalog("spotify_songs", data_dir=data_dir)
    ids = catalog.column("track_id").astype(str).tolist()
    work = Path(tempfile.mkdtemp(prefix="spark-listens-"))
    try:
        table = work / "listens.parquet"
        write_listens(table, ids, args.listens, args.users)
        spark = spark_session(f"local[{args.cores}]")
        rows = []

        start = time.perf_counter()
        listens = read_listens_table(spark, str(table), ids, progress=SILENT)
        weighted = bm25_pairs(listens.pairs).persist()
        weighted.count()
        rows.append(("read, match, sum, BM25", time.perf_counter() - start, args.listens))
        pairs = listens.n_pairs

        from musicrec.spark.als import mllib_item_factors

        start = time.perf_counter()
        spark_factors = mllib_item_factors(weighted, len(ids), factors=FACTORS,
                                           iterations=args.iterations)
        rows.append((f"MLlib ALS, {args.iterations} iterations", time.perf_counter() - start,
                     pairs * args.iterations))

        # implicit on the same weighted pairs, one process
        import scipy.sparse as sp
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        local = weighted.toPandas()
        matrix = sp.csr_matrix((local["weight"].to_numpy(np.float32),
                                (local["uid"].to_numpy(), local["item"].to_numpy())),
                               shape=(int(local["uid"].max()) + 1, len(ids)))
        start = time.perf_counter()
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(factors=FACTORS, iterations=args.iterations,
                                            regularization=0.05, random_state=0,
                                            num_threads=args.cores)
            model.fit(matrix, show_progress=False)
        single = time.perf_counter() - start
        warm = np.linalg.norm(spark_factors, axis=1) > 0
        print(f"\n{args.listens:,} SYNTHETIC listens, {listens.n_users:,} users, "
              f"{pairs:,} (user, track) pairs, {int(warm.sum()):,} tracks with factors; "
              f"local[{args.cores}]")
        print(f"{'stage':34s} {'seconds':>8s} {'per core-second':>16s}")
        for name, seconds, work_units in rows:
            print(f"{name:34s} {seconds:8.1f} {work_units / seconds / args.cores:16,.0f}")
        print(f"{'implicit ALS, one process':34s} {single:8.1f} "
              f"{pairs * args.iterations / single / args.cores:16,.0f}")
        print(f"MLlib / implicit: {rows[1][1] / single:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
