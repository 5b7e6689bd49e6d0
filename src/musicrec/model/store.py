"""A built model is a directory: catalog as Arrow IPC, vectors as .npy, feature space as
JSON, the index in its own folder, clusters as JSON and .npy.

``manifest.json`` records the format version, the model kind, the index backend,
library versions, row counts, the sources the model was built from and the sha256 of
every file. The directory is written under a temporary name and renamed into place
(:func:`musicrec.io.staged_directory`), so a crash never leaves half a model; loading
verifies the manifest and refuses anything that does not match. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from musicrec.data.catalog import Catalog
from musicrec.errors import ModelIntegrityError, ModelNotFoundError, OutdatedModelError
from musicrec.features.collaborative import CollaborativeBlock
from musicrec.features.space import FeatureSpace
from musicrec.index import Index, load_index, save_index
from musicrec.io import sha256_file, staged_directory
from musicrec.model.clusters import ModelClusters

FORMAT = "musicrec-model"
#: 2: neighbour table, style model, clusters; 3: artist context; 4: index folder, kind,
#: cluster medians; 5: version keys drop every bracket and artist credits; 6: collaborative
#: factors (learned from interactions) in the feature space; 7: version and artist codes
#: stored with the tracks, IVF index; 8: tracks as Arrow IPC, base titles stored
FORMAT_VERSION = 8
MANIFEST = "manifest.json"
#: Files up to this size are hashed at every load; larger ones when their modification
#: time differs from the one recorded when they were written.
HASH_ALWAYS_BELOW = 64 << 20
TRACKS = "tracks.arrow"
INTERACTIONS = "interactions.parquet"
PLAYLISTS = "playlists.parquet"
VECTORS = "vectors.npy"
STYLE = "style.skops"
CLUSTERS = "clusters.json"
SONG_CLUSTER_LABELS = "song_clusters.npy"
FEATURE_SPACE = "feature_space.json"
INDEX = "index"
REQUIRED = (TRACKS, INTERACTIONS, VECTORS, FEATURE_SPACE, CLUSTERS, SONG_CLUSTER_LABELS,
            f"{INDEX}/index.json")


@dataclass
class Model:
    """A loaded model: catalog, fitted feature space, vectors (memory-mapped), index,
    clusters and manifest."""

    catalog: Catalog
    space: FeatureSpace
    vectors: np.ndarray
    index: Index
    clusters: ModelClusters
    manifest: dict[str, Any]
    path: Path | None = None

    @property
    def kind(self) -> str:
        """The model kind it was built as (see :mod:`musicrec.model.kinds`)."""
        return str(self.manifest.get("kind", ""))


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


def write_model(
    directory: str | Path,
    catalog: Catalog,
    space: FeatureSpace,
    vectors: np.ndarray,
    index: Index,
    clusters: ModelClusters,
    *,
    kind: str,
    dataset: str = "custom",
    sources: list[dict[str, Any]] | None = None,
) -> None:
    """Write a fitted model into ``directory`` atomically; read it back (checked) with
    :func:`load_model`."""
    directory = Path(directory)
    with staged_directory(directory) as staging:
        write_tracks(staging / TRACKS, catalog.tracks)
        catalog.interactions.to_parquet(staging / INTERACTIONS, index=False)
        if catalog.playlists is not None:
            catalog.playlists.to_parquet(staging / PLAYLISTS, index=False)
        _write_vectors(staging / VECTORS, vectors)
        (staging / FEATURE_SPACE).write_text(json.dumps(space.to_dict(), indent=2))
        if space.style is not None:
            space.style_model_.save(staging / STYLE)
        if space.collab_ is not None:
            space.collab_.save(staging)
        save_index(index, staging / INDEX)
        _write_clusters(staging, clusters)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "dataset": dataset,
            "kind": kind,
            "index": index.name,
            "libraries": _library_versions(),
            "counts": {
                "tracks": len(catalog),
                "interactions": len(catalog.interactions),
                "playlists": 0 if catalog.playlists is None else len(catalog.playlists),
                "features": len(space.features_),
            },
            "features": space.features_,
            "estimated_features": _estimated(catalog, space.features_),
            "style": None if space.style is None else space.style.to_dict(),
            "sources": list(sources or []),
        }
        _write_manifest(staging, manifest)


def _estimated(catalog: Catalog, features: list[str]) -> list[str]:
    """The model's features that its catalog holds as estimates (tracks scanned from
    audio files), for explanations and ``info`` to say so."""
    from musicrec.data.schema import AUDIO_SOURCE, ESTIMATED_FROM_AUDIO

    source = catalog.tracks["source"]
    if not len(source) or not (source == AUDIO_SOURCE).any():
        return []
    return [f for f in features if f in ESTIMATED_FROM_AUDIO]


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    """The vectors as .npy, column-major (the (d, n) transpose the exact index multiplies
    by is then a free view). A column-major memory-mapped .npy (what the build writes)
    is moved into place rather than copied."""
    if _is_whole_npy(vectors):
        vectors.flush()
        os.replace(vectors.filename, path)
        return
    np.save(path, np.asfortranarray(vectors, dtype=np.float32), allow_pickle=False)


def _is_whole_npy(vectors: np.ndarray) -> bool:
    """Whether ``vectors`` is a memory map of an entire column-major float32 .npy file."""
    if not (isinstance(vectors, np.memmap) and vectors.filename
            and vectors.flags.f_contiguous and vectors.dtype == np.float32):
        return False
    try:
        with open(vectors.filename, "rb") as handle:
            major, _ = np.lib.format.read_magic(handle)
            read_header = (np.lib.format.read_array_header_1_0 if major == 1
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(handle)
            start = handle.tell()
    except (OSError, ValueError):
        return False
    return (tuple(shape), fortran, dtype, start) == (vectors.shape, True, vectors.dtype,
                                                      vectors.offset)


def _write_manifest(staging: Path, manifest: dict[str, Any]) -> None:
    """Record every file in ``staging`` (sha256, size and modification time) and write
    the manifest."""
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest["files"] = {
        p.relative_to(staging).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size,
                                            "mtime_ns": p.stat().st_mtime_ns}
        for p in files
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))


def _write_clusters(directory: Path, clusters: ModelClusters) -> None:
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
    with staged_directory(directory) as staging:
        for name in manifest["files"]:
            if name in (CLUSTERS, SONG_CLUSTER_LABELS):
                continue
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(directory / name, staging / name)
            except OSError:
                shutil.copy2(directory / name, staging / name)
        _write_clusters(staging, clusters)
        _write_manifest(staging, manifest)
    return load_model(directory)


def source_fingerprint(path: Path) -> dict[str, Any]:
    """What identifies a source file: path, size, modification time and sha256 (of a
    folder of Parquet parts, as Spark writes a table: of the parts' names, sizes and
    contents' hashes)."""
    path = Path(path)
    size, mtime = _size_and_mtime(path)
    return {
        "path": str(path.resolve()),
        "name": path.name,
        "bytes": size,
        "mtime_ns": mtime,
        "sha256": _sha256(path),
    }


def _parts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not p.name.startswith(("_", ".")))


def _size_and_mtime(path: Path) -> tuple[int, int]:
    if path.is_dir():
        stats = [p.stat() for p in _parts(path)]
        return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _sha256(path: Path) -> str:
    if not path.is_dir():
        return sha256_file(path)
    import hashlib

    digest = hashlib.sha256()
    for part in _parts(path):
        digest.update(f"{part.relative_to(path)}:{sha256_file(part)}\n".encode())
    return digest.hexdigest()


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
        size, mtime = _size_and_mtime(Path(path))
        if size != entry["bytes"]:
            return False
        if mtime != entry["mtime_ns"] and _sha256(Path(path)) != entry["sha256"]:
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


def _check_files(directory: Path, manifest: dict[str, Any], verify: bool | str) -> None:
    """Every listed file present with its size; with ``verify``, its sha256 too, except
    that a large file still bearing the modification time it was written with is taken
    as written (hashing a million-track model's gigabyte would double its start-up);
    ``verify="full"`` hashes every file."""
    files = manifest.get("files", {})
    for name in REQUIRED:
        if name not in files:
            raise ModelIntegrityError(f"the manifest of {directory} does not list {name}")
    for name, entry in files.items():
        path = directory / name
        if ".." in Path(name).parts or not path.is_file():
            raise ModelIntegrityError(f"the model at {directory} is missing {name}; rebuild it")
        stat = path.stat()
        untouched = (verify != "full" and stat.st_size > HASH_ALWAYS_BELOW
                     and stat.st_mtime_ns == entry.get("mtime_ns"))
        if stat.st_size != entry["bytes"] or (
            verify and not untouched and sha256_file(path) != entry["sha256"]
        ):
            raise ModelIntegrityError(
                f"{name} in {directory} does not match its checksum in {MANIFEST}: the model "
                "was changed or damaged after it was built. Rebuild it with 'musicrec build'."
            )


def write_tracks(path: Path, tracks: pd.DataFrame) -> None:
    """The track table as an uncompressed Arrow IPC file in one chunk per column: it is
    memory-mapped on load (no decoding; a million tracks open in a tenth of a second)
    and a row is read without touching the rest."""
    import pyarrow as pa
    import pyarrow.feather as feather

    table = pa.Table.from_pandas(tracks, preserve_index=False).combine_chunks()
    feather.write_feather(table, path, compression="uncompressed",
                          chunksize=max(1, len(table)))


def read_tracks(path: Path) -> pd.DataFrame:
    """A model's track table (see :func:`write_tracks`). List columns (artists, genres)
    stay Arrow lists: turning a million of them into Python lists would take seconds at
    every start, and the catalog reads them per row (:meth:`Catalog.cells`)."""
    import pyarrow as pa
    import pyarrow.feather as feather

    table = feather.read_table(path, memory_map=True)
    # one block per column: float columns without gaps stay views of the mapped file
    return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t)
                           if pa.types.is_list(t) or pa.types.is_large_list(t) else None,
                           split_blocks=True)


def load_model(directory: str | Path, *, verify: bool | str = True) -> Model:
    """Load a model directory; with ``verify`` the files' sha256 are checked first (a
    large file unchanged since it was written is not rehashed; ``"full"``: every one)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    _check_files(directory, manifest, verify)
    files = manifest["files"]
    try:
        tracks = read_tracks(directory / TRACKS)
        # a catalog without playlists: no Parquet reader to start (its file is checked)
        interactions = (None if manifest.get("counts", {}).get("interactions") == 0
                        else pd.read_parquet(directory / INTERACTIONS))
        playlists = pd.read_parquet(directory / PLAYLISTS) if PLAYLISTS in files else None
        vectors = np.load(directory / VECTORS, mmap_mode="r", allow_pickle=False)
        space = FeatureSpace.from_dict(json.loads((directory / FEATURE_SPACE).read_text()))
        clusters = ModelClusters.from_dict(
            json.loads((directory / CLUSTERS).read_text()),
            np.load(directory / SONG_CLUSTER_LABELS, allow_pickle=False).astype(np.int64),
        )
        if space.style is not None:
            if STYLE not in files:
                raise ModelIntegrityError(f"the manifest of {directory} does not list {STYLE}")
            space.attach_style(directory / STYLE)  # read only when a new track is embedded
        collab = getattr(space, "collab_state_", None)
        if collab is not None:
            content_dims = space.dims_ - int(collab.get("dims", 0))
            space.collab_ = CollaborativeBlock.load(directory, collab, content_dims)
    except ModelIntegrityError:
        raise
    except Exception as exc:  # a file that passed the checksum but cannot be read
        raise ModelIntegrityError(f"the model at {directory} cannot be read ({exc})") from exc
    counts = manifest.get("counts", {})
    if vectors.shape != (len(tracks), space.dims_) or counts.get("tracks") != len(tracks):
        raise ModelIntegrityError(
            f"the model at {directory} is inconsistent: {vectors.shape[0]} vectors for "
            f"{len(tracks)} tracks; rebuild it"
        )
    if len(clusters.songs.labels) != len(tracks):
        raise ModelIntegrityError(
            f"the model at {directory} is inconsistent: its clusters do not fit its tracks"
        )
    index = load_index(directory / INDEX, vectors)
    if index.name != manifest.get("index"):
        raise ModelIntegrityError(
            f"the model at {directory} is inconsistent: its index is '{index.name}', its "
            f"manifest says '{manifest.get('index')}'"
        )
    catalog = Catalog(tracks, interactions, playlists, ids_checked=True)
    return Model(catalog, space, vectors, index, clusters, manifest, directory)
