"""ALS on Spark MLlib against implicit's ALS, same run, same split: playlist
continuation on the default catalog's held-out playlists (the evaluation harness of
``musicrec evaluate``), for the ``als`` and ``hybrid`` kinds.

    MUSICREC_DATA_DIR=../shared/data python benchmarks/spark_als.py [--master local[2]]
"""

from __future__ import annotations

import argparse
import os
import time
from functools import partial
from pathlib import Path

from musicrec.evaluation.harness import EvaluationSettings, evaluate_continuation
from musicrec.evaluation.methods import ModelMethod
from musicrec.model.kinds.als import als_solver
from musicrec.spark.als import mllib_als
from musicrec.spark.session import spark_session
from musicrec.workspace import dataset_catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--kinds", default="als,hybrid")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")).resolve()
    catalog = dataset_catalog("spotify_songs", data_dir=data_dir)
    spark = spark_session(args.master)
    settings = EvaluationSettings()
    rows = []
    for kind in args.kinds.split(","):
        for solver in ("implicit", "mllib"):
            method = ModelMethod(kind, name=f"{kind} ({solver})")
            start = time.perf_counter()
            if solver == "mllib":
                with als_solver(partial(mllib_als, spark=spark)):
                    scores, _, _ = evaluate_continuation(catalog, [method], settings)
            else:
                scores, _, _ = evaluate_continuation(catalog, [method], settings)
            method.close()
            rows.append((kind, solver, scores[method.name]["r_precision"],
                         time.perf_counter() - start))
    print(f"{'kind':8s} {'ALS':9s} {'R-precision':>12s} {'seconds':>8s}")
    for kind, solver, score, seconds in rows:
        print(f"{kind:8s} {solver:9s} {score:12.4f} {seconds:8.1f}")
    for kind in args.kinds.split(","):
        ours = {s: r for k, s, r, _ in rows if k == kind}
        print(f"{kind}: MLlib / implicit R-precision {ours['mllib'] / ours['implicit']:.3f}")


if __name__ == "__main__":
    main()
