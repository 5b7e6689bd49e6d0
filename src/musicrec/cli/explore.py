"""Explore commands: ``clusters`` and ``figures``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import ModelChoice, Reporter, model_command, plain, stderr
from musicrec.errors import InvalidArgumentError


def _k_option(k: str) -> int | None:
    if k == "auto":
        return None
    try:
        value = int(k)
    except ValueError:
        raise InvalidArgumentError(f"--k must be a whole number or 'auto' (got '{k}')") from None
    if value < 2:
        raise InvalidArgumentError(f"--k must be at least 2 (got {value})")
    return value


@app.command()
@model_command
def clusters(
    k: Annotated[str | None, typer.Option(
        "--k", help="Refit with this many song clusters, or 'auto' to choose by silhouette "
        "(5-30), and save them in the model. Default: the model's clusters as built.",
        show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of KMeans.")] = 0,
    *,
    where: ModelChoice,
) -> None:
    """Describe the song clusters: size, what sets each apart, genres, examples."""
    from rich.console import Console
    from rich.table import Table

    from musicrec.analysis.clusters import mean_text, summarize
    from musicrec.data.schema import feature_matrix
    from musicrec.workspace.models import refit_clusters

    model = where.open().model
    console = Console()
    if k is not None:
        wanted = _k_option(k)
        with Reporter() as reporter:
            model, scores = refit_clusters(model, wanted, seed, reporter.progress())
        if scores:
            console.print("silhouette by k: " + ", ".join(
                f"{kk}: {v:.3f}" for kk, v in scores.items()))
    songs, catalog = model.clusters.songs, model.catalog
    raw = feature_matrix(catalog.tracks, songs.features)
    summaries = summarize(songs, raw, catalog.column("genres"), catalog.label)
    table = Table(title=f"{songs.k} song clusters (silhouette {songs.silhouette:.3f}; "
                  "features: cluster mean vs all songs)", title_justify="left", show_lines=True)
    for column in ("#", "size", "sets it apart", "genres", "examples"):
        table.add_column(column, justify="right" if column in ("#", "size") else "left")
    for c in summaries:
        apart = "\n".join([*(mean_text(*d) for d in c.distinctive),
                            *([f"commonest key {c.key}"] if c.key else [])])
        genres = ", ".join(f"{g} ({n})" for g, n in c.genres)
        table.add_row(str(c.cluster), f"{c.size:,}", plain(apart), plain(genres),
                      plain("\n".join(c.examples)))
    console.print(table)


@app.command()
@model_command
def figures(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the figures to.")] = (
        Path("figures")),
    genres_file: Annotated[Path | None, typer.Option(
        help="Mean features per genre (data_by_genres.csv); default: the one in the data "
        "folder when present, else the catalog's genres.", show_default=False)] = None,
    years_file: Annotated[Path | None, typer.Option(
        help="Mean features per year (data_by_year.csv); default: the one in the data "
        "folder when present, else the catalog's years.", show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of t-SNE and PCA.")] = 0,
    *,
    where: ModelChoice,
) -> None:
    """Write the analysis figures (four PNGs) and interactive cluster maps (HTML)."""
    from musicrec.analysis.figures import write_figures
    from musicrec.io import check_output
    from musicrec.workspace.datasets import profile_tables

    check_output(out, folder=True)
    started = time.perf_counter()
    genre_table, year_table = profile_tables(where.data_dir, genres_file, years_file)
    model = where.open().model
    with Reporter() as reporter:
        written = write_figures(model.catalog, model.clusters, out, genre_table=genre_table,
                                year_table=year_table, seed=seed,
                                progress=reporter.progress())
    err = stderr()
    for path in written:
        err.print(f"Wrote {path}")
    err.print(f"[dim]{time.perf_counter() - started:.1f} s[/dim]")
