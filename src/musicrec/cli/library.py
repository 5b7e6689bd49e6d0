"""``musicrec library``: your own audio files as a catalog (scan, duplicates, match)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import (
    CacheDir,
    ModelChoice,
    OutputFormat,
    Reporter,
    model_command,
    plain,
    say_notices,
    stderr,
)

library_app = typer.Typer(help="Your own audio files: scan them into a library that "
                          "'recommend --dataset library' uses; find duplicates; match "
                          "your songs against another catalog.", no_args_is_help=True,
                          rich_markup_mode=None)
app.add_typer(library_app, name="library")

LibraryName = Annotated[str, typer.Option("--name", help="The library's dataset name.")]


@library_app.command()
def scan(
    folders: Annotated[list[Path], typer.Argument(help="Folders (or files) of audio: mp3, "
                                                  "flac, ogg/opus, m4a, wav.")],
    name: LibraryName = "library",
    full: Annotated[bool, typer.Option(
        "--full", help="Analyse whole files (default: 60 s from the middle of each).")] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, max=256, help="Worker processes (default: the cores other "
        "programs leave free, all of them on an idle machine).",
        show_default=False)] = None,
    max_minutes: Annotated[float | None, typer.Option(
        "--max-minutes", min=0.1, help="Leave out files longer than this (DJ sets, "
        "audiobooks).", show_default=False)] = None,
    min_seconds: Annotated[float | None, typer.Option(
        "--min-seconds", min=0.0, help="Leave out files shorter than this (intros, "
        "jingles; e.g. 60).", show_default=False)] = None,
    tagger: Annotated[bool | None, typer.Option(
        "--tagger/--no-tagger", help="Hear the songs with the pretrained tagger too (genre, "
        "mood and vocal tags; default: when 'library tagger install' has been run).",
        show_default=False)] = None,
    cache_dir: CacheDir = None,
) -> None:
    """Analyse audio files (unchanged ones come from the cache) and build the library."""
    from musicrec.workspace.libraries import scan_library

    try:
        with Reporter() as reporter:
            model, report = scan_library(
                folders, name=name, cache_dir=cache_dir, full=full, jobs=jobs,
                max_minutes=max_minutes, min_seconds=min_seconds, tagger=tagger,
                progress=reporter.progress())
    except KeyboardInterrupt:
        say_notices([f"the library '{name}' and its model are as they were; the analyses "
                     "finished before the interrupt are kept, so the next scan goes on from "
                     "there"])
        raise
    err = stderr()
    for line in report.summary():
        err.print(plain(line))
    err.print(plain(f"Library '{name}': {len(model.catalog):,} songs. Try: musicrec "
                    f"recommend --dataset {name} \"{model.catalog.tracks['name'].iloc[0]}\""))


@library_app.command()
def duplicates(
    name: LibraryName = "library",
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    cache_dir: CacheDir = None,
) -> None:
    """List songs the library holds more than once: identical files, re-encodes that
    sound the same, and versions with the same title and artist."""
    from musicrec.workspace.libraries import library_duplicates

    catalog, groups, files = library_duplicates(name, cache_dir)
    paths = files.set_index("track_id")["path"] if len(files) else {}
    found = []
    for number, group in enumerate(groups, 1):
        rows = group["rows"]
        members = group.get("paths") or [paths[t] for t in catalog.tracks["track_id"].iloc[rows]]
        found.append({"group": number, "reason": group["reason"], "score": group["score"],
                      "songs": catalog.labels(rows), "paths": [str(p) for p in members]})
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
        return
    if output is OutputFormat.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(["group", "reason", "score", "path"])
        for g in found:
            for path in g["paths"]:
                writer.writerow([g["group"], g["reason"], g["score"], path])
        return
    if not found:
        stderr().print(plain(f"No duplicates among the {len(catalog):,} songs of '{name}'."))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Duplicates in '{name}'", title_justify="left")
    for column in ("#", "why", "similarity", "files"):
        table.add_column(column)
    for g in found:
        score = "" if g["score"] is None else f"{g['score']:.3f}"
        table.add_row(str(g["group"]), g["reason"], score, plain("\n".join(g["paths"])))
    Console().print(table)


@library_app.command()
@model_command
def match(
    songs: Annotated[list[str], typer.Argument(help="Songs of your library: title, "
                                               "'title - artist' or id.")],
    library: Annotated[str, typer.Option("--library", help="The library the songs are "
                                         "in.")] = "library",
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=500)] = 10,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    *,
    where: ModelChoice,
) -> None:
    """Tracks of another catalog (--dataset, default the Spotify songs) like songs of your
    library, matched through the descriptors both share (the library's are estimates)."""
    from musicrec.cli.recommend import _print_results
    from musicrec.workspace.libraries import library_seed_tracks, recommend_from_library

    tracks = library_seed_tracks(library, songs, where.cache_dir)  # before any model work
    rec = where.open()
    result = recommend_from_library(rec, tracks, k=k)
    say_notices(result.notices)
    _print_results(result, output)


tagger_app = typer.Typer(help="The pretrained music tagger (musicnn, MSD model): genre, mood, "
                         "era and vocal tags and a learned sound embedding for scanned songs.",
                         no_args_is_help=True, rich_markup_mode=None)
library_app.add_typer(tagger_app, name="tagger")


@tagger_app.command("install")
def tagger_install(
    wheel: Annotated[Path | None, typer.Option(
        "--wheel", help="A musicnn-0.1.0 wheel already downloaded (pip download "
        "musicnn==0.1.0 --no-deps), for a machine without the package index.",
        show_default=False)] = None,
    cache_dir: CacheDir = None,
) -> None:
    """Fetch the tagger's weights once (the pinned musicnn 0.1.0 wheel through pip, 29 MB,
    sha256-checked; nothing else is installed) and keep them in the cache."""
    from musicrec.data.registry import default_cache_dir
    from musicrec.features.audio.tagger.weights import install

    with Reporter() as reporter:
        manifest = install(cache_dir or default_cache_dir(), wheel=wheel,
                           progress=reporter.progress())
    stderr().print(plain(
        f"Tagger installed: {manifest['model']} from {manifest['source']} "
        f"({manifest['parameters']:,} weights; {manifest['licence']}). The next "
        "'musicrec library scan' tags your songs."))


@tagger_app.command("info")
def tagger_info(cache_dir: CacheDir = None) -> None:
    """Whether the tagger is installed, and the tags it can give."""
    from musicrec.data.registry import default_cache_dir
    from musicrec.features.audio.tagger.song import MAX_TAGS, TAG_NAMES, TAG_THRESHOLD
    from musicrec.features.audio.tagger.weights import installed, tagger_files

    cache = cache_dir or default_cache_dir()
    manifest = installed(cache)
    out = stderr()
    if manifest is None:
        out.print(plain("The tagger is not installed (musicrec library tagger install)."))
    else:
        out.print(plain(f"Installed: {manifest['model']} from {manifest['source']} at "
                        f"{tagger_files(cache).weights}"))
    out.print(plain(f"A song gets up to {MAX_TAGS} of these {len(TAG_NAMES)} tags, each with "
                    f"probability at least {TAG_THRESHOLD:g}: {', '.join(TAG_NAMES)}"))
