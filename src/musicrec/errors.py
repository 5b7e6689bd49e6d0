"""Exceptions of musicrec's own types; front ends turn them into clear messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def shorten(text: str, limit: int = 60) -> str:
    """Text for a message: at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MusicrecError(Exception):
    """Base class: every error a user can cause or fix is one of these.

    ``notices`` holds what the user should also read (e.g. what a Spotify lookup found
    before it failed); front ends show them with the error.
    """

    notices: list[str] = []  # noqa: RUF012 (set per instance when there is something)


class InvalidArgumentError(MusicrecError, ValueError):
    """An argument is out of range or malformed (k <= 0, a reversed range, ...)."""


class DataFileError(MusicrecError):
    """A data file is missing, unreadable or malformed; names file, row and column."""

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.row = row
        self.column = column
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {problem}")


class DatasetUnavailableError(MusicrecError):
    """A dataset is neither in the data folder nor in the cache and cannot be downloaded."""


class NoResultsError(MusicrecError):
    """Nothing passed the filters: an answer with no track is not a recommendation."""


class OutputPathError(MusicrecError):
    """A file or folder the user asked to write cannot be written there."""


class UnknownTrackError(MusicrecError, LookupError):
    """A seed or track id matches nothing well enough; carries the closest candidates."""

    def __init__(self, query: str, candidates: Sequence[str] = (), reason: str = "") -> None:
        self.query = query
        self.candidates = list(candidates)
        message = reason or f"no track matches '{shorten(query)}'"
        if self.candidates:
            message += ". Closest matches:\n" + "\n".join(f"  - {c}" for c in self.candidates)
        super().__init__(message)


class UnknownGenreError(MusicrecError, LookupError):
    """A genre filter names a genre the catalog does not have."""


class ModelIntegrityError(MusicrecError):
    """A built model directory was changed, truncated or made by an incompatible version."""


class OutdatedModelError(ModelIntegrityError):
    """A model written in another format version; rebuilding it fixes this."""


class ModelNotFoundError(MusicrecError, FileNotFoundError):
    """No built model where one was expected."""


class MissingDependencyError(MusicrecError, ImportError):
    """An optional library a feature needs is not installed (the message says how)."""
