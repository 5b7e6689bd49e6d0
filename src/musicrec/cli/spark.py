"""``musicrec spark``: the batch steps on an Apache Spark cluster (or local[*])."""

from __future__ import annotations

from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.model import IndexChoice
from musicrec.cli.options import (
    CacheDir,
    ModelChoice,
    Reporter,
    data_command,
    parse_pairs,
    plain,
    stderr,
)

spark_app = typer.Typer(help="Import and build on Apache Spark (pip install "
                        "'musicrec[spark]'; Java 17). The results are the same datasets "
                        "and models that recommend and serve load.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(spark_app, name="spark")

Master = Annotated[str | None, typer.Option(
    "--master", help="The Spark master URL: local[*] (the default), local[4], "
    "spark://HOST:7077, yarn, k8s://...; default: MUSICREC_SPARK_MASTER or SPARK_MASTER.",
    show_default=False)]


@spark_app.command("import")
def import_(
    table: Annotated[str, typer.Argument(help="A CSV or Parquet table (a file or a folder "
                                         "of parts) at any path or URI Spark reads.")],
    name: Annotated[str, typer.Option("--name", help="Name of the dataset to create.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="CANONICAL=COLUMN, as for musicrec import. Repeatable.",
        show_default=False)] = None,
    unit: Annotated[list[str] | None, typer.Option(
        "--unit", help="COLUMN=UNIT, as for musicrec import. Repeatable.",
        show_default=False)] = None,
    on_duplicate: Annotated[str, typer.Option(
        "--on-duplicate", help="'first' keeps a repeated id's first row, 'error' stops."
    )] = "first",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first bad cell instead of counting it.")] = False,
    master: Master = None,
    cache_dir: CacheDir = None,
) -> None:
    """Import a track table on Spark by the rules of musicrec import (no model is built:
    then run musicrec spark build --dataset NAME)."""
    from musicrec.spark.importer import spark_import

    with Reporter() as reporter:
        dataset, report = spark_import(
            table, name, parse_pairs(map_, "--map", allow_empty=True),
            units=parse_pairs(unit, "--unit"), on_duplicate=on_duplicate, strict=strict,
            cache_dir=cache_dir, master=master,
            progress=reporter.progress())
    err = stderr()
    for line in report.summary():
        err.print(plain(line))
    err.print(plain(f"Imported {dataset.tracks:,} tracks as '{name}'. Next: musicrec spark "
                    f"build --dataset {name}"))


@spark_app.command("build")
@data_command
def build(
    listens: Annotated[str | None, typer.Option(
        "--listens", help="Imported listening data the hybrid, als and lightfm models "
        "learn from.", show_default=False)] = None,
    index: IndexChoice = None,
    master: Master = None,
    partitions: Annotated[int | None, typer.Option(
        "--partitions", min=1, help="Partitions to embed in (default: the cluster's "
        "parallelism).", show_default=False)] = None,
    *,
    where: ModelChoice,
) -> None:
    """Build a dataset's model with its vectors made on Spark (also kept as Parquet)."""
    from musicrec.spark.build import spark_build, vectors_dir

    with Reporter() as reporter:
        built = spark_build(where.dataset, kind=where.kind, listens=listens, index=index,
                            master=master, partitions=partitions, data_dir=where.data_dir,
                            cache_dir=where.cache_dir, progress=reporter.progress())
    stderr().print(plain(
        f"Built model '{where.dataset}' ({built.kind}) on Spark: {len(built.catalog):,} "
        f"tracks at {built.path}; vectors as Parquet at "
        f"{vectors_dir(where.cache_dir, built.path.name)}"))
