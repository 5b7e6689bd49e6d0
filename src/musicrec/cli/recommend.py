"""``musicrec recommend`` and ``musicrec search``: translate options into a request."""

from __future__ import annotations

import json
import sys
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
    plain,
    say_notices,
    spotify_settings,
    stderr,
    write_csv,
)
from musicrec.errors import InvalidArgumentError
from musicrec.recommend.request import DEFAULTS, LIMITS


def _limits(name: str) -> str:
    low, high = LIMITS[name]
    return f"{low:g}-{high:g}"


@app.command()
@model_command
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
    k: Annotated[int, typer.Option("--k", "-k", help=f"How many tracks ({_limits('k')}).")] = (
        int(DEFAULTS["k"])),
    year: Year = None,
    popularity: Popularity = None,
    duration: Duration = None,
    explicit: Annotated[bool | None, typer.Option("--explicit/--clean",
                        help="Only explicit / only clean tracks.", show_default=False)] = None,
    no_spoken_word: Annotated[bool, typer.Option(
        "--no-spoken-word", help="Leave out spoken word (speechiness over 0.66: talk, "
        "audiobooks).")] = False,
    genre: Genres = None,
    exclude_genre: ExcludeGenres = None,
    tag: Tags = None,
    not_tag: NotTags = None,
    artist_cap: Annotated[int, typer.Option(
        "--artist-cap", help=f"At most this many tracks per artist ({_limits('artist_cap')}; "
        "0: no cap).")] = int(DEFAULTS["artist_cap"]),
    diversity: Annotated[float, typer.Option(
        "--diversity", help=f"0 ranks by similarity alone; up to 1 trades similarity for "
        f"variety ({_limits('diversity')}, maximal marginal relevance).")] = DEFAULTS["diversity"],
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
    playlist: Annotated[str | None, typer.Option(
        "--playlist", help="Extend a playlist you have: an .m3u8, .jspf or .csv file (any "
        "CSV with title and artist columns), or a Spotify playlist link (needs "
        "SPOTIFY_CLIENT_ID/SECRET). Its tracks are the seeds; none of them comes back.",
        show_default=False)] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table),
    *,
    where: ModelChoice,
) -> None:
    """Recommend tracks that sound like the seeds."""
    from musicrec import export
    from musicrec.recommend.request import RecommendRequest
    from musicrec.recommend.seeds import Seed, parse_seed

    all_seeds = [Seed(s) for s in (seeds or [])] + [parse_seed(s) for s in (seed or [])]
    if playlist is not None and all_seeds:
        raise InvalidArgumentError("give seed songs or --playlist, not both")
    if not all_seeds and playlist is None:
        raise InvalidArgumentError(
            "give at least one seed song, e.g. musicrec recommend \"Blinding Lights\""
        )
    spotify = spotify_settings()
    entries = _playlist_entries(playlist, spotify) if playlist is not None else None
    request = RecommendRequest(
        all_seeds or ["placeholder"],
        negatives=[Seed(s) for s in (negative or [])],
        filters=filters_from(year, popularity, duration, genre, exclude_genre, explicit,
                             no_spoken_word, tag, not_tag),
        k=k, artist_cap=artist_cap, diversity=diversity, same_cluster=same_cluster,
    )
    export_format = None
    if export_to is not None:  # before any work: a bad path fails at once
        from musicrec.io import check_output

        export_format = export.format_of(check_output(export_to))
    if to_spotify is not None:
        spotify.require("--to-spotify")
    rec = where.open(spotify=spotify, features_file=features_file)
    if entries is not None:
        result = rec.extend_playlist(
            entries, k=k, name=playlist, negatives=request.negatives, filters=request.filters,
            artist_cap=artist_cap, diversity=diversity, same_cluster=same_cluster)
    else:
        result = rec.recommend(request)
    if not result.results:
        from musicrec.errors import NoResultsError

        unknown = [n for n in result.notices if "model learned from" in n]
        if unknown:  # a collaborative model that knows none of the seeds
            raise NoResultsError(unknown[0])
        raise NoResultsError(
            "no track passed the filters: loosen --year, --popularity, --duration, "
            "--genre or --exclude-genre, or drop --same-cluster")
    say_notices(result.notices)
    _print_results(result, output)
    ids = [r.track_id for r in result.results]
    err = stderr()
    if export_to is not None:
        title = "musicrec: like " + ", ".join(s.label for s in result.seeds)
        export.write_playlist(export_to, export.render(rec.catalog, ids, export_format, title))
        err.print(f"Saved {len(ids)} tracks to {export_to}")
    if to_spotify is not None:
        from musicrec.spotify.client import save_playlist

        made = save_playlist(spotify, to_spotify, ids)
        err.print(f"Created the private Spotify playlist '{to_spotify}' with {made.added} "
                  f"tracks: {made.url or made.playlist_id}")


def _playlist_entries(playlist: str, spotify):
    """The entries of ``--playlist``: a Spotify playlist link, else a file."""
    from musicrec.playlists import PlaylistEntry, read_playlist_file

    if "spotify.com/playlist/" in playlist or playlist.startswith("spotify:playlist:"):
        from musicrec.spotify.client import SpotifyClient

        spotify.require("--playlist with a Spotify link")
        tracks = SpotifyClient(spotify).playlist_tracks(playlist)
        if not tracks:
            raise InvalidArgumentError(f"the Spotify playlist {playlist} holds no track")
        return [PlaylistEntry(t["name"], (t["artists"] or [None])[0], t["track_id"])
                for t in tracks]
    return read_playlist_file(Path(playlist))


def _print_results(result, output: OutputFormat, title: str | None = None) -> None:
    records = result.to_records()
    if output is OutputFormat.json:
        for r in records:
            r.pop("reasons", None)
            r.pop("duration_ms", None)
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        return
    if output is OutputFormat.csv:
        write_csv(result.to_frame())
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    seeds = escape(", ".join(s.label for s in result.seeds))
    title = escape(title) if title is not None else f"Like {seeds}"
    if result.negatives:
        title += f", unlike {escape(', '.join(s.label for s in result.negatives))}"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("track")
    table.add_column("artist")
    table.add_column("year", justify="right")
    table.add_column("score", justify="right")
    table.add_column("why")
    for r in result.results:
        table.add_row(str(r.rank), plain(r.name), plain(", ".join(r.artists)),
                      "" if r.year is None else str(r.year), f"{r.score:.3f}", plain(r.why))
    Console().print(table)


@app.command()
@model_command
def search(
    text: Annotated[str | None, typer.Argument(help="Words of a title and/or artist.",
                                               show_default=False)] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="Only songs with one of these tags (a library scanned with the tagger: "
        "chill, mellow, 80s, ...); alone, every song with them. Repeatable.",
        show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 10,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    *,
    where: ModelChoice,
) -> None:
    """List catalog tracks (and tracks you added) that match TEXT, or carry a --tag; use an
    id as a seed."""
    if text is None and not tag:
        raise InvalidArgumentError("give words of a title or artist, or --tag")
    rec = where.open(spotify=spotify_settings())
    hits = rec.search(text, limit, tags=tag)
    if output is OutputFormat.json:
        sys.stdout.write(hits.to_json(orient="records", force_ascii=False, indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        write_csv(hits)
        return
    import pandas as pd
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    what = " and ".join(
        ([f"'{escape(text)}'"] if text else []) + ([f"tag {escape(', '.join(tag))}"] if tag
                                                   else []))
    table = Table(title=f"Tracks matching {what}", title_justify="left")
    show_tags = bool(hits["tags"].map(lambda t: t is not None and len(t) > 0).any())
    for column in ("match", "track_id", "track", "artist", "year", "popularity",
                   *(("tags",) if show_tags else ())):
        table.add_column(column, justify="right" if column in ("match", "year", "popularity")
                         else "left")
    def number(value) -> str:  # missing year or popularity: an empty cell
        return "" if value is None or pd.isna(value) else str(int(value))

    for row in hits.itertuples(index=False):
        table.add_row(
            f"{row.match:.0f}", plain(row.track_id), plain(row.name),
            plain(", ".join(row.artists or [])), number(row.year), number(row.popularity),
            *((plain(", ".join(row.tags or [])),) if show_tags else ()),
        )
    Console().print(table)
