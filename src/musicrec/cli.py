"""The command line: a thin shell over the Python API (musicrec.service, Recommender)."""

from __future__ import annotations

import json
import os
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from musicrec.errors import InvalidArgumentError, MusicrecError

app = typer.Typer(
    name="musicrec",
    help="Recommend songs that sound like the seed songs you give, from audio features.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="MUSICREC_DATA_DIR",
        help="Folder holding dataset files in musicrec's layout "
        "(e.g. spotify_songs/spotify_songs.csv); nothing is downloaded then.",
        show_default=False,
    ),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir", envvar="MUSICREC_CACHE_DIR",
        help="Where downloads and built models are kept (default: the user cache folder).",
        show_default=False,
    ),
]
Dataset = Annotated[
    str, typer.Option("--dataset", "-d", help="Dataset or imported model name.")
]
ModelPath = Annotated[
    Path | None,
    typer.Option("--model-dir", help="A model directory made by 'musicrec build' or "
                 "'musicrec import' (instead of a dataset's).", show_default=False),
]


class ModelKind(StrEnum):
    style = "style"
    original = "original"


ModelOption = Annotated[
    ModelKind,
    typer.Option("--model", "-m", help="style: audio features plus learned genre and playlist "
                 "style (the default); original: the seed method, audio features only."),
]


def _stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class _Reporter:
    """Shows long steps on stderr: a line per step, a bar for downloads and counted work."""

    def __init__(self) -> None:
        self.console = _stderr()
        self._bar = None
        self._task = None
        self._label = None

    def step(self, message: str) -> None:
        self._close_bar()
        self.console.print(f"[dim]• {message}[/dim]")

    def download(self, done: int, total: int | None) -> None:
        if self._bar is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self._bar = Progress(
                TextColumn("  downloading"), BarColumn(), DownloadColumn(),
                TransferSpeedColumn(), console=self.console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("download", total=total)
        self._bar.update(self._task, completed=done, total=total)

    def count(self, label: str, done: int, total: int) -> None:
        if self._bar is None or self._label != label:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._close_bar()
            self._bar = Progress(
                TextColumn(f"  {label}"), BarColumn(), MofNCompleteColumn(),
                console=self.console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)
            self._label = label
        self._bar.update(self._task, completed=done, total=total)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._label = None

    def progress(self):
        from musicrec.service import Progress

        return Progress(step=self.step, download=self.download, count=self.count)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._close_bar()


def _spotify_settings():
    from musicrec.spotify.settings import SpotifySettings

    cache = os.environ.get("MUSICREC_SPOTIFY_TOKEN_CACHE")
    return SpotifySettings.from_environment(token_cache=Path(cache) if cache else None)


def _open(
    dataset: str, kind: ModelKind, model_dir: Path | None, data_dir: Path | None,
    cache_dir: Path | None, *, spotify=None, features_file: Path | None = None,
):
    """The Recommender; with ``spotify`` settings it also knows added tracks and can look
    Spotify tracks up."""
    from musicrec.service import open_recommender

    with _Reporter() as reporter:
        return open_recommender(
            dataset, model_path=model_dir, data_dir=data_dir, cache_dir=cache_dir,
            method=kind.value, progress=reporter.progress(),
            spotify=spotify, features_file=features_file,
        )


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error (any position).")
    ] = False,
) -> None:
    """Recommend songs that sound like the seed songs you give."""


@app.command()
def recommend(
    seeds: Annotated[
        list[str] | None,
        typer.Argument(help="Seed songs: 'title', 'title - artist', track id or Spotify link.",
                       show_default=False),
    ] = None,
    seed: Annotated[
        list[str] | None,
        typer.Option("--seed", "-s", help="A seed, optionally weighted as SEED:WEIGHT. Repeatable.",
                     show_default=False),
    ] = None,
    negative: Annotated[
        list[str] | None,
        typer.Option("--not", help="Less like this song. Repeatable.", show_default=False),
    ] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="How many tracks (1-1000).")] = 10,
    year: Annotated[str | None, typer.Option(help="Release years, e.g. 1990-1999 or 2015-.",
                                             show_default=False)] = None,
    popularity: Annotated[str | None, typer.Option(help="Popularity 0-100, e.g. 40-80.",
                                                   show_default=False)] = None,
    duration: Annotated[str | None, typer.Option(help="Length, m:ss or seconds, e.g. 2:30-4:00.",
                                                 show_default=False)] = None,
    explicit: Annotated[bool | None, typer.Option("--explicit/--clean",
                        help="Only explicit / only clean tracks.", show_default=False)] = None,
    genre: Annotated[list[str] | None, typer.Option(
        "--genre", help="Only these genres. Repeatable.", show_default=False)] = None,
    exclude_genre: Annotated[list[str] | None, typer.Option(
        "--exclude-genre", help="Not these genres. Repeatable.", show_default=False)] = None,
    artist_cap: Annotated[int, typer.Option(help="At most this many tracks per artist "
                                            "(0: no cap).")] = 2,
    mmr_lambda: Annotated[float, typer.Option(help="1 ranks by similarity; "
                                              "lower values diversify (MMR).")] = 1.0,
    same_cluster: Annotated[bool, typer.Option(
        "--same-cluster", help="Only tracks in a seed's song cluster (see 'musicrec clusters').",
    )] = False,
    export_to: Annotated[Path | None, typer.Option(
        "--export", help="Also save the list as a playlist file: .m3u8, .jspf or .csv.",
        show_default=False)] = None,
    to_spotify: Annotated[str | None, typer.Option(
        "--to-spotify", help="Also save the list as a private Spotify playlist with this name "
        "(needs SPOTIFY_CLIENT_ID/SECRET; asks you to allow it once).", show_default=False,
    )] = None,
    features_file: Annotated[Path | None, typer.Option(
        "--features-file", help="CSV/Parquet with track_id and audio features, for Spotify "
        "seeds outside the catalog.", show_default=False)] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
    dataset: Dataset = "spotify_songs",
    model: ModelOption = ModelKind.style,
    model_dir: ModelPath = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Recommend tracks that sound like the seeds."""
    from musicrec.recommend.filters import Filters, parse_range
    from musicrec.recommend.seeds import Seed, parse_seed

    all_seeds = [Seed(s) for s in (seeds or [])] + [parse_seed(s) for s in (seed or [])]
    if not all_seeds:
        raise InvalidArgumentError(
            "give at least one seed song, e.g. musicrec recommend \"Blinding Lights\""
        )
    negatives = [Seed(s) for s in (negative or [])]
    filters = Filters(
        year=parse_range(year, "--year") if year is not None else None,
        popularity=parse_range(popularity, "--popularity") if popularity is not None else None,
        duration_ms=parse_range(duration, "--duration", minutes=True)
        if duration is not None else None,
        explicit=explicit,
        genres=list(genre or []),
        exclude_genres=list(exclude_genre or []),
    )
    from musicrec import export

    export_format = export.format_of(export_to) if export_to is not None else None
    spotify = _spotify_settings()
    if to_spotify is not None:
        spotify.require("--to-spotify")
    rec = _open(dataset, model, model_dir, data_dir, cache_dir, spotify=spotify,
                features_file=features_file)
    err = _stderr()
    try:
        result = rec.recommend(
            all_seeds, k, negatives=negatives, filters=filters,
            artist_cap=None if artist_cap == 0 else artist_cap, mmr_lambda=mmr_lambda,
            same_cluster=same_cluster,
        )
    finally:
        for note in getattr(rec.lookup, "notes", []):
            err.print(f"[yellow]note:[/yellow] {note}")
    for notice in result.notices:
        err.print(f"[yellow]note:[/yellow] {notice}")
    _print_results(result, output)
    ids = [r.track_id for r in result.results]
    if export_to is not None:
        title = "musicrec: like " + ", ".join(s.label for s in result.seeds)
        export.write_playlist(export_to, export.render(rec.catalog, ids, export_format, title))
        err.print(f"Saved {len(ids)} tracks to {export_to}")
    if to_spotify is not None:
        made = rec.lookup.client.create_playlist(to_spotify, ids)
        err.print(f"Created the private Spotify playlist '{to_spotify}' with {made.added} "
                  f"tracks: {made.url or made.playlist_id}")


def _print_results(result, output: OutputFormat) -> None:
    records = result.to_records()
    if output is OutputFormat.json:
        for r in records:
            r.pop("reasons", None)
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        return
    if output is OutputFormat.csv:
        _write_csv(result.to_frame())
        return
    from rich.console import Console
    from rich.table import Table

    seeds = ", ".join(s.label for s in result.seeds)
    title = f"Like {seeds}"
    if result.negatives:
        title += f", unlike {', '.join(s.label for s in result.negatives)}"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("track")
    table.add_column("artist")
    table.add_column("year", justify="right")
    table.add_column("score", justify="right")
    table.add_column("why")
    for r in result.results:
        table.add_row(str(r.rank), r.name or "", ", ".join(r.artists),
                      "" if r.year is None else str(r.year), f"{r.score:.3f}", r.why)
    Console().print(table)


def _write_csv(frame) -> None:
    """CSV on stdout, list columns written as 'a; b'."""
    for column in ("artists", "genres"):
        frame[column] = frame[column].map(lambda v: "; ".join(v) if v is not None else "")
    frame.to_csv(sys.stdout, index=False)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words of a title and/or artist.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 10,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    dataset: Dataset = "spotify_songs",
    model: ModelOption = ModelKind.style,
    model_dir: ModelPath = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """List catalog tracks (and tracks you added) that match TEXT; use an id as a seed."""
    rec = _open(dataset, model, model_dir, data_dir, cache_dir, spotify=_spotify_settings())
    hits = rec.search(text, limit)
    if output is OutputFormat.json:
        sys.stdout.write(hits.to_json(orient="records", force_ascii=False, indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        _write_csv(hits)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Tracks matching '{text}'", title_justify="left")
    for column in ("match", "track_id", "track", "artist", "year", "popularity"):
        table.add_column(column, justify="right" if column in ("match", "year", "popularity")
                         else "left")
    for row in hits.itertuples(index=False):
        table.add_row(
            f"{row.match:.0f}", row.track_id, str(row.name), ", ".join(row.artists or []),
            "" if row.year is None or row.year != row.year else str(row.year),
            "" if row.popularity is None or row.popularity != row.popularity
            else str(row.popularity),
        )
    Console().print(table)


@app.command()
def info(
    dataset: Dataset = "spotify_songs",
    model: ModelOption = ModelKind.style,
    model_dir: ModelPath = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Describe the catalog and the built model."""
    from rich.console import Console
    from rich.table import Table

    rec = _open(dataset, model, model_dir, data_dir, cache_dir)
    manifest = rec.model.manifest
    tracks = rec.catalog.tracks
    table = Table(show_header=False, title="musicrec model", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    years = tracks["year"].dropna()
    rows = [
        ("model", str(rec.model.path)),
        ("dataset", manifest.get("dataset", "")),
        ("built", manifest.get("created", "")),
        ("tracks", f"{len(tracks):,}"),
        ("artists", f"{len(set(rec.catalog.artist_codes)):,}"),
        ("playlists", f"{manifest['counts'].get('playlists', 0):,}"),
        ("memberships", f"{manifest['counts'].get('interactions', 0):,}"),
        ("years", f"{years.min()}-{years.max()}" if len(years) else "unknown"),
        ("genres", f"{len(rec.catalog.genre_names):,} "
         f"(most common: {', '.join(rec.catalog.genre_names[:8])})"),
        ("features", ", ".join(rec.space.features_)),
        ("style", "-" if rec.space.style is None else
         f"learned genre, subgenre and playlist style, {rec.space.style.artist_share:.0%} from "
         f"the artist's tracks ({rec.space.dims_} dimensions in all)"),
        ("neighbours", "-" if rec.model.neighbours is None else
         f"{rec.model.neighbours.width} per track, precomputed for one-track queries"),
        ("sources", ", ".join(s["path"] for s in manifest.get("sources", [])) or "-"),
        ("built with", ", ".join(f"{k} {v}" for k, v in manifest.get("libraries", {}).items())),
    ]
    for key, value in rows:
        table.add_row(key, value)
    Console().print(table)


def _parse_pairs(pairs: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidArgumentError(f"bad {option} '{pair}': write NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def _parse_weights(pairs: list[str] | None) -> dict[str, float]:
    out = {}
    for key, value in _parse_pairs(pairs, "--weight").items():
        try:
            out[key] = float(value)
        except ValueError:
            raise InvalidArgumentError(f"bad --weight '{key}={value}': not a number") from None
    return out


def _split_features(features: str | None) -> list[str] | None:
    if features is None:
        return None
    names = [f.strip() for f in features.split(",") if f.strip()]
    if not names:
        raise InvalidArgumentError("--features is empty")
    return names


@app.command()
def build(
    dataset: Dataset = "spotify_songs",
    features: Annotated[str | None, typer.Option(
        help="Comma-separated feature columns (default: the seed method's, where present).",
        show_default=False)] = None,
    weight: Annotated[list[str] | None, typer.Option(
        "--weight", help="FEATURE=WEIGHT to make a feature count more or less. Repeatable.",
        show_default=False)] = None,
    model: ModelOption = ModelKind.style,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Build (or rebuild) the model for a dataset."""
    from musicrec.service import build_dataset_model

    with _Reporter() as reporter:
        built = build_dataset_model(
            dataset, data_dir=data_dir, cache_dir=cache_dir,
            features=_split_features(features), weights=_parse_weights(weight),
            method=model.value, progress=reporter.progress(),
        )
    style = "" if built.space.style is None else " plus learned style"
    _stderr().print(
        f"Built model '{dataset}' ({model.value}): {len(built.catalog):,} tracks, "
        f"{len(built.space.features_)} features{style}, at {built.path}"
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file of tracks.")],
    name: Annotated[str, typer.Option("--name", help="Name of the model to create.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="CANONICAL=COLUMN, e.g. title=name, artist=artists. Repeatable.",
        show_default=False)] = None,
    features: Annotated[str | None, typer.Option(help="Comma-separated feature columns.",
                                                 show_default=False)] = None,
    cache_dir: CacheDir = None,
) -> None:
    """Import any track table through a column mapping and build a model from it."""
    from musicrec.service import import_file

    with _Reporter() as reporter:
        model = import_file(
            file, _parse_pairs(map_, "--map"), name, cache_dir=cache_dir,
            features=_split_features(features), progress=reporter.progress(),
        )
    _stderr().print(
        f"Imported {len(model.catalog):,} tracks as '{name}'. "
        f"Try: musicrec recommend --dataset {name} \"<a title from the file>\""
    )


@app.command()
def evaluate(
    queries: Annotated[int, typer.Option(help="Query tracks for genre precision.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the splits and samples.")] = 0,
    part: Annotated[str, typer.Option(
        help="test: the held-out split; validation: a split inside the training part, "
        "for choosing settings.")] = "test",
    methods: Annotated[str, typer.Option(
        help="Comma-separated: random, popularity, original, musicrec.")] = (
        "random,popularity,original,musicrec"),
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the results as JSON here.", show_default=False)] = None,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", help="Also write a PNG comparing the methods here.", show_default=False)] = None,
    dataset: Dataset = "spotify_songs",
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Measure recommendation quality against baselines on seeded, documented splits."""
    from musicrec.evaluation.harness import EvaluationSettings
    from musicrec.evaluation.harness import evaluate as run_evaluation
    from musicrec.evaluation.methods import make_methods
    from musicrec.evaluation.report import plot, sections, table_rows
    from musicrec.service import dataset_catalog

    chosen = make_methods([m.strip() for m in methods.split(",") if m.strip()], seed)
    settings = EvaluationSettings(seed=seed, queries=queries, part=part)
    with _Reporter() as reporter:
        catalog = dataset_catalog(dataset, data_dir=data_dir, cache_dir=cache_dir,
                                  progress=reporter.progress())
        result = run_evaluation(catalog, chosen, settings, say=reporter.step)
    from rich.console import Console
    from rich.table import Table

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
        _write_atomic(json_out, json.dumps(result.to_dict(), indent=2) + "\n")
        _stderr().print(f"Wrote {json_out}")
    if plot_out is not None:
        plot(result, plot_out)
        _stderr().print(f"Wrote {plot_out}")


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
def clusters(
    k: Annotated[str | None, typer.Option(
        "--k", help="Refit with this many song clusters, or 'auto' to choose by silhouette "
        "(5-30), and save them in the model. Default: the model's clusters as built.",
        show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of KMeans.")] = 0,
    dataset: Dataset = "spotify_songs",
    model: ModelOption = ModelKind.style,
    model_dir: ModelPath = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Describe the song clusters: size, what sets each apart, genres, examples."""
    from rich.console import Console
    from rich.table import Table

    from musicrec.analysis.clusters import choose_k, fit_clusters, mean_text, summarize
    from musicrec.artifact import replace_clusters
    from musicrec.features.space import feature_matrix

    rec = _open(dataset, model, model_dir, data_dir, cache_dir)
    saved = rec.model.clusters
    catalog = rec.catalog
    console = Console()
    raw = feature_matrix(catalog.tracks, saved.songs.features)
    if k is not None:
        wanted = _k_option(k)
        with _Reporter() as reporter:
            if wanted is None:
                reporter.step("Choosing k by silhouette over 5-30")
                songs, scores = choose_k(raw, saved.songs.features, range(5, 31), seed,
                                         progress=lambda d, t: reporter.count("k", d, t))
                console.print("silhouette by k: " + ", ".join(
                    f"{kk}: {v:.3f}" for kk, v in scores.items()))
            else:
                reporter.step(f"Fitting {wanted} song clusters")
                songs = fit_clusters(raw, saved.songs.features, wanted, seed)
            saved.songs = songs
            rec.model.clusters = replace_clusters(rec.model.path, saved).clusters
        saved = rec.model.clusters
    songs = saved.songs
    summaries = summarize(songs, raw, catalog.column("genres"), catalog.label)
    table = Table(title=f"{songs.k} song clusters (silhouette {songs.silhouette:.3f}; "
                  "features: cluster mean vs all songs)", title_justify="left", show_lines=True)
    for column in ("#", "size", "sets it apart", "genres", "examples"):
        table.add_column(column, justify="right" if column in ("#", "size") else "left")
    for c in summaries:
        apart = "\n".join(mean_text(*d) for d in c.distinctive)
        genres = ", ".join(f"{g} ({n})" for g, n in c.genres)
        table.add_row(str(c.cluster), f"{c.size:,}", apart, genres, "\n".join(c.examples))
    console.print(table)


@app.command()
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
    dataset: Dataset = "spotify_songs",
    model: ModelOption = ModelKind.style,
    model_dir: ModelPath = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Write the analysis figures (four PNGs) and interactive cluster maps (HTML)."""
    import time

    from musicrec.analysis.figures import write_figures
    from musicrec.data.importers.kaggle import read_genre_profiles, read_year_profiles

    side = (data_dir / "kaggle_1921_2020") if data_dir is not None else None
    if genres_file is None and side is not None and (side / "data_by_genres.csv").is_file():
        genres_file = side / "data_by_genres.csv"
    if years_file is None and side is not None and (side / "data_by_year.csv").is_file():
        years_file = side / "data_by_year.csv"
    started = time.perf_counter()
    rec = _open(dataset, model, model_dir, data_dir, cache_dir)
    with _Reporter() as reporter:
        written = write_figures(
            rec.catalog, rec.model.clusters, out,
            genre_table=read_genre_profiles(genres_file) if genres_file else None,
            year_table=read_year_profiles(years_file) if years_file else None,
            seed=seed, say=reporter.step,
        )
    err = _stderr()
    for path in written:
        err.print(f"Wrote {path}")
    err.print(f"[dim]{time.perf_counter() - started:.1f} s[/dim]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on. 127.0.0.1 keeps it on this "
                                      "machine; 0.0.0.0 exposes it to the network.")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Server processes.")] = 1,
    dataset: Dataset = "spotify_songs",
    model: ModelOption = ModelKind.style,
    model_dir: ModelPath = None,
    data_dir: DataDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Serve the REST API and the web page (open http://HOST:PORT/ in a browser)."""
    import uvicorn

    from musicrec.api.app import ENV_PREFIX, create_app

    rec = _open(dataset, model, model_dir, data_dir, cache_dir)  # builds the model if needed
    _stderr().print(f"musicrec: open http://{host}:{port}/ (API docs at /docs); Ctrl+C stops")
    if workers == 1:
        uvicorn.run(create_app(rec), host=host, port=port, log_level="warning")
        return
    settings = {"DATASET": dataset, "METHOD": model.value, "MODEL_DIR": model_dir,
                "DATA_DIR": data_dir, "CACHE_DIR": cache_dir}
    for name, value in settings.items():
        if value is not None:
            os.environ[ENV_PREFIX + name] = str(value)
    uvicorn.run("musicrec.api.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def run(argv: list[str]) -> int:
    """Run the CLI on ``argv``; returns the exit code. Errors never show a traceback
    unless ``--debug`` is among the arguments (or MUSICREC_DEBUG=1)."""
    debug = "--debug" in argv or os.environ.get("MUSICREC_DEBUG") == "1"
    argv = [a for a in argv if a != "--debug"]
    try:
        app(args=argv, prog_name="musicrec")  # standalone: usage errors exit 2 by themselves
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except MusicrecError as exc:
        if debug:
            traceback.print_exc()
        _stderr().print(f"[red]error:[/red] {exc}", markup=True)
        return 1
    except KeyboardInterrupt:
        _stderr().print("interrupted")
        return 130
    except OSError as exc:  # a file or folder the user named cannot be read or written
        if debug:
            traceback.print_exc()
        from rich.markup import escape

        where = f"{exc.filename}: " if exc.filename else ""
        _stderr().print(f"[red]error:[/red] {escape(where + str(exc.strerror or exc))}")
        return 1
    except Exception as exc:  # a bug: say so briefly; --debug shows where
        if debug:
            traceback.print_exc()
        _stderr().print(
            f"[red]unexpected error:[/red] {type(exc).__name__}: {exc}\n"
            "Run again with --debug for the traceback, and please report it."
        )
        return 1


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
