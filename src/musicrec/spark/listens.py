"""Listening data that stays on Spark: a table of (user, track, weight) read where it
lies, matched to the catalog, BM25-weighted and factorised by MLlib's ALS on the
cluster, so billions of listens never pass through the driver.

``musicrec spark build --model hybrid --listens-table PATH`` (Parquet, a folder of it,
or CSV; any path Spark reads). Columns are found as ``import-listens`` finds them (the
same names and ``--map`` rules, :mod:`musicrec.data.interactions.mapped`); tracks are
matched by id only (a Spotify URI or link is read as its id), which is what a table of
this size carries. A row without a user or a track id is left out, a weight that is
not a positive number is read as 1 (each counted, as ``import-listens`` counts them),
and a track the catalog does not hold is counted and left out. Repeated (user, track)
pairs add up. Users are numbered in sorted order, so a table always gives the same
numbers and the same validation split.

What the driver receives: counts, the held-out users of the validation split (at most
``VALIDATION_LIMIT``), and the item factors (one row per catalog track).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.errors import DataFileError
from musicrec.progress import SILENT, Progress

#: Held-out users the validation split collects to the driver, at most.
VALIDATION_LIMIT = 5_000
_SPOTIFY_PREFIX = r"^(spotify:track:|https?://open\.spotify\.com/(intl-[a-z]+/)?track/)"


class SparkListens:
    """(user, catalog row, weight) pairs as a cached Spark DataFrame (``uid`` int, ``item``
    int, ``weight`` float): what the ``als`` and ``hybrid`` kinds learn from when it
    does not fit the driver. Offers what those kinds ask of
    :class:`~musicrec.data.interactions.UserItems`: its size, a validation split, and
    ALS factors (learned on the cluster)."""

    def __init__(self, pairs, n_tracks: int, source: str, *, counts: dict | None = None
                 ) -> None:
        self.pairs = pairs.persist()
        self.n_tracks = n_tracks
        self.source = source
        self.name = None
        self.counts = counts or {}
        self.n_pairs = int(self.pairs.count())
        self._users: int | None = None

    @property
    def n_users(self) -> int:
        if self._users is None:
            self._users = int(self.pairs.select("uid").distinct().count())
        return self._users

    def describe(self) -> dict:
        """Where the data came from and its size, as a model keeps it."""
        return {"source": self.source, "listens": None, "users": self.n_users,
                "interactions": self.n_pairs, "on_spark": True, **self.counts}

    def validation_split(self, share: float, min_tracks: int, seed: int = 0):
        """(train, seeds, hidden): users with at least ``min_tracks`` tracks are held out
        by a seeded hash (about ``share`` of them, at most ``VALIDATION_LIMIT``), each
        one's tracks split in seeded halves; ``train`` is everyone else, on Spark. None
        when no user qualifies."""
        from pyspark.sql import functions as F

        sizes = self.pairs.groupBy("uid").agg(F.collect_list("item").alias("items"))
        bucket = F.abs(F.xxhash64(F.col("uid"), F.lit(seed))) % 1_000_000
        held = (sizes.where(F.size("items") >= min_tracks)
                .where(bucket < int(share * 1_000_000))
                .orderBy(bucket).limit(VALIDATION_LIMIT).toPandas())
        if held.empty:
            return None
        seeds, hidden = [], []
        for uid, items in zip(held["uid"], held["items"], strict=True):
            rows = np.random.default_rng([seed, int(uid)]).permutation(np.unique(items))
            half = len(rows) // 2
            seeds.append(np.sort(rows[:half]))
            hidden.append(np.sort(rows[half:]))
        spark = self.pairs.sparkSession
        test = spark.createDataFrame(pd.DataFrame({"uid": held["uid"].astype(np.int64)}))
        train = SparkListens(self.pairs.join(F.broadcast(test), "uid", "left_anti"),
                             self.n_tracks, self.source)
        return train, seeds, hidden

    def learn_factors(self, progress: Progress, *, factors: int, iterations: int,
                      seed: int = 0, **_) -> np.ndarray:
        """Item factors (n_tracks, factors) of the BM25-weighted pairs by MLlib's ALS;
        tracks without pairs get zero rows."""
        from musicrec.spark.als import mllib_item_factors

        progress.say(f"Learning ALS factors on Spark MLlib ({self.n_pairs:,} pairs)")
        return mllib_item_factors(bm25_pairs(self.pairs, self.n_users), self.n_tracks,
                                  factors=factors, iterations=iterations, seed=seed)


def bm25_pairs(pairs, users: int | None = None):
    """The pairs' weights BM25-weighted as implicit's ``bm25_weight`` weighs a (users x
    tracks) matrix: ``w (K1 + 1) / (K1 norm + w) idf``, idf = log(users) - log1p(users
    holding the track), norm = (1 - B) + B * the user's total / the mean total. ``users``:
    how many users the pairs hold, when already counted."""
    from pyspark.sql import functions as F

    from musicrec.model.kinds.als import BM25_B, BM25_K1

    if users is None:
        users = pairs.select("uid").distinct().count()
    held = pairs.groupBy("item").agg(F.count("*").alias("df"))
    totals = pairs.groupBy("uid").agg(F.sum("weight").alias("total"))
    mean_total = totals.agg(F.avg("total")).first()[0] or 1.0
    idf = F.log(F.lit(float(users))) - F.log1p(F.col("df").cast("double"))
    norm = (1.0 - BM25_B) + BM25_B * F.col("total") / F.lit(float(mean_total))
    weight = F.col("weight") * (BM25_K1 + 1.0) / (BM25_K1 * norm + F.col("weight")) * idf
    return (pairs.join(held, "item").join(totals, "uid")
            .select("uid", "item", weight.cast("float").alias("weight")))


def read_listens_table(spark, path: str, track_ids: list[str], *,
                       columns: Mapping[str, str] | None = None,
                       progress: Progress | None = None) -> SparkListens:
    """The listening table at ``path`` on Spark, matched to the catalog whose ids (in
    row order) are ``track_ids``; see the module doc."""
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    from musicrec.data.interactions.mapped import column_map

    progress = progress or SILENT
    try:
        frame = (spark.read.option("header", True).csv(path)
                 if path.lower().endswith((".csv", ".csv.gz")) else spark.read.parquet(path))
    except AnalysisException as exc:
        raise DataFileError(Path(path), f"cannot be read by Spark ({exc.getMessage()[:200]})"
                            ) from None
    mapping = column_map(list(frame.columns), dict(columns or {}), Path(path),
                         option="--listens-map")
    if "track_id" not in mapping:
        raise DataFileError(Path(path), "needs a track id column on Spark (tracks are matched "
                                        "by id there): give it with --listens-map "
                                        "track_id=COLUMN", row=1)
    user = F.trim(F.col(f"`{mapping['user']}`").cast("string"))
    track = F.regexp_replace(F.trim(F.col(f"`{mapping['track_id']}`").cast("string")),
                             _SPOTIFY_PREFIX, "")
    track = F.regexp_replace(track, r"\?.*$", "")
    if "weight" in mapping:
        raw = F.col(f"`{mapping['weight']}`").try_cast("double")  # text that is no number: null
        bad_weight = raw.isNull() | (raw <= 0) | F.isnan(raw)
        weight = F.when(bad_weight, F.lit(1.0)).otherwise(raw)
    else:
        bad_weight, weight = F.lit(False), F.lit(1.0)
    rows = frame.select(user.alias("user"), track.alias("track_id"), weight.alias("weight"),
                        bad_weight.alias("bad_weight"))
    missing = F.col("user").isNull() | (F.col("user") == "") | F.col("track_id").isNull() | (
        F.col("track_id") == "")
    ids = spark.createDataFrame(pd.DataFrame({"track_id": pd.Series(track_ids, dtype=object),
                                              "item": np.arange(len(track_ids),
                                                                dtype=np.int32)}))
    progress.say(f"Reading listening data on Spark from {path}")
    marked = rows.withColumn("missing", missing).join(ids, "track_id", "left")
    counted = marked.agg(
        F.count("*").alias("rows"), F.sum(F.col("missing").cast("long")).alias("missing"),
        F.sum((~F.col("missing") & F.col("bad_weight")).cast("long")).alias("bad_weight"),
        F.sum((~F.col("missing") & F.col("item").isNull()).cast("long")).alias("unknown"),
    ).first()
    counts = {k: int(counted[k] or 0) for k in ("rows", "missing", "bad_weight", "unknown")}
    known = marked.where(~F.col("missing") & F.col("item").isNotNull())
    summed = known.groupBy("user", "item").agg(F.sum("weight").cast("float").alias("weight"))
    # users numbered in sorted order (a distributed sort, then zipWithIndex): the same
    # table gives the same numbers, so the same validation split, however it is split up
    numbered = (summed.select("user").distinct().orderBy("user").rdd.map(lambda r: r[0])
                .zipWithIndex().toDF(["user", "uid"]))
    pairs = summed.join(numbered, "user").select(F.col("uid").cast("int"), "item", "weight")
    listens = SparkListens(pairs, len(track_ids), f"the listening table {path}", counts=counts)
    if not listens.n_pairs:
        raise DataFileError(Path(path), "holds no listens of the catalog's tracks "
                                        f"({counts['rows']:,} rows; {counts['unknown']:,} of "
                                        "unknown tracks)")
    progress.say(f"{counts['rows']:,} rows: {listens.n_pairs:,} (user, track) pairs of "
                 f"{listens.n_users:,} users" + "".join(
                     f"; {counts[k]:,} {what}" for k, what in (
                         ("missing", "without a user or track id, left out"),
                         ("unknown", "of tracks the catalog does not hold, left out"),
                         ("bad_weight", "with a weight that is not a positive number, read "
                                        "as 1")) if counts[k]))
    return listens
