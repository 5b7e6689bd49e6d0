"""What every command shares: the options that pick a model, progress on standard
error, and small parsers. Declared once; commands take them through :func:`model_command`."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from musicrec.errors import InvalidArgumentError
from musicrec.progress import Progress


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", envvar="MUSICREC_DATA_DIR",
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
Dataset = Annotated[str, typer.Option("--dataset", "-d", help="Dataset or imported model name.")]
ModelDir = Annotated[
    Path | None,
    typer.Option("--model-dir", help="A model directory made by 'musicrec build' or "
                 "'musicrec import' (instead of a dataset's).", show_default=False),
]
Kind = Annotated[
    str | None,
    typer.Option("--model", "-m", help="How vectors are made. style: audio features plus "
                 "learned genre and playlist style (the default); original: the seed method, "
                 "audio features only; hybrid: style plus what playlists or plays put "
                 "together (ALS); als: playlists or plays only; lightfm: LightFM on them "
                 "(the hybrid extra); audio: how your own files sound (the default for a "
                 "library from 'musicrec library scan').", show_default=False),
]



# ---------------------------------------------------------------- filters
Year = Annotated[str | None, typer.Option(help="Release years, e.g. 1990-1999 or 2015-.",
                                          show_default=False)]
Popularity = Annotated[str | None, typer.Option(help="Popularity 0-100, e.g. 40-80.",
                                                show_default=False)]
Duration = Annotated[str | None, typer.Option(help="Length, m:ss or seconds, e.g. 2:30-4:00.",
                                              show_default=False)]
Genres = Annotated[list[str] | None, typer.Option(
    "--genre", help="Only these genres. Repeatable.", show_default=False)]
ExcludeGenres = Annotated[list[str] | None, typer.Option(
    "--exclude-genre", help="Not these genres. Repeatable.", show_default=False)]
Tags = Annotated[list[str] | None, typer.Option(
    "--tag", help="Only songs with these tags (a library scanned with the tagger: mellow, "
    "80s, female vocalists, ...). Repeatable.", show_default=False)]
NotTags = Annotated[list[str] | None, typer.Option(
    "--not-tag", help="No songs with these tags. Repeatable.", show_default=False)]


def filters_from(year: str | None = None, popularity: str | None = None,
                 duration: str | None = None, genre: list[str] | None = None,
                 exclude_genre: list[str] | None = None, explicit: bool | None = None,
                 no_spoken_word: bool = False, tag: list[str] | None = None,
                 not_tag: list[str] | None = None):
    """The ``Filters`` the filter options ask for (ranges parsed, bad ones refused)."""
    from musicrec.recommend.filters import Filters, parse_range

    return Filters(
        year=parse_range(year, "--year") if year is not None else None,
        popularity=parse_range(popularity, "--popularity") if popularity is not None
        else None,
        duration_ms=parse_range(duration, "--duration", minutes=True)
        if duration is not None else None,
        explicit=explicit,
        exclude_spoken=no_spoken_word,
        genres=list(genre or []),
        exclude_genres=list(exclude_genre or []),
        tags=list(tag or []),
        exclude_tags=list(not_tag or []),
    )

@dataclass(frozen=True)
class ModelChoice:
    """Which model a command works on, as the shared options said."""

    dataset: str = "spotify_songs"
    kind: str | None = None  # None: the dataset's own default (see workspace.default_kind)
    model_dir: Path | None = None
    data_dir: Path | None = None
    cache_dir: Path | None = None

    def open(self, *, spotify=None, features_file: Path | None = None):
        """The Recommender (building the model first if needed, with progress shown)."""
        from musicrec.workspace.models import open_recommender

        with Reporter() as reporter:
            return open_recommender(
                self.dataset, model_path=self.model_dir, data_dir=self.data_dir,
                cache_dir=self.cache_dir, kind=self.kind, progress=reporter.progress(),
                spotify=spotify, features_file=features_file,
            )


_SHARED = (
    ("dataset", Dataset, "spotify_songs"),
    ("kind", Kind, None),
    ("model_dir", ModelDir, None),
    ("data_dir", DataDir, None),
    ("cache_dir", CacheDir, None),
)


def model_command(func):
    """Give a command the shared model options; it receives them as ``where``
    (a :class:`ModelChoice`). ``skip`` names options the command does not take."""
    return _with_options(func, ())


def data_command(func):
    """Like :func:`model_command`, without ``--model-dir`` (for commands that read the
    dataset itself)."""
    return _with_options(func, ("model_dir",))


def _with_options(func, skip: tuple[str, ...]):
    shared = [(n, t, d) for n, t, d in _SHARED if n not in skip]
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "where"]
    added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=t)
             for n, t, d in shared]

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        choice = ModelChoice(**{n: kwargs.pop(n) for n, _, _ in shared})
        return func(*args, where=choice, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*own, *added])
    wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters
                               .values()}
    return wrapper


def stderr():
    """A rich console on standard error (progress, notes, errors)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def plain(value: object):
    """Text shown exactly as it is (rich reads no markup in it): catalog titles and
    artists such as "[:SITD:]", paths, values from a user's file."""
    from rich.text import Text

    return Text("" if value is None else str(value))


def say_notices(notices) -> None:
    """Notes for the user, on standard error."""
    from rich.markup import escape

    err = stderr()
    for note in notices:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")


class Reporter:
    """Shows long steps on stderr: a line per step, a bar for downloads and counted work."""

    def __init__(self) -> None:
        self.console = stderr()
        self._bar = None
        self._task = None
        self._label = None

    def step(self, message: str) -> None:
        self._close_bar()
        from rich.markup import escape

        self.console.print(f"[dim]• {escape(message)}[/dim]")

    def transfer(self, done: int, total: int | None) -> None:
        if self._bar is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TextColumn,
                TransferSpeedColumn,
            )
            from rich.progress import Progress as Bar

            self._start(Bar(TextColumn("  downloading"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), console=self.console, transient=True))
            self._task = self._bar.add_task("download", total=total)
        self._bar.update(self._task, completed=done, total=total)

    def count(self, label: str, done: int, total: int) -> None:
        if self._bar is None or self._label != label:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                ProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar
            from rich.text import Text

            class Rate(ProgressColumn):
                """Items per second (files, tracks), once there is a rate to show."""

                def render(self, task) -> Text:
                    speed = task.finished_speed or task.speed
                    return Text("" if not speed else
                                f"{speed:.1f}/s" if speed < 100 else f"{speed:,.0f}/s")

            self._close_bar()
            self._start(Bar(TextColumn(f"  {label}"), BarColumn(), MofNCompleteColumn(),
                            Rate(), TimeRemainingColumn(), console=self.console,
                            transient=True))
            self._task = self._bar.add_task(label, total=total)
            self._label = label
        self._bar.update(self._task, completed=done, total=total)

    def _start(self, bar) -> None:
        """Show ``bar``; it is ours to stop only once it has started, so a Ctrl-C or
        SIGTERM that lands while it starts leaves nothing half-started to stop."""
        try:
            bar.start()
        except BaseException:
            with contextlib.suppress(Exception):  # rich keeps a stack of live displays
                bar.stop()
            raise
        self._bar = bar

    def _close_bar(self) -> None:
        bar, self._bar, self._label = self._bar, None, None  # never stopped twice
        if bar is not None:
            bar.stop()

    def progress(self) -> Progress:
        return Progress(step=self.step, count=self.count, transfer=self.transfer)

    def __enter__(self) -> Reporter:
        import time

        self._started = time.monotonic()
        return self

    def __exit__(self, kind, *exc) -> None:
        self._close_bar()
        import time

        seconds = time.monotonic() - self._started
        if kind is None and seconds >= SHOW_TOTALS_AFTER:  # a long step: what it cost
            self.console.print(f"[dim]• done in {_duration(seconds)}{_peak_memory()}[/dim]")


#: A Reporter's work that took this many seconds ends with its time and peak memory.
SHOW_TOTALS_AFTER = 5.0


def _peak_memory() -> str:
    """"; peak memory 2.7 GB" for this process (nothing where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return ""
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6
    return f"; peak memory {peak / 1000:.1f} GB" if peak >= 1000 else (
        f"; peak memory {peak:,.0f} MB")


def _duration(seconds: float) -> str:
    """12.3 s, 6 min 43 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def spotify_settings():
    """Spotify settings from the environment (or a .env file)."""
    from musicrec.spotify.settings import SpotifySettings

    cache = os.environ.get("MUSICREC_SPOTIFY_TOKEN_CACHE")
    return SpotifySettings.from_environment(token_cache=Path(cache) if cache else None)


def parse_pairs(pairs: list[str] | None, option: str, allow_empty: bool = False
                ) -> dict[str, str]:
    """NAME=VALUE options into a dict (``allow_empty``: NAME= is kept with an empty value)."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or (not value.strip() and not allow_empty):
            raise InvalidArgumentError(f"bad {option} '{pair}': write NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def parse_weights(pairs: list[str] | None) -> dict[str, float]:
    """FEATURE=WEIGHT options into a dict of numbers."""
    out = {}
    for key, value in parse_pairs(pairs, "--weight").items():
        try:
            out[key] = float(value)
        except ValueError:
            raise InvalidArgumentError(f"bad --weight '{key}={value}': not a number") from None
    return out


def split_features(features: str | None) -> list[str] | None:
    """A comma-separated --features value as a list (None when not given)."""
    if features is None:
        return None
    names = [f.strip() for f in features.split(",") if f.strip()]
    if not names:
        raise InvalidArgumentError("--features is empty")
    return names


def write_csv(frame) -> None:
    """CSV on stdout, list columns written as 'a; b'."""
    import sys

    for column in ("artists", "genres", "tags"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: "; ".join(v) if v is not None else "")
    frame.to_csv(sys.stdout, index=False)
