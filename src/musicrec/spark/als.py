"""ALS on Spark MLlib: the item factors the ``als`` and ``hybrid`` kinds learn, from
the same BM25-weighted (user, track) matrix as implicit's solver, trained on the
cluster. ``musicrec spark build --model hybrid`` uses it (see
:func:`musicrec.model.kinds.als.als_solver`).

MLlib's implicit-feedback ALS weighs an observed pair by ``1 + alpha * weight`` and
scales the regularisation by each user's and item's count of pairs (ALS-WR); implicit
weighs by the weight itself with a plain penalty. ``REG_PARAM`` and ``ALPHA`` were
chosen so that the two give a like R-precision on the default playlists
(benchmarks/spark_als.py).
"""

from __future__ import annotations

import numpy as np

from musicrec.progress import Progress

#: MLlib's settings for the same task as implicit's (see the module doc)
REG_PARAM, ALPHA = 0.01, 1.0


def mllib_als(weighted, progress: Progress, *, factors: int, regularization: float,
              iterations: int, seed: int = 0, spark=None) -> np.ndarray:
    """Item factors (n_items, factors) of the weighted (users x items) CSR matrix, by
    Spark MLlib's ALS (implicit preferences); ``regularization`` is implicit's and is
    not used (MLlib's own scale: :data:`REG_PARAM`)."""
    import pandas as pd

    from musicrec.spark.session import spark_session

    spark = spark or spark_session()
    coo = weighted.tocoo()
    pairs = pd.DataFrame({"uid": coo.row.astype(np.int32), "item": coo.col.astype(np.int32),
                          "weight": coo.data.astype(np.float32)})
    progress.say(f"Learning ALS factors on Spark MLlib ({len(pairs):,} pairs)")
    return mllib_item_factors(spark.createDataFrame(pairs), weighted.shape[1],
                              factors=factors, iterations=iterations, seed=seed)


def mllib_item_factors(pairs, n_items: int, *, factors: int, iterations: int,
                       seed: int = 0) -> np.ndarray:
    """Item factors (n_items, factors) from a Spark DataFrame of weighted pairs (``uid``,
    ``item``, ``weight``) by MLlib's implicit ALS; items without pairs get zero rows."""
    from pyspark.ml.recommendation import ALS

    model = ALS(rank=factors, maxIter=iterations, regParam=REG_PARAM, alpha=ALPHA,
                implicitPrefs=True, userCol="uid", itemCol="item", ratingCol="weight",
                seed=seed, nonnegative=False, coldStartStrategy="drop").fit(pairs)
    found = model.itemFactors.toPandas()
    out = np.zeros((n_items, factors), dtype=np.float32)
    if len(found):
        out[found["id"].to_numpy()] = np.vstack(found["features"].to_numpy())
    return out
