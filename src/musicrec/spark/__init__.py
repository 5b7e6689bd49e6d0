"""musicrec's batch steps on Apache Spark (the ``spark`` extra: pyspark 4 and Java 17).

``musicrec spark import`` maps any table Spark reads onto the canonical track table with
the same rules as ``musicrec import``; ``musicrec spark build`` fits a model's feature
space on the driver and embeds every partition with it, writing the vectors as Parquet
and a normal model directory that ``recommend`` and ``serve`` load as they are.
"""

__all__ = ["StyleVectorizer"]


def __getattr__(name: str):
    if name == "StyleVectorizer":  # pyspark is imported only when it is asked for
        from musicrec.spark.transformer import StyleVectorizer

        return StyleVectorizer
    raise AttributeError(name)
