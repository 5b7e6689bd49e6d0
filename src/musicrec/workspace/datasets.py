"""Datasets by name: where a model of one lives, which kind it gets, reading its tables
(registered ones from their files, imported ones from the cache), what is there
(``musicrec datasets``), and the side tables figures read."""

from __future__ import annotations

from pathlib import Path

from musicrec.data.catalog import Catalog
from musicrec.data.importers.common import ImportResult
from musicrec.data.registry import (
    DATASETS,
    DEFAULT_DATASET,
    PROFILE_FILES,
    default_cache_dir,
    get_dataset,
    locate_files,
)
from musicrec.errors import DatasetUnavailableError, InvalidArgumentError
from musicrec.model.kinds import DEFAULT_KIND, get_kind
from musicrec.model.store import read_manifest
from musicrec.progress import SILENT, Progress


def model_dir(name: str, cache_dir: Path | None = None, kind: str = DEFAULT_KIND) -> Path:
    """Where the model called ``name`` (of ``kind``) lives in the cache."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InvalidArgumentError(
            f"bad model name '{name}': use letters, digits, '-', '_' or '.'"
        )
    get_kind(kind)  # raises for an unknown kind, listing the known ones
    folder = name if kind == DEFAULT_KIND else f"{name}-{kind}"
    return (cache_dir or default_cache_dir()) / "models" / folder


def default_kind(dataset: str, cache_dir: Path | None = None) -> str:
    """The model kind a dataset is built with when none is named: 'audio' for a library
    scanned from audio files, else the default kind."""
    from musicrec.data.imported import find_imported

    if dataset in DATASETS:
        return DEFAULT_KIND
    try:
        found = find_imported(cache_dir or default_cache_dir(), dataset)
    except Exception:  # an unreadable dataset is reported where it is read
        return DEFAULT_KIND
    return (found.default_kind if found is not None else None) or DEFAULT_KIND


def unknown_dataset(name: str, cache_dir: Path | None) -> InvalidArgumentError:
    """The error for a name that is neither registered nor imported, listing both."""
    from musicrec.data.imported import list_imported

    imported = [d.name for d in list_imported(cache_dir or default_cache_dir())]
    known = ", ".join(sorted(DATASETS))
    more = f"; imported: {', '.join(imported)}" if imported else ""
    return InvalidArgumentError(
        f"unknown dataset '{name}'; known datasets: {known}{more} (import a table of your "
        "own with: musicrec import FILE --name NAME, or a folder of audio files with: "
        "musicrec library scan FOLDER)")


def read_dataset(
    dataset: str,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """The canonical tables of a registered dataset (from its files) or of an imported
    one (from the cache)."""
    from musicrec.data.imported import find_imported, read_imported

    progress = progress or SILENT
    cache = cache_dir or default_cache_dir()
    if dataset in DATASETS:
        spec = get_dataset(dataset)
        paths = locate_files(spec, data_dir, cache, progress)
        progress.say(f"Reading {spec.description}")
        return spec.reader(paths)
    imported = find_imported(cache, dataset)
    if imported is None:
        raise unknown_dataset(dataset, cache_dir)
    progress.say(f"Reading the imported dataset '{dataset}' ({imported.tracks:,} tracks from "
                 f"{Path(imported.source).name})")
    return read_imported(imported)


def dataset_catalog(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Catalog:
    """A registered or imported dataset's catalog, read from its files (no model built)."""
    return Catalog.from_import(read_dataset(dataset, data_dir, cache_dir, progress))


def current_sources(dataset: str, data_dir: Path | None, cache_dir: Path | None,
                     progress: Progress) -> list[Path] | None:
    """The files a dataset's model is built from as they are now (None: not available)."""
    from musicrec.data.imported import find_imported

    cache = cache_dir or default_cache_dir()
    if dataset in DATASETS:
        try:
            located = locate_files(get_dataset(dataset), data_dir, cache, progress)
        except DatasetUnavailableError:
            return None
        return [p for p in located.values() if p is not None]
    imported = find_imported(cache, dataset)
    return None if imported is None else [imported.tracks_file]


def list_datasets(data_dir: Path | None = None, cache_dir: Path | None = None
                  ) -> list[dict[str, str]]:
    """Registered and imported datasets, each with its size, features and the model kinds
    built for it in the cache (for ``musicrec datasets``)."""
    from musicrec.data.imported import list_imported
    from musicrec.model.kinds import kind_names

    cache = cache_dir or default_cache_dir()

    def built(name: str) -> str:
        kinds = []
        for kind in kind_names():
            directory = model_dir(name, cache, kind)
            try:
                manifest = read_manifest(directory)
            except Exception:  # missing, outdated or damaged: not a usable model
                continue
            if manifest.get("kind") == kind:
                kinds.append(kind)
        return ", ".join(kinds) or "-"

    rows = []
    for name, spec in DATASETS.items():
        counts = _built_counts(name, cache)
        size = f"{counts['tracks']:,}" if counts else "? (no model built yet)"
        try:
            where = ", ".join(str(p) for p in locate_files(spec, data_dir, cache).values() if p)
        except DatasetUnavailableError:
            where = f"not here ({spec.how_to_get})"
        rows.append({"name": name, "kind": "registered", "tracks": size,
                     "features": "audio features" + (", playlists" if name == DEFAULT_DATASET
                                                     else ""),
                     "models": built(name), "source": where})
    for found in list_imported(cache):
        playlists = int(found.description.get("playlists", 0))
        kind = "audio files" if found.default_kind == "audio" else "imported"
        rows.append({"name": found.name, "kind": kind, "tracks": f"{found.tracks:,}",
                     "features": ", ".join(found.features) + (", playlists" if playlists else ""),
                     "models": built(found.name), "source": found.source})
    return rows


def _built_counts(name: str, cache: Path) -> dict | None:
    """Counts from the newest model manifest of a dataset, when one was built."""
    try:
        return read_manifest(model_dir(name, cache)).get("counts")
    except Exception:  # no model yet
        return None


def profile_tables(data_dir: Path | None, genres_file: Path | None = None,
                   years_file: Path | None = None):
    """The mean-features-per-genre and per-year tables for figures: the files given, else
    the Kaggle side files in the data folder when present, else None (figures then
    compute them from the catalog)."""
    from musicrec.data.importers.kaggle import read_genre_profiles, read_year_profiles

    def find(given: Path | None, relpath: str) -> Path | None:
        if given is not None:
            return given
        candidate = Path(data_dir) / relpath if data_dir is not None else None
        return candidate if candidate is not None and candidate.is_file() else None

    genres = find(genres_file, PROFILE_FILES["genres"])
    years = find(years_file, PROFILE_FILES["years"])
    return (read_genre_profiles(genres) if genres else None,
            read_year_profiles(years) if years else None)
