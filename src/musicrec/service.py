"""Getting a ready Recommender: find the data, build the model if needed, load it.

This is the one place that joins the registry, importers, feature space and model
directory; the CLI and REST service call it rather than repeating the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from musicrec.artifact import Model, build_model, load_model, read_manifest, sources_match
from musicrec.data.catalog import Catalog
from musicrec.data.download import ByteProgress
from musicrec.data.registry import DEFAULT_DATASET, default_cache_dir, get_dataset, locate_files
from musicrec.errors import InvalidArgumentError, OutdatedModelError
from musicrec.features.space import FeatureSpace
from musicrec.recommend.recommender import Recommender
from musicrec.spotify.settings import SpotifySettings

StepCallback = Callable[[str], None]
CountCallback = Callable[[str, int, int], None]  # label, done, total


@dataclass
class Progress:
    """Optional callbacks a front end passes to show long steps."""

    step: StepCallback | None = None
    download: ByteProgress | None = None
    count: CountCallback | None = None

    def say(self, message: str) -> None:
        if self.step is not None:
            self.step(message)

    def counter(self, label: str) -> Callable[[int, int], None] | None:
        """A (done, total) callback for one counted step, or None when nobody listens."""
        if self.count is None:
            return None
        count = self.count
        return lambda done, total: count(label, done, total)


#: How vectors are made: "style" (audio features + learned style blocks; needs playlist
#: genres) or "original" (the seed method: standardised audio features only).
METHODS = ("style", "original")
DEFAULT_METHOD = "style"


def model_dir(name: str, cache_dir: Path | None = None, method: str = DEFAULT_METHOD) -> Path:
    """Where the model called ``name`` (built with ``method``) lives in the cache."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InvalidArgumentError(
            f"bad model name '{name}': use letters, digits, '-', '_' or '.'"
        )
    _check_method(method)
    folder = name if method == DEFAULT_METHOD else f"{name}-{method}"
    return (cache_dir or default_cache_dir()) / "models" / folder


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InvalidArgumentError(f"unknown model '{method}'; choose one of {', '.join(METHODS)}")


def _space(
    catalog: Catalog, method: str, features: Sequence[str] | None,
    weights: Mapping[str, float] | None, progress: Progress,
) -> FeatureSpace:
    """The feature space for ``method``; "style" falls back to "original" (saying so)
    when the catalog has no playlist genres to learn from."""
    if method == "style":
        from musicrec.features.style import StyleConfig

        if catalog.playlists is not None and len(catalog.interactions):
            return FeatureSpace(features, weights, StyleConfig())
        progress.say("No playlist genres to learn styles from: using audio features only")
    return FeatureSpace(features, weights)


def build_dataset_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    method: str = DEFAULT_METHOD,
    progress: Progress | None = None,
) -> Model:
    """Import a registered dataset and build its model into the cache."""
    progress = progress or Progress()
    _check_method(method)
    spec = get_dataset(dataset)
    cache_dir = cache_dir or default_cache_dir()
    paths = locate_files(spec, data_dir, cache_dir, progress.download)
    progress.say(f"Reading {spec.description}")
    result = spec.reader(paths)
    catalog = Catalog.from_import(result)
    progress.say(f"Fitting features and writing the model ({len(result.tracks):,} tracks)")
    return build_model(
        catalog,
        model_dir(dataset, cache_dir, method),
        _space(catalog, method, features, weights, progress),
        dataset=dataset,
        sources=result.sources,
        progress=progress.counter("nearest neighbours"),
        say=progress.say,
    )


def dataset_catalog(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Catalog:
    """A registered dataset's catalog, read from its files (no model is built)."""
    progress = progress or Progress()
    spec = get_dataset(dataset)
    paths = locate_files(spec, data_dir, cache_dir or default_cache_dir(), progress.download)
    progress.say(f"Reading {spec.description}")
    return Catalog.from_import(spec.reader(paths))


def ensure_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    method: str = DEFAULT_METHOD,
    progress: Progress | None = None,
) -> Model:
    """The dataset's model, built on first use or when its source files changed.

    Models of registered datasets are rebuilt when stale; a model made by
    ``musicrec import`` (not a registered dataset) is loaded as it is.
    """
    progress = progress or Progress()
    directory = model_dir(dataset, cache_dir, method)
    if not directory.exists():
        if dataset not in _registered():
            get_dataset(dataset)  # raises: unknown dataset, listing the known ones
        progress.say(f"No '{method}' model for '{dataset}' yet: building it (once)")
        return build_dataset_model(
            dataset, data_dir=data_dir, cache_dir=cache_dir, method=method, progress=progress
        )
    try:
        manifest = read_manifest(directory)
    except OutdatedModelError:
        if dataset not in _registered():
            raise
        progress.say(f"The model for '{dataset}' is from another musicrec version: rebuilding it")
        return build_dataset_model(
            dataset, data_dir=data_dir, cache_dir=cache_dir, method=method, progress=progress
        )
    if dataset in _registered():
        spec = get_dataset(dataset)
        located = locate_files(spec, data_dir, cache_dir or default_cache_dir(), progress.download)
        if not sources_match(manifest, [p for p in located.values() if p is not None]):
            progress.say(f"The data for '{dataset}' changed: rebuilding the model")
            old = load_model(directory, verify=False).space  # keep the configured features
            return build_dataset_model(
                dataset, data_dir=data_dir, cache_dir=cache_dir, progress=progress,
                features=old.features, weights=old.weights, method=method,
            )
    return load_model(directory)


def _registered() -> set[str]:
    from musicrec.data.registry import DATASETS

    return set(DATASETS)


def open_recommender(
    dataset: str = DEFAULT_DATASET,
    *,
    model_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    method: str = DEFAULT_METHOD,
    progress: Progress | None = None,
    spotify: SpotifySettings | None = None,
    features_file: str | Path | None = None,
) -> Recommender:
    """A Recommender over a model directory, or over a dataset's (built on first use).

    ``method`` picks how the dataset's vectors are made (see :data:`METHODS`). With
    ``spotify`` settings, tracks added before (the user's table in the cache) are seeds
    too, and a Spotify track outside the catalog is looked up and described by the
    feature providers (Spotify, ReccoBeats, ``features_file``).
    """
    if model_path is not None:
        model = load_model(model_path)
    else:
        model = ensure_model(
            dataset,
            data_dir=Path(data_dir) if data_dir is not None else None,
            cache_dir=Path(cache_dir) if cache_dir is not None else None,
            method=method,
            progress=progress,
        )
    if spotify is None:
        return Recommender(model)
    from musicrec.data.user_tracks import USER_TRACKS, UserTracks
    from musicrec.spotify.lookup import TrackLookup

    table = UserTracks(Path(cache_dir or default_cache_dir()) / USER_TRACKS)
    lookup = TrackLookup(spotify, table, Path(features_file) if features_file else None)
    return Recommender(model, extra=table.frame, lookup=lookup)


def import_file(
    path: str | Path,
    mapping: Mapping[str, str],
    name: str,
    *,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Model:
    """Import any CSV/Parquet (through ``mapping``) and build a model called ``name``."""
    from musicrec.data.importers.mapped import read_mapped

    progress = progress or Progress()
    if name in _registered():
        raise InvalidArgumentError(f"'{name}' is a built-in dataset name; choose another --name")
    target = model_dir(name, cache_dir)
    progress.say(f"Reading {path}")
    result = read_mapped(path, dict(mapping), source=name)
    progress.say(f"Fitting features and writing model '{name}' ({len(result.tracks):,} tracks)")
    return build_model(
        Catalog.from_import(result), target, FeatureSpace(features), dataset=name,
        sources=result.sources, progress=progress.counter("nearest neighbours"),
        say=progress.say,
    )
