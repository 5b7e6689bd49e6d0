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
    model_command,
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
    listens_table: Annotated[str | None, typer.Option(
        "--listens-table", help="A Parquet (or CSV) table of user, track id and weight, at "
        "any path Spark reads, that the hybrid and als models learn from on Spark (it never "
        "passes through this machine).", show_default=False)] = None,
    listens_map: Annotated[list[str] | None, typer.Option(
        "--listens-map", help="FIELD=COLUMN for --listens-table (user, track_id, weight), "
        "where its columns are not named as usual.", show_default=False)] = None,
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

    columns = parse_pairs(listens_map, "--listens-map")
    with Reporter() as reporter:
        built = spark_build(where.dataset, kind=where.kind, listens=listens,
                            listens_table=listens_table, listens_columns=columns,
                            index=index, master=master, partitions=partitions,
                            data_dir=where.data_dir, cache_dir=where.cache_dir,
                            progress=reporter.progress())
    stderr().print(plain(
        f"Built model '{where.dataset}' ({built.kind}) on Spark: {len(built.catalog):,} "
        f"tracks at {built.path}; vectors as Parquet at "
        f"{vectors_dir(where.cache_dir, built.path.name)}"))


Exact = Annotated[bool, typer.Option(
    "--exact", help="Score every track against all vectors (for catalogs whose vectors fit "
    "an executor's memory); default: IVF cells, --nprobe of them per query.")]
NProbe = Annotated[int, typer.Option("--nprobe", min=1, max=1024,
                                     help="IVF cells searched per query.")]
NList = Annotated[int | None, typer.Option(
    "--nlist", min=1, help="IVF cells (default: 4 x the square root of the tracks).",
    show_default=False)]
Out = Annotated[str | None, typer.Option(
    "--out", help="Where to write the Parquet (a path or URI Spark writes); default: "
    "the cache.", show_default=False)]
K = Annotated[int, typer.Option("--k", min=1, max=1000, help="Rows per track or user.")]


@spark_app.command("neighbours")
@model_command
def neighbours(
    k: K = 10,
    exact: Exact = False,
    nprobe: NProbe = 16,
    nlist: NList = None,
    out: Out = None,
    master: Master = None,
    *,
    where: ModelChoice,
) -> None:
    """Every track's k nearest tracks (track_id, neighbour_id, score, rank) as Parquet:
    the table a key-value store serves "similar tracks" from."""
    from musicrec.spark.neighbours import spark_neighbours

    with Reporter() as reporter:
        model = where.open().model
        written = spark_neighbours(model, k=k, mode="exact" if exact else "ivf",
                                   nlist=nlist, nprobe=nprobe, out=out, master=master,
                                   cache_dir=where.cache_dir, progress=reporter.progress())
    stderr().print(plain(f"Wrote the {k} nearest tracks of each of {len(model.catalog):,} "
                         f"tracks to {written}"))


@spark_app.command("continuations")
@model_command
def continuations(
    listens: Annotated[str | None, typer.Option(
        "--listens", help="Imported listening data whose users to continue (default: the "
        "dataset's playlists).", show_default=False)] = None,
    pairs: Annotated[str | None, typer.Option(
        "--pairs", help="A Parquet table (path or URI) of user, track_id pairs to continue "
        "instead.", show_default=False)] = None,
    k: K = 10,
    exact: Exact = False,
    nprobe: NProbe = 16,
    nlist: NList = None,
    out: Out = None,
    master: Master = None,
    *,
    where: ModelChoice,
) -> None:
    """For every playlist or user, the k tracks nearest its tracks' mean that it does not
    hold yet (user, track_id, score, rank), as Parquet."""
    from musicrec.errors import InvalidArgumentError
    from musicrec.spark.neighbours import spark_continuations
    from musicrec.spark.session import spark_session

    if listens is not None and pairs is not None:
        raise InvalidArgumentError("give --listens or --pairs, not both")
    with Reporter() as reporter:
        progress = reporter.progress()
        model = where.open().model
        if pairs is not None:
            table, source = spark_session(master).read.parquet(pairs), "pairs"
        elif listens is not None:
            import pandas as pd

            from musicrec.workspace.listening import listening_matrix

            matrix = listening_matrix(listens, model.catalog, where.dataset,
                                      where.cache_dir, progress)
            coo = matrix.matrix.tocoo()
            ids = model.catalog.column("track_id")
            table = pd.DataFrame({"user": [matrix.users[i] for i in coo.row],
                                  "track_id": [str(ids[j]) for j in coo.col]})
            source = listens
        else:
            table = model.catalog.interactions.rename(columns={"playlist_id": "user"})
            if not len(table):
                raise InvalidArgumentError(
                    f"'{where.dataset}' has no playlists: give --listens NAME or --pairs")
            source = "playlists"
        written = spark_continuations(model, table, k=k, mode="exact" if exact else "ivf",
                                      nlist=nlist, nprobe=nprobe, source=source, out=out,
                                      master=master, cache_dir=where.cache_dir,
                                      progress=progress)
    stderr().print(plain(f"Wrote {k} continuations of each playlist or user to {written}"))
