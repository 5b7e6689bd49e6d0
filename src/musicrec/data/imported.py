"""Imported datasets: a user's table, read once by ``musicrec import``, kept in the cache.

``CACHE/datasets/NAME/`` holds the canonical track table as Parquet (and the playlist
tables when the import had any) with ``dataset.json``: where it came from (path, size,
sha256), the column mapping and the import's report. Every command that takes
``--dataset`` reads an imported name from here like a registered dataset, so any model
kind can be built from it. The folder is written under a temporary name and renamed
into place, so an interrupted import leaves the previous one as it was.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from musicrec.data.importers.common import ImportResult
from musicrec.data.schema import conform, empty_interactions
from musicrec.errors import DatasetUnavailableError, ModelIntegrityError
from musicrec.io import staged_directory

FORMAT = "musicrec-imported-dataset"
FORMAT_VERSION = 1
DESCRIPTION = "dataset.json"
TRACKS = "tracks.parquet"
INTERACTIONS = "interactions.parquet"
PLAYLISTS = "playlists.parquet"
EMBEDDINGS = "audio_embeddings.npy"
FILES = "audio_files.parquet"
TAGGER = "audio_tagger.npy"


@dataclass(frozen=True)
class ImportedDataset:
    """An imported dataset in the cache: its folder and what ``dataset.json`` says."""

    name: str
    path: Path
    description: dict[str, Any]

    @property
    def tracks_file(self) -> Path:
        return self.path / TRACKS

    @property
    def tracks(self) -> int:
        return int(self.description.get("tracks", 0))

    @property
    def features(self) -> list[str]:
        return list(self.description.get("features", []))

    @property
    def default_kind(self) -> str | None:
        """The model kind this dataset is built with unless told otherwise."""
        return self.description.get("default_kind")

    @property
    def source(self) -> str:
        return str(self.description.get("source", {}).get("path", "?"))


def imported_dir(cache_dir: Path, name: str) -> Path:
    return Path(cache_dir) / "datasets" / name


def save_imported(cache_dir: Path, name: str, result: ImportResult,
                  mapping: dict[str, str], source: dict[str, Any],
                  extra: dict[str, Any] | None = None) -> ImportedDataset:
    """Write an import's tables into the cache as dataset ``name`` (atomically);
    ``extra`` goes into ``dataset.json`` as it is (a scanned library's settings)."""
    directory = imported_dir(cache_dir, name)
    with staged_directory(directory) as staging:
        description = write_imported(staging, name, result, mapping, source, extra)
    return ImportedDataset(name, directory, description)


def write_imported(directory: Path, name: str, result: ImportResult,
                   mapping: dict[str, str], source: dict[str, Any],
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write dataset ``name``'s files into ``directory`` (a staging folder the caller
    swaps in); returns its description."""
    from musicrec.data.schema import AUDIO_FEATURES

    tracks = result.tracks
    tracks.to_parquet(directory / TRACKS, index=False)
    if len(result.interactions):
        result.interactions.to_parquet(directory / INTERACTIONS, index=False)
    if result.playlists is not None:
        result.playlists.to_parquet(directory / PLAYLISTS, index=False)
    if result.embeddings is not None:
        np.save(directory / EMBEDDINGS, np.asarray(result.embeddings, np.float32),
                allow_pickle=False)
    if result.tagger is not None:
        np.save(directory / TAGGER, np.asarray(result.tagger, np.float32), allow_pickle=False)
    if result.files is not None:
        result.files.to_parquet(directory / FILES, index=False)
    description = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": source, "mapping": dict(mapping),
        "tracks": len(tracks),
        "features": [f for f in AUDIO_FEATURES if tracks[f].notna().any()],
        "playlists": 0 if result.playlists is None else len(result.playlists),
        "report": None if result.report is None else result.report.to_dict(),
        **(extra or {}),
    }
    (directory / DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
    return description


def find_imported(cache_dir: Path, name: str) -> ImportedDataset | None:
    """The imported dataset called ``name``, or None when there is none."""
    directory = imported_dir(cache_dir, name)
    path = directory / DESCRIPTION
    if not path.is_file():
        return None
    try:
        description = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{path} cannot be read ({exc}); import the file again "
                                  "with musicrec import") from exc
    if description.get("format") != FORMAT:
        raise ModelIntegrityError(f"{path} is not an imported dataset")
    return ImportedDataset(name, directory, description)


def list_imported(cache_dir: Path) -> list[ImportedDataset]:
    """Every imported dataset in the cache, by name."""
    root = Path(cache_dir) / "datasets"
    if not root.is_dir():
        return []
    found = (find_imported(cache_dir, p.name) for p in sorted(root.iterdir())
             if p.is_dir() and not p.name.startswith("."))
    return [d for d in found if d is not None]


def read_imported(dataset: ImportedDataset) -> ImportResult:
    """The imported dataset's canonical tables."""
    try:
        tracks = pd.read_parquet(dataset.tracks_file)
        interactions = (pd.read_parquet(dataset.path / INTERACTIONS)
                        if (dataset.path / INTERACTIONS).is_file() else empty_interactions())
        playlists = (pd.read_parquet(dataset.path / PLAYLISTS)
                     if (dataset.path / PLAYLISTS).is_file() else None)
        embeddings = (np.load(dataset.path / EMBEDDINGS, allow_pickle=False)
                      if (dataset.path / EMBEDDINGS).is_file() else None)
        tagger = (np.load(dataset.path / TAGGER, allow_pickle=False)
                  if (dataset.path / TAGGER).is_file() else None)
        files = (pd.read_parquet(dataset.path / FILES)
                 if (dataset.path / FILES).is_file() else None)
    except FileNotFoundError as exc:
        raise DatasetUnavailableError(
            f"the imported dataset '{dataset.name}' is incomplete ({exc.filename} is "
            "missing): import the file again with musicrec import") from exc
    except Exception as exc:
        raise ModelIntegrityError(f"the imported dataset at {dataset.path} cannot be read "
                                  f"({exc}); import the file again") from exc
    if dict(tracks.dtypes) != dict(conform(tracks.head(0), dataset.name).dtypes):
        tracks = conform(tracks, dataset.name)  # written by Spark: its own dtypes
    for column in ("artists", "genres", "tags"):
        tracks[column] = [None if v is None else list(v) for v in tracks[column]]
    if embeddings is not None and embeddings.shape[0] != len(tracks):
        raise ModelIntegrityError(f"the imported dataset at {dataset.path} has "
                                  f"{embeddings.shape[0]} audio embeddings for {len(tracks)} "
                                  "tracks; scan the folder again")
    if tagger is not None and tagger.shape[0] != len(tracks):
        raise ModelIntegrityError(f"the imported dataset at {dataset.path} has "
                                  f"{tagger.shape[0]} tagger outputs for {len(tracks)} "
                                  "tracks; scan the folder again")
    return ImportResult(tracks=tracks, interactions=interactions, playlists=playlists,
                        sources=[dataset.tracks_file], embeddings=embeddings, files=files,
                        tagger=tagger)
