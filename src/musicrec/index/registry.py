"""Index backends by name, and saving or loading an index as a self-describing folder.

``index.json`` in the folder names the backend, its format version and the shape of the
vectors it was built for; loading refuses a folder whose description does not match.
Registering a backend (``@register``) is all it takes to make it buildable by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from musicrec.errors import InvalidArgumentError, ModelIntegrityError
from musicrec.index.base import Index
from musicrec.index.exact import ExactIndex
from musicrec.index.hnsw import HnswIndex
from musicrec.index.ivf import IvfIndex
from musicrec.index.neighbours import MAX_TRACKS, NeighbourIndex
from musicrec.io import atomic_write
from musicrec.progress import Progress

DESCRIPTION = "index.json"
BACKENDS: dict[str, type[Index]] = {}


def register(cls: type[Index]) -> type[Index]:
    """Class decorator: make an Index backend known by its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    BACKENDS[cls.name] = cls
    return cls


register(ExactIndex)
register(NeighbourIndex)
register(HnswIndex)
register(IvfIndex)


def backend(name: str) -> type[Index]:
    """The backend class called ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise InvalidArgumentError(
            f"unknown index '{name}'; choose one of {', '.join(sorted(BACKENDS))}"
        ) from None


def default_backend(n_rows: int) -> str:
    """The backend a catalog of ``n_rows`` tracks gets when none is asked for: the
    neighbour table up to ``MAX_TRACKS`` (its build grows with the square of the size),
    the HNSW graph above (an exact scan there costs milliseconds per query; see
    docs/performance.md)."""
    return NeighbourIndex.name if n_rows <= MAX_TRACKS else HnswIndex.name


def build_index(
    vectors: np.ndarray, name: str | None = None, progress: Progress | None = None
) -> Index:
    """Build the backend ``name`` (default: :func:`default_backend`) over ``vectors``."""
    chosen = backend(name or default_backend(len(vectors)))
    if progress is not None and len(vectors) > 100_000:
        progress.say(f"Indexing {len(vectors):,} vectors ({chosen.name})")
    return chosen.build(vectors, progress)


def save_index(index: Index, directory: Path) -> list[Path]:
    """Write ``index`` into ``directory`` (created); returns every file written."""
    directory.mkdir(parents=True, exist_ok=True)
    saved = index.save(directory)
    description = {"backend": index.name, "rows": int(index.vectors.shape[0]),
                   "dims": int(index.vectors.shape[1]), **saved}
    atomic_write(directory / DESCRIPTION, json.dumps(description, indent=1))
    return [directory / DESCRIPTION, *(directory / f for f in saved.get("files", []))]


def load_index(directory: Path, vectors: np.ndarray) -> Index:
    """The index saved in ``directory``, for these ``vectors``; checked on load."""
    path = directory / DESCRIPTION
    try:
        description = json.loads(path.read_text())
        name = description["backend"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelIntegrityError(f"{path} does not describe an index ({exc})") from exc
    if name not in BACKENDS:
        raise ModelIntegrityError(f"{path} names an unknown index backend '{name}'")
    if (description.get("rows"), description.get("dims")) != tuple(vectors.shape):
        raise ModelIntegrityError(
            f"the index in {directory} was built for {description.get('rows')} vectors of "
            f"{description.get('dims')} dimensions, not {vectors.shape[0]} of {vectors.shape[1]}"
        )
    return BACKENDS[name].load(directory, vectors, description)
