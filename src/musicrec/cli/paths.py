"""``musicrec path``: from one song to another in small steps, every step a real track."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import (
    Duration,
    ExcludeGenres,
    Genres,
    ModelChoice,
    NotTags,
    OutputFormat,
    Popularity,
    Tags,
    Year,
    filters_from,
    model_command,
    say_notices,
    stderr,
)
from musicrec.recommend.request import DEFAULTS, LIMITS, PATH_STEP_LIMITS, PATH_STEPS


@app.command()
@model_command
def path(
    start: Annotated[str, typer.Argument(help="Where the path starts: 'title', 'title - "
                                         "artist', track id or Spotify link.")],
    end: Annotated[str, typer.Argument(help="Where it ends.")],
    steps: Annotated[int, typer.Option(
        "--steps", help=f"Steps from start to end ({PATH_STEP_LIMITS[0]}-{PATH_STEP_LIMITS[1]})"
        ": the path has one track more.")] = PATH_STEPS,
    year: Year = None,
    popularity: Popularity = None,
    duration: Duration = None,
    genre: Genres = None,
    exclude_genre: ExcludeGenres = None,
    tag: Tags = None,
    not_tag: NotTags = None,
    artist_cap: Annotated[int, typer.Option(
        "--artist-cap", help=f"At most this many tracks per artist on the path "
        f"({LIMITS['artist_cap'][0]:g}-{LIMITS['artist_cap'][1]:g}; 0: no cap).")] = int(
        DEFAULTS["artist_cap"]),
    export_to: Annotated[Path | None, typer.Option(
        "--export", help="Also save the path as a playlist file: .m3u8, .jspf or .csv.",
        show_default=False)] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table),
    *,
    where: ModelChoice,
) -> None:
    """A path of songs from START to END, each step a small one (the mix of a DJ set)."""
    from musicrec import export
    from musicrec.cli.recommend import _print_results
    from musicrec.recommend.request import RecommendRequest

    filters = filters_from(year, popularity, duration, genre, exclude_genre, tag=tag,
                           not_tag=not_tag)  # of the steps
    RecommendRequest([start, end], artist_cap=artist_cap, filters=filters)  # checked early
    export_format = None
    if export_to is not None:  # before any work: a bad path fails at once
        from musicrec.io import check_output

        export_format = export.format_of(check_output(export_to))
    rec = where.open()
    result = rec.path(start, end, steps, filters=filters, artist_cap=artist_cap)
    say_notices(result.notices)
    first, last = (s.label for s in result.seeds)
    title = f"From {first} to {last} in {len(result.results) - 1} steps"
    _print_results(result, output, title=title)
    if export_to is not None:
        ids = [r.track_id for r in result.results]
        export.write_playlist(export_to, export.render(rec.catalog, ids, export_format,
                                                      "musicrec: " + title))
        stderr().print(f"Saved {len(ids)} tracks to {export_to}")
