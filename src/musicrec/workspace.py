"""The workspace: find the data, build a model when it is missing or stale, open a
Recommender, and the model chores the front ends ask for (refitting clusters, saying
what a model holds, finding the profile tables for figures).

This is the one place that joins the dataset registry, importers, model kinds, the
model store and the Spotify lookup; the CLI, the REST service and the Python API call
it rather than repeating the steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from musicrec.data.catalog import Catalog
from musicrec.data.registry import (
    DATASETS,
    DEFAULT_DATASET,
    PROFILE_FILES,
    default_cache_dir,
    get_dataset,
    locate_files,
)
from musicrec.errors import DatasetUnavailableError, InvalidArgumentError, OutdatedModelError
from musicrec.model.build import build_model
from musicrec.model.kinds import DEFAULT_KIND, get_kind
from musicrec.model.store import Model, load_model, read_manifest, sources_match
from musicrec.progress import SILENT, Progress
from musicrec.recommend.recommender import Recommender
from musicrec.spotify.settings import SpotifySettings


def model_dir(name: str, cache_dir: Path | None = None, kind: str = DEFAULT_KIND) -> Path:
    """Where the model called ``name`` (of ``kind``) lives in the cache."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InvalidArgumentError(
            f"bad model name '{name}': use letters, digits, '-', '_' or '.'"
        )
    get_kind(kind)  # raises for an unknown kind, listing the known ones
    folder = name if kind == DEFAULT_KIND else f"{name}-{kind}"
    return (cache_dir or default_cache_dir()) / "models" / folder


def build_dataset_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    kind: str = DEFAULT_KIND,
    progress: Progress | None = None,
) -> Model:
    """Import a registered dataset and build its model into the cache."""
    progress = progress or SILENT
    target = model_dir(dataset, cache_dir, kind)
    spec = get_dataset(dataset)
    paths = locate_files(spec, data_dir, cache_dir or default_cache_dir(), progress)
    progress.say(f"Reading {spec.description}")
    result = spec.reader(paths)
    progress.say(f"Fitting features and writing the model ({len(result.tracks):,} tracks)")
    return build_model(
        Catalog.from_import(result), target, kind, features=features, weights=weights,
        dataset=dataset, sources=result.sources, progress=progress,
    )


def dataset_catalog(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Catalog:
    """A registered dataset's catalog, read from its files (no model is built)."""
    progress = progress or SILENT
    spec = get_dataset(dataset)
    paths = locate_files(spec, data_dir, cache_dir or default_cache_dir(), progress)
    progress.say(f"Reading {spec.description}")
    return Catalog.from_import(spec.reader(paths))


def ensure_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    kind: str = DEFAULT_KIND,
    progress: Progress | None = None,
) -> Model:
    """The dataset's model, built on first use or when its source files changed.

    Models of registered datasets are rebuilt when stale; a model made by
    ``musicrec import`` (not a registered dataset) is loaded as it is.
    """
    progress = progress or SILENT
    directory = model_dir(dataset, cache_dir, kind)
    options = {"data_dir": data_dir, "cache_dir": cache_dir, "kind": kind, "progress": progress}
    if not directory.exists():
        if dataset not in DATASETS:
            get_dataset(dataset)  # raises: unknown dataset, listing the known ones
        progress.say(f"No '{kind}' model for '{dataset}' yet: building it (once)")
        return build_dataset_model(dataset, **options)
    try:
        manifest = read_manifest(directory)
    except OutdatedModelError:
        if dataset not in DATASETS:
            raise
        progress.say(f"The model for '{dataset}' is from another musicrec version: rebuilding it")
        return build_dataset_model(dataset, **options)
    if dataset in DATASETS:
        try:
            located = locate_files(get_dataset(dataset), data_dir,
                                   cache_dir or default_cache_dir(), progress)
        except DatasetUnavailableError:
            progress.say(f"The data for '{dataset}' is not available (no source file where "
                         f"it was looked for): using the model built from it on "
                         f"{manifest.get('created', '?')}")
            return load_model(directory)
        if not sources_match(manifest, [p for p in located.values() if p is not None]):
            progress.say(f"The data for '{dataset}' changed: rebuilding the model")
            old = load_model(directory, verify=False).space  # keep the configured features
            return build_dataset_model(dataset, features=old.features, weights=old.weights,
                                       **options)
    return load_model(directory)


def open_recommender(
    dataset: str = DEFAULT_DATASET,
    *,
    model_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    kind: str = DEFAULT_KIND,
    progress: Progress | None = None,
    spotify: SpotifySettings | None = None,
    features_file: str | Path | None = None,
) -> Recommender:
    """A Recommender over a model directory, or over a dataset's (built on first use).

    ``kind`` picks how the dataset's vectors are made (see :mod:`musicrec.model.kinds`).
    With ``spotify`` settings, tracks added before (the user's table in the cache) are
    seeds too, and a Spotify track outside the catalog is looked up and described by the
    feature providers (Spotify, ReccoBeats, ``features_file``).
    """
    if model_path is not None:
        model = load_model(model_path)
    else:
        model = ensure_model(
            dataset,
            data_dir=Path(data_dir) if data_dir is not None else None,
            cache_dir=Path(cache_dir) if cache_dir is not None else None,
            kind=kind,
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

    progress = progress or SILENT
    if name in DATASETS:
        raise InvalidArgumentError(f"'{name}' is a built-in dataset name; choose another --name")
    target = model_dir(name, cache_dir)
    progress.say(f"Reading {path}")
    result = read_mapped(path, dict(mapping), source=name)
    progress.say(f"Fitting features and writing model '{name}' ({len(result.tracks):,} tracks)")
    return build_model(
        Catalog.from_import(result), target, "original", features=features, dataset=name,
        sources=result.sources, progress=progress,
    )


def refit_clusters(
    model: Model, k: int | None, seed: int = 0, progress: Progress | None = None
) -> tuple[Model, dict[int, float]]:
    """Refit the model's song clusters with ``k`` clusters (None: the best silhouette over
    5-30) and swap them into the model directory; returns the model and, when k was
    chosen, the silhouette of every k tried."""
    from musicrec.data.schema import feature_matrix
    from musicrec.model.clusters import choose_k, fit_clusters
    from musicrec.model.store import replace_clusters

    progress = progress or SILENT
    saved = model.clusters
    raw = feature_matrix(model.catalog.tracks, saved.songs.features)
    scores: dict[int, float] = {}
    if k is None:
        progress.say("Choosing k by silhouette over 5-30")
        songs, scores = choose_k(raw, saved.songs.features, range(5, 31), seed, progress)
    else:
        progress.say(f"Fitting {k} song clusters")
        songs = fit_clusters(raw, saved.songs.features, k, seed)
    saved.songs = songs
    return replace_clusters(model.path, saved), scores


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


def describe_model(rec: Recommender) -> list[tuple[str, str]]:
    """What a model holds, as (label, value) rows for ``musicrec info``."""
    model, catalog, space = rec.model, rec.catalog, rec.space
    manifest = model.manifest
    years = catalog.tracks["year"].dropna()
    index = model.index
    width = getattr(getattr(index, "table", None), "width", None)
    return [
        ("model", str(model.path)),
        ("kind", f"{model.kind}: {get_kind(model.kind).summary}" if model.kind else "-"),
        ("dataset", manifest.get("dataset", "")),
        ("built", manifest.get("created", "")),
        ("tracks", f"{len(catalog):,}"),
        ("artists", f"{len(set(catalog.artist_codes)):,}"),
        ("playlists", f"{manifest['counts'].get('playlists', 0):,}"),
        ("memberships", f"{manifest['counts'].get('interactions', 0):,}"),
        ("years", f"{years.min()}-{years.max()}" if len(years) else "unknown"),
        ("genres", f"{len(catalog.genre_names):,} "
         f"(most common: {', '.join(catalog.genre_names[:8])})"),
        ("features", ", ".join(space.features_)),
        ("style", "-" if space.style is None else
         f"learned genre, subgenre and playlist style, {space.style.artist_share:.0%} from "
         f"the artist's tracks ({space.dims_} dimensions in all)"),
        ("index", index.name + ("" if width is None else
                                f" ({width} neighbours per track, for one-track queries)")),
        ("sources", ", ".join(s["path"] for s in manifest.get("sources", [])) or "-"),
        ("built with", ", ".join(f"{k} {v}" for k, v in manifest.get("libraries", {}).items())),
    ]
