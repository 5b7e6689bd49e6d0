"""``musicrec radio``: a station from seed songs, steered by likes and skips."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import (
    Genres,
    ModelChoice,
    NotTags,
    Tags,
    Year,
    filters_from,
    model_command,
    plain,
    say_notices,
    stderr,
)
from musicrec.recommend.request import DEFAULTS, LIMITS

ANSWERS = {"l": "like", "like": "like", "s": "skip", "skip": "skip", "": None, "n": None,
           "next": None}


@app.command()
@model_command
def radio(
    seeds: Annotated[list[str], typer.Argument(help="Seed songs: 'title', 'title - artist', "
                                               "track id or Spotify link.")],
    year: Year = None,
    genre: Genres = None,
    tag: Tags = None,
    not_tag: NotTags = None,
    artist_cap: Annotated[int, typer.Option(
        "--artist-cap", help=f"At most this many tracks per artist in each answer "
        f"({LIMITS['artist_cap'][0]:g}-{LIMITS['artist_cap'][1]:g}; 0: no cap).")] = int(
        DEFAULTS["artist_cap"]),
    *,
    where: ModelChoice,
) -> None:
    """Play a station: one song at a time; answer l (like), s (skip), Enter (next) or q
    (quit). Likes pull the station towards them, skips push it away; nothing repeats."""
    from musicrec.recommend.radio import Radio
    from musicrec.recommend.seeds import parse_seed

    filters = filters_from(year, genre=genre, tag=tag, not_tag=not_tag)
    rec = where.open()
    station_radio = Radio(rec, max_stations=1)
    station, result = station_radio.start([parse_seed(s) for s in seeds], n=1,
                                          filters=filters, artist_cap=artist_cap)
    say_notices(result.notices)
    err, played = stderr(), 0
    while result.results:
        track = result.results[0]
        played += 1
        line = f"{played}. {track.name} - {', '.join(track.artists)}"
        line += f" ({track.year})" if track.year else ""
        print(line, flush=True)
        err.print(plain(f"   {track.why}"))
        answer = _ask()
        if answer == "quit":
            break
        result = station_radio.next(station, answer, n=1)
    else:
        err.print("The station has run out of songs that pass the filters.")
    err.print(f"Played {played} songs.")


def _ask() -> str | None:
    """The listener's answer: "like", "skip", None (next) or "quit" (also at the end of
    the input)."""
    while True:
        sys.stderr.write("   [l]ike, [s]kip, Enter for next, [q]uit: ")
        sys.stderr.flush()
        given = sys.stdin.readline()
        if not given:
            return "quit"
        given = given.strip().lower()
        if given in ("q", "quit"):
            return "quit"
        if given in ANSWERS:
            return ANSWERS[given]
