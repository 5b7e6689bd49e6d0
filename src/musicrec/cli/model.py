"""Model commands: ``build``, ``import``, ``info`` and ``evaluate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import (
    CacheDir,
    DataDir,
    ModelChoice,
    Reporter,
    data_command,
    model_command,
    parse_pairs,
    parse_weights,
    plain,
    split_features,
    stderr,
)
from musicrec.recommend.request import DEFAULTS

IndexChoice = Annotated[str | None, typer.Option(
    "--index", help="The nearest-neighbour index: neighbours (a table of each track's "
    "nearest; the default up to 100,000 tracks), hnsw (an approximate graph, faiss; the "
    "default above) or exact (a scan of every vector).", show_default=False)]


@app.command()
@data_command
def build(
    features: Annotated[str | None, typer.Option(
        help="Comma-separated feature columns (default: the seed method's, where present).",
        show_default=False)] = None,
    weight: Annotated[list[str] | None, typer.Option(
        "--weight", help="FEATURE=WEIGHT to make a feature count more or less. Repeatable.",
        show_default=False)] = None,
    listens: Annotated[str | None, typer.Option(
        "--listens", help="Imported listening data (musicrec import-listens) that the "
        "hybrid, als and lightfm models learn from (default: the dataset's playlists).",
        show_default=False)] = None,
    index: IndexChoice = None,
    *,
    where: ModelChoice,
) -> None:
    """Build (or rebuild) the model for a dataset."""
    from musicrec.workspace.models import build_dataset_model

    with Reporter() as reporter:
        built = build_dataset_model(
            where.dataset, data_dir=where.data_dir, cache_dir=where.cache_dir,
            features=split_features(features), weights=parse_weights(weight),
            kind=where.kind, listens=listens, index=index, progress=reporter.progress(),
        )
    style = "" if built.space.style is None else " plus learned style"
    stderr().print(
        f"Built model '{where.dataset}' ({built.kind}): {len(built.catalog):,} tracks, "
        f"{len(built.space.features_)} features{style}, at {built.path}"
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file of tracks.")],
    name: Annotated[str, typer.Option("--name", help="Name of the dataset (and model) to "
                                      "create; use it as --dataset NAME.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="CANONICAL=COLUMN, e.g. title=name, artist=artists; CANONICAL= (empty) "
        "leaves a column out that would be taken by its name. Repeatable.",
        show_default=False)] = None,
    unit: Annotated[list[str] | None, typer.Option(
        "--unit", help="COLUMN=UNIT for columns in other units: duration=s or duration=min; "
        "energy=percent (any 0-1 feature). Repeatable.", show_default=False)] = None,
    on_duplicate: Annotated[str, typer.Option(
        "--on-duplicate", help="A track id seen before: 'first' keeps the first row "
        "(counted), 'error' stops.")] = "first",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first bad cell instead of counting it.")] = False,
    features: Annotated[str | None, typer.Option(help="Comma-separated feature columns.",
                                                 show_default=False)] = None,
    kind: Annotated[str, typer.Option(
        "--model", "-m", help="The model to build: style (the default; a table without "
        "playlists borrows the style learned on the default dataset) or original.")] = "style",
    style_from: Annotated[Path | None, typer.Option(
        "--style-from", help="A model directory whose learned style a table without "
        "playlists borrows (default: the default dataset's model).",
        show_default=False)] = None,
    index: IndexChoice = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Import any track table through a column mapping and build a model from it."""
    from musicrec.workspace.imports import import_file

    with Reporter() as reporter:
        model, report = import_file(
            file, parse_pairs(map_, "--map", allow_empty=True), name, data_dir=data_dir,
            cache_dir=cache_dir, features=split_features(features), kind=kind, strict=strict,
            on_duplicate=on_duplicate, units=parse_pairs(unit, "--unit"),
            style_from=style_from, index=index, progress=reporter.progress(),
        )
    err = stderr()
    for line in report.summary():
        err.print(plain(line))
    err.print(plain(
        f"Imported {len(model.catalog):,} tracks as '{name}'. "
        f"Try: musicrec recommend --dataset {name} \"<a title from the file>\""
    ))


@app.command("import-listens")
def import_listens(
    file: Annotated[Path, typer.Argument(
        help="A listening-data file: the Kaggle spotify_dataset.csv, a ListenBrainz dump "
        "(JSON lines), Last.fm HetRec's user_artists.dat (or its folder), or any CSV with "
        "--map.")],
    name: Annotated[str, typer.Option("--name", help="Name to keep it under; build with "
                                      "--listens NAME.")],
    format_: Annotated[str | None, typer.Option(
        "--format", help="spotify-playlists, listenbrainz, lastfm-hetrec or mapped "
        "(default: told from the file).", show_default=False)] = None,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="FIELD=COLUMN for any CSV: user=, title=, artist=, and optionally "
        "weight=, time=, track_id=. Repeatable.", show_default=False)] = None,
    dataset: Annotated[str, typer.Option(
        "--dataset", "-d", help="The catalog whose tracks the items are matched to.")
    ] = "spotify_songs",
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Import playlists or listening history, matched to a catalog's tracks."""
    from musicrec.workspace.listening import import_listens as run_import

    with Reporter() as reporter:
        listens = run_import(file, name, format=format_,
                             mapping=parse_pairs(map_, "--map", allow_empty=True),
                             dataset=dataset, data_dir=data_dir, cache_dir=cache_dir,
                             progress=reporter.progress())
    err = stderr()
    for line in listens.report.summary():
        err.print(plain(line))
    if listens.artist_level:
        err.print(plain(f"Kept as '{name}'. Its items are artists, not songs: the track "
                        "models cannot learn from it."))
    else:
        err.print(plain(f"Kept as '{name}'. Try: musicrec build --dataset {dataset} --model "
                        f"hybrid --listens {name}"))


@app.command()
def datasets(cache_dir: CacheDir = None, data_dir: DataDir = None) -> None:
    """List the registered datasets and the ones you imported, with the models built."""
    from rich.console import Console
    from rich.table import Table

    from musicrec.workspace.datasets import list_datasets

    table = Table(title="datasets", title_justify="left")
    for column in ("name", "kind", "tracks", "features", "models built", "source"):
        table.add_column(column, justify="right" if column == "tracks" else "left")
    for row in list_datasets(data_dir=data_dir, cache_dir=cache_dir):
        table.add_row(*(plain(row[c]) for c in ("name", "kind", "tracks", "features",
                                                 "models", "source")))
    Console().print(table)


@app.command()
@model_command
def info(*, where: ModelChoice) -> None:
    """Describe the catalog and the built model."""
    from rich.console import Console
    from rich.table import Table

    from musicrec.workspace.descriptions import describe_model

    table = Table(show_header=False, title="musicrec model", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in describe_model(where.open()):
        table.add_row(key, plain(value))
    Console().print(table)


@app.command()
@data_command
def evaluate(
    queries: Annotated[int, typer.Option(help="Query tracks for genre precision.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the splits and samples.")] = 0,
    part: Annotated[str, typer.Option(
        help="test: the held-out split; validation: a split inside the training part, "
        "for choosing settings.")] = "test",
    methods: Annotated[str, typer.Option(
        help="Comma-separated: random, popularity, and model kinds (original, style; "
        "'musicrec' is the default kind).")] = "random,popularity,original,musicrec",
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the results as JSON here.", show_default=False)] = None,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", help="Also write a PNG comparing the methods here.", show_default=False)] = None,
    artist_cap: Annotated[int, typer.Option(
        "--artist-cap", help="Ask the models with this artist cap (0: none), as "
        "'recommend --artist-cap' does.")] = int(DEFAULTS["artist_cap"]),
    diversity: Annotated[float, typer.Option(
        "--diversity", help="Ask the models with this diversity, as 'recommend "
        "--diversity' does.")] = DEFAULTS["diversity"],
    listens: Annotated[str | None, typer.Option(
        "--listens", help="Judge on imported artist-level listening data instead (Last.fm "
        "HetRec): held-out users' artists, ALS against content.", show_default=False)] = None,
    *,
    where: ModelChoice,
) -> None:
    """Measure recommendation quality against baselines on seeded, documented splits."""
    from rich.console import Console
    from rich.table import Table

    if listens is not None:
        _evaluate_artists(listens, seed, json_out, where)
        return

    from musicrec.evaluation.harness import EvaluationSettings
    from musicrec.evaluation.harness import evaluate as run_evaluation
    from musicrec.evaluation.methods import make_methods
    from musicrec.evaluation.report import plot, sections, table_rows
    from musicrec.io import atomic_write, check_output
    from musicrec.recommend.request import RecommendRequest
    from musicrec.workspace.datasets import dataset_catalog

    for path in (json_out, plot_out):  # before minutes of work
        if path is not None:
            check_output(path)
    request = {"artist_cap": artist_cap, "diversity": diversity}
    RecommendRequest(["check"], **request)  # out-of-range settings fail before any work
    chosen = make_methods([m.strip() for m in methods.split(",") if m.strip()], seed,
                          request=request)
    settings = EvaluationSettings(seed=seed, queries=queries, part=part, request=request)
    with Reporter() as reporter:
        catalog = dataset_catalog(where.dataset, data_dir=where.data_dir,
                                  cache_dir=where.cache_dir, progress=reporter.progress())
        result = run_evaluation(catalog, chosen, settings, progress=reporter.progress())
    console = Console()
    for title, scores, columns in sections(result):
        header, rows = table_rows(scores, columns, short=True)
        table = Table(title=title, title_justify="left")
        for i, name in enumerate(header):
            table.add_column(name, justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    sizes = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.sizes.items())
    console.print(f"[dim]{part} split, seed {seed}: {sizes}[/dim]")
    if json_out is not None:
        atomic_write(json_out, json.dumps(result.to_dict(), indent=2) + "\n")
        stderr().print(f"Wrote {json_out}")
    if plot_out is not None:
        plot(result, plot_out)
        stderr().print(f"Wrote {plot_out}")


def _evaluate_artists(name: str, seed: int, json_out: Path | None, where: ModelChoice) -> None:
    """``evaluate --listens NAME``: the artist-level task (evaluation/artists.py)."""
    from rich.console import Console
    from rich.table import Table

    from musicrec.data.interactions.store import read_listens_named
    from musicrec.data.registry import default_cache_dir
    from musicrec.errors import InvalidArgumentError
    from musicrec.evaluation.artists import artist_task, evaluate_artists
    from musicrec.io import atomic_write, check_output
    from musicrec.workspace.models import ensure_model

    if json_out is not None:
        check_output(json_out)
    with Reporter() as reporter:
        listens = read_listens_named(where.cache_dir or default_cache_dir(), name)
        if not listens.artist_level:
            raise InvalidArgumentError(
                f"'{name}' holds songs, not artists: --listens judges artist-level data "
                "(Last.fm HetRec); songs are judged by the continuation task")
        model = ensure_model(where.dataset, data_dir=where.data_dir, cache_dir=where.cache_dir,
                             kind=where.kind, progress=reporter.progress())
        task = artist_task(listens, model.catalog, model.vectors)
        scores, sizes = evaluate_artists(task, seed, progress=reporter.progress())
    table = Table(title=f"Artist task: held-out users' artists ({name}, content from the "
                        f"'{model.kind}' model)", title_justify="left")
    columns = ("r_precision", "ndcg@100", "recall@100")
    for column in ("method", *columns):
        table.add_column(column, justify="left" if column == "method" else "right")
    for method, values in scores.items():
        table.add_row(method, *(f"{values[c]:.4f}" for c in columns))
    console = Console()
    console.print(table)
    console.print(f"[dim]seed {seed}: " + ", ".join(
        f"{k.replace('_', ' ')} {v:,}" for k, v in sizes.items())
        + f"; hybrid share {scores['hybrid']['share']:.1f}[/dim]")
    if json_out is not None:
        atomic_write(json_out, json.dumps({"listens": name, "seed": seed, "sizes": sizes,
                                           "scores": scores}, indent=2) + "\n")
        stderr().print(f"Wrote {json_out}")
