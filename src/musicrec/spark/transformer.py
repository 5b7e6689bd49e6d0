"""``StyleVectorizer``: a Spark ML Transformer that adds musicrec's vectors to any
DataFrame of canonical track columns, for a user's own pyspark Pipeline.

    from musicrec.spark import StyleVectorizer
    vectors = StyleVectorizer(modelPath="~/.cache/musicrec/models/spotify_songs",
                              outputCol="vector").transform(tracks)

The model directory's fitted space is loaded on the driver and broadcast; rows are
grouped by first artist (a track's style takes in its artist's other tracks), so the
output's order and partitioning are not the input's. Saved and loaded with the
Pipeline (only the parameters: the model directory is read again where it is loaded).
"""

from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.param.shared import HasOutputCol, Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable


class StyleVectorizer(Transformer, HasOutputCol, DefaultParamsReadable,
                      DefaultParamsWritable):
    """Adds ``outputCol`` (array<float>, unit length) from a musicrec model directory."""

    modelPath = Param(Params._dummy(), "modelPath",  # noqa: N815 (Spark ML's naming)
                      "a musicrec model directory (musicrec build or spark build)",
                      typeConverter=TypeConverters.toString)

    @keyword_only
    def __init__(self, *, modelPath: str | None = None,  # noqa: N803
                 outputCol: str = "vector") -> None:  # noqa: N803
        super().__init__()
        self._setDefault(outputCol="vector")
        self.setParams(**self._input_kwargs)

    @keyword_only
    def setParams(self, *, modelPath: str | None = None,  # noqa: N802, N803
                  outputCol: str = "vector"):  # noqa: N803
        return self._set(**self._input_kwargs)

    def _transform(self, dataset):
        from functools import partial
        from pathlib import Path

        from pyspark.sql.types import ArrayType, FloatType, StringType, StructField, StructType

        from musicrec.data.schema import TRACK_COLUMNS
        from musicrec.model.store import load_model
        from musicrec.spark.build import _with_artist

        path = self.getOrDefault(self.modelPath)
        if not path:
            from musicrec.errors import InvalidArgumentError

            raise InvalidArgumentError("StyleVectorizer needs modelPath, a model directory")
        space = load_model(Path(path).expanduser()).space
        out = self.getOutputCol()
        missing = [c for c in ("track_id", "artists") if c not in dataset.columns]
        if missing:
            from musicrec.errors import InvalidArgumentError

            raise InvalidArgumentError(f"StyleVectorizer needs the columns {missing} (the "
                                       f"canonical track table: {', '.join(TRACK_COLUMNS)})")
        spark = dataset.sparkSession
        broadcast = spark.sparkContext.broadcast(space)
        with_key = dataset.mapInPandas(_with_artist, StructType(
            [*dataset.schema.fields, StructField("_artist", StringType())]))
        grouped = with_key.repartition("_artist").sortWithinPartitions("_artist")
        schema = StructType([*dataset.schema.fields,
                             StructField(out, ArrayType(FloatType()))])
        return grouped.mapInPandas(partial(_vectorise, space=broadcast, out=out), schema)


def _vectorise(batches, *, space, out: str):
    """The batches with their vectors (the input columns kept), artist by artist."""
    from musicrec.spark.build import by_artist

    fitted = space.value
    for frame in by_artist(batches):
        vectors = fitted.transform(_canonical(frame))
        kept = frame.drop(columns=["_artist"]).reset_index(drop=True)
        kept[out] = list(vectors)
        yield kept


def _canonical(frame):
    import numpy as np

    from musicrec.data.schema import LIST_COLUMNS, conform

    tracks = conform(frame.drop(columns=["_artist"]).reset_index(drop=True), "spark")
    for column in LIST_COLUMNS:  # Arrow lists as Python lists; an all-null column's NaN: None
        tracks[column] = [list(v) if isinstance(v, list | tuple | np.ndarray) else None
                          for v in tracks[column]]
    return tracks
