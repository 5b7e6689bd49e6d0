"""A built model is a directory: catalog as Parquet, vectors as .npy, feature space as JSON.

``manifest.json`` records the format version, library versions, row counts, the
sources the model was built from and the sha256 of every file. The directory is
written under a temporary name and renamed into place, so a crash never leaves half a
model; loading verifies the manifest and refuses anything that does not match.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from musicrec.analysis.clusters import (
    GENRE_CLUSTERS,
    SONG_CLUSTERS,
    ModelClusters,
    model_clusters,
)
from musicrec.data.catalog import Catalog
from musicrec.errors import ModelIntegrityError, ModelNotFoundError, OutdatedModelError
from musicrec.features.space import FeatureSpace
from musicrec.index.neighbours import NeighbourTable

FORMAT = "musicrec-model"
FORMAT_VERSION = 3  # 2: neighbour table, style model, clusters; 3: artist context
MANIFEST = "manifest.json"
TRACKS = "tracks.parquet"
INTERACTIONS = "interactions.parquet"
PLAYLISTS = "playlists.parquet"
VECTORS = "vectors.npy"
NEIGHBOURS = "neighbours.npy"
NEIGHBOUR_SCORES = "neighbour_scores.npy"
STYLE = "style.skops"
CLUSTERS = "clusters.json"
SONG_CLUSTER_LABELS = "song_clusters.npy"
FEATURE_SPACE = "feature_space.json"


@dataclass
class Model:
    """A loaded model: catalog, fitted feature space, vectors (memory-mapped), manifest."""

    catalog: Catalog
    space: FeatureSpace
    vectors: np.ndarray
    manifest: dict[str, Any]
    path: Path | None = None
    #: each track's nearest neighbours (memory-mapped), None for very large catalogs
    neighbours: NeighbourTable | None = None
    #: song and genre clusters
    clusters: ModelClusters | None = None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    import platform

    import pyarrow
    import sklearn

    import musicrec

    return {
        "musicrec": musicrec.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "scikit-learn": sklearn.__version__,
    }


def build_model(
    catalog: Catalog,
    directory: str | Path,
    space: FeatureSpace | None = None,
    *,
    dataset: str = "custom",
    sources: list[Path] | None = None,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> Model:
    """Fit the feature space on ``catalog`` and write the model directory atomically.

    ``progress(done, total)`` follows the neighbour table; ``say`` names other long
    steps (fitting the style model). A feature space with a style configuration learns
    from the catalog's playlist genres.
    """
    from musicrec.index.neighbours import MAX_TRACKS, nearest_neighbours

    directory = Path(directory)
    space = space if space is not None else FeatureSpace()
    labels = None
    if space.style is not None:
        from musicrec.data.labels import track_labels

        labels = track_labels(catalog)
    vectors = space.fit_transform(catalog.tracks, labels, say)
    neighbours = (
        nearest_neighbours(vectors, progress=progress) if len(vectors) <= MAX_TRACKS else None
    )
    if say is not None:
        say(f"Clustering songs ({SONG_CLUSTERS}) and genres ({GENRE_CLUSTERS})")
    clusters = model_clusters(catalog, space.features_)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        catalog.tracks.to_parquet(staging / TRACKS, index=False)
        catalog.interactions.to_parquet(staging / INTERACTIONS, index=False)
        files = [TRACKS, INTERACTIONS, VECTORS, FEATURE_SPACE]
        if catalog.playlists is not None:
            catalog.playlists.to_parquet(staging / PLAYLISTS, index=False)
            files.append(PLAYLISTS)
        # column-major: the (d, n) transpose the index multiplies by is a free view
        np.save(staging / VECTORS, np.asfortranarray(vectors), allow_pickle=False)
        (staging / FEATURE_SPACE).write_text(json.dumps(space.to_dict(), indent=2))
        if neighbours is not None:
            np.save(staging / NEIGHBOURS, neighbours.rows, allow_pickle=False)
            np.save(staging / NEIGHBOUR_SCORES, neighbours.scores, allow_pickle=False)
            files += [NEIGHBOURS, NEIGHBOUR_SCORES]
        if space.style is not None:
            space.style_model_.save(staging / STYLE)
            files.append(STYLE)
        write_clusters(staging, clusters)
        files += [CLUSTERS, SONG_CLUSTER_LABELS]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "dataset": dataset,
            "libraries": _library_versions(),
            "counts": {
                "tracks": len(catalog),
                "interactions": len(catalog.interactions),
                "playlists": 0 if catalog.playlists is None else len(catalog.playlists),
                "features": len(space.features_),
            },
            "features": space.features_,
            "style": None if space.style is None else space.style.to_dict(),
            "sources": [source_fingerprint(p) for p in (sources or [])],
            "files": {name: _file_entry(staging / name) for name in files},
        }
        _finish(staging, directory, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return load_model(directory)


def _file_entry(path: Path) -> dict[str, Any]:
    """What the manifest records of a file: its sha256 and size."""
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def _finish(staging: Path, directory: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest into the staging folder and move it into place."""
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
    _swap_into_place(staging, directory)


def write_clusters(directory: Path, clusters: ModelClusters) -> None:
    """The clusters as JSON plus the song labels as .npy, in ``directory``."""
    (directory / CLUSTERS).write_text(json.dumps(clusters.to_dict(), indent=1))
    np.save(directory / SONG_CLUSTER_LABELS, clusters.songs.labels.astype(np.int16),
            allow_pickle=False)


def replace_clusters(directory: str | Path, clusters: ModelClusters) -> Model:
    """Swap new clusters into a built model, atomically: the other files are hard-linked
    (or copied) into a staging directory, the manifest rewritten, then renamed in place."""
    directory = Path(directory)
    model = load_model(directory)
    if len(clusters.songs.labels) != len(model.catalog):
        raise ModelIntegrityError("the clusters do not fit this model's catalog")
    manifest = dict(model.manifest)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for name in manifest["files"]:
            if name in (CLUSTERS, SONG_CLUSTER_LABELS):
                continue
            try:
                os.link(directory / name, staging / name)
            except OSError:
                shutil.copy2(directory / name, staging / name)
        write_clusters(staging, clusters)
        manifest["files"] = {
            **manifest["files"],
            **{name: _file_entry(staging / name) for name in (CLUSTERS, SONG_CLUSTER_LABELS)},
        }
        _finish(staging, directory, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return load_model(directory)


def _fits(table: NeighbourTable, n_tracks: int) -> bool:
    """Whether a loaded neighbour table has the right shapes, types and row numbers."""
    rows, scores = table.rows, table.scores
    return (
        rows.ndim == 2 and rows.shape[0] == n_tracks and rows.shape == scores.shape
        and np.issubdtype(rows.dtype, np.integer) and scores.dtype == np.float32
        and (rows.size == 0 or 0 <= rows.min() <= rows.max() < n_tracks)
    )


def _swap_into_place(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``, replacing an old model only once all is written."""
    old = None
    if directory.exists():
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(directory, old)
    try:
        os.rename(staging, directory)
    except BaseException:
        if old is not None:
            os.rename(old, directory)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def source_fingerprint(path: Path) -> dict[str, Any]:
    """What identifies a source file: path, size, modification time and sha256."""
    path = Path(path)
    stat = path.stat()
    return {
        "path": str(path.resolve()),
        "name": path.name,
        "bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": sha256_file(path),
    }


def sources_match(manifest: dict[str, Any], paths: list[Path]) -> bool:
    """Whether every source the model was built from is among ``paths``, unchanged.

    Files in ``paths`` the model did not read (a dataset's optional side files) are
    ignored. Size and modification time are checked first; sha256 only when they differ.
    """
    by_name = {Path(p).name: Path(p) for p in paths}
    recorded = manifest.get("sources", [])
    if not recorded:
        return False
    for entry in recorded:
        path = by_name.get(entry["name"])
        if path is None:
            return False
        stat = path.stat()
        if stat.st_size != entry["bytes"]:
            return False
        if stat.st_mtime_ns != entry["mtime_ns"] and sha256_file(Path(path)) != entry["sha256"]:
            return False
    return True


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a model directory, checked for format and version."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ModelNotFoundError(f"no model at {directory}; build one with 'musicrec build'")
    if not path.is_file():
        raise ModelIntegrityError(f"{directory} is not a musicrec model ({MANIFEST} is missing)")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"{path} is not valid JSON; rebuild the model") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelIntegrityError(f"{directory} is not a musicrec model")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise OutdatedModelError(
            f"the model at {directory} has format version {manifest.get('format_version')}, "
            f"this musicrec reads version {FORMAT_VERSION}; rebuild it with 'musicrec build'"
        )
    return manifest


def load_model(directory: str | Path, *, verify: bool = True) -> Model:
    """Load a model directory; with ``verify`` every file's sha256 is checked first."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    files = manifest.get("files", {})
    for name in (TRACKS, INTERACTIONS, VECTORS, FEATURE_SPACE, CLUSTERS, SONG_CLUSTER_LABELS):
        if name not in files:
            raise ModelIntegrityError(f"the manifest of {directory} does not list {name}")
    for name, entry in files.items():
        path = directory / name
        if not path.is_file():
            raise ModelIntegrityError(f"the model at {directory} is missing {name}; rebuild it")
        if path.stat().st_size != entry["bytes"] or (
            verify and sha256_file(path) != entry["sha256"]
        ):
            raise ModelIntegrityError(
                f"{name} in {directory} does not match its checksum in {MANIFEST}: the model "
                "was changed or damaged after it was built. Rebuild it with 'musicrec build'."
            )
    try:
        tracks = pd.read_parquet(directory / TRACKS)
        interactions = pd.read_parquet(directory / INTERACTIONS)
        playlists = (
            pd.read_parquet(directory / PLAYLISTS) if PLAYLISTS in files else None
        )
        vectors = np.load(directory / VECTORS, mmap_mode="r", allow_pickle=False)
        neighbours = None
        if NEIGHBOURS in files:
            neighbours = NeighbourTable(
                np.load(directory / NEIGHBOURS, mmap_mode="r", allow_pickle=False),
                np.load(directory / NEIGHBOUR_SCORES, mmap_mode="r", allow_pickle=False),
            )
        space = FeatureSpace.from_dict(json.loads((directory / FEATURE_SPACE).read_text()))
        clusters = ModelClusters.from_dict(
            json.loads((directory / CLUSTERS).read_text()),
            np.load(directory / SONG_CLUSTER_LABELS, allow_pickle=False).astype(np.int64),
        )
        if space.style is not None:
            if STYLE not in files:
                raise ModelIntegrityError(f"the manifest of {directory} does not list {STYLE}")
            space.attach_style(directory / STYLE)  # read only when a new track is embedded
    except ModelIntegrityError:
        raise
    except Exception as exc:  # a file that passed the checksum but cannot be read
        raise ModelIntegrityError(f"the model at {directory} cannot be read ({exc})") from exc
    for column in ("artists", "genres"):
        tracks[column] = [None if v is None else list(v) for v in tracks[column]]
    counts = manifest.get("counts", {})
    if vectors.shape != (len(tracks), space.dims_) or counts.get("tracks") != len(tracks):
        raise ModelIntegrityError(
            f"the model at {directory} is inconsistent: {vectors.shape[0]} vectors for "
            f"{len(tracks)} tracks; rebuild it"
        )
    if neighbours is not None and not _fits(neighbours, len(tracks)):
        raise ModelIntegrityError(
            f"the model at {directory} is inconsistent: its neighbour table does not fit "
            f"its {len(tracks)} tracks; rebuild it"
        )
    catalog = Catalog(tracks, interactions, playlists)
    if len(clusters.songs.labels) != len(tracks):
        raise ModelIntegrityError(
            f"the model at {directory} is inconsistent: its clusters do not fit its tracks"
        )
    return Model(catalog, space, vectors, manifest, directory, neighbours, clusters)
