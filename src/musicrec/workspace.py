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
from typing import Any

from musicrec.data.catalog import Catalog
from musicrec.data.importers.common import ImportResult
from musicrec.data.importers.report import ImportReport
from musicrec.data.registry import (
    DATASETS,
    DEFAULT_DATASET,
    PROFILE_FILES,
    default_cache_dir,
    get_dataset,
    locate_files,
)
from musicrec.errors import DatasetUnavailableError, InvalidArgumentError, OutdatedModelError
from musicrec.index.registry import backend
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


def build_dataset_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    kind: str | None = None,
    listens: str | None = None,
    index: str | None = None,
    progress: Progress | None = None,
) -> Model:
    """Build the model of a registered or imported dataset into the cache; a
    collaborative kind learns from the imported listening data ``listens`` (default: the
    dataset's own playlists)."""
    progress = progress or SILENT
    kind = kind or default_kind(dataset, cache_dir)
    target = model_dir(dataset, cache_dir, kind)
    if index is not None:
        backend(index)  # an unknown index is refused before the data is read
    result = read_dataset(dataset, data_dir, cache_dir, progress)
    catalog = Catalog.from_import(result)
    interactions = None
    if listens is not None:
        if not getattr(get_kind(kind), "collaborative", False):
            raise InvalidArgumentError(
                f"the '{kind}' model does not learn from listening data; --listens is for "
                "the hybrid, als and lightfm models (--model hybrid)")
        interactions = listening_matrix(listens, catalog, dataset, cache_dir, progress)
    progress.say(f"Fitting features and writing the model ({len(result.tracks):,} tracks)")
    return build_model(
        catalog, target, kind, features=features, weights=weights,
        dataset=dataset, sources=result.sources, progress=progress,
        transfer=lambda: transfer_source(data_dir, cache_dir, progress),
        interactions=interactions, index=index,
    )


def listening_matrix(name: str, catalog: Catalog, dataset: str, cache_dir: Path | None,
                     progress: Progress):
    """The imported listening data ``name`` as a matrix over ``catalog``'s tracks (its
    items matched again when they were matched to another dataset)."""
    from musicrec.data.interactions import user_items
    from musicrec.data.interactions.matching import match_to_catalog
    from musicrec.data.interactions.store import read_listens_named

    listens = read_listens_named(cache_dir or default_cache_dir(), name)
    if listens.report.dataset != dataset:
        progress.say(f"Matching the listening data '{name}' to '{dataset}'")
        match_to_catalog(listens, catalog, dataset)
    matrix = user_items(listens, catalog)
    if not matrix.n_pairs:
        raise InvalidArgumentError(
            f"none of the items in the listening data '{name}' is a track of '{dataset}', so "
            "there is nothing to learn from")
    progress.say(f"Listening data '{name}': {matrix.n_pairs:,} (user, track) pairs of "
                 f"{matrix.n_users:,} users or playlists on {len(matrix.warm_rows()):,} "
                 f"tracks of '{dataset}'")
    matrix.source, matrix.name = f"listening data '{name}'", name
    return matrix


def import_listens(
    file: Path,
    name: str,
    *,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dataset: str = DEFAULT_DATASET,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
):
    """Read a listening-data file, match its items to ``dataset``'s tracks and keep it in
    the cache as ``name``; returns the canonical table (with its report)."""
    from musicrec.data.interactions.matching import match_to_catalog
    from musicrec.data.interactions.readers import read_listens
    from musicrec.data.interactions.store import save_listens

    progress = progress or SILENT
    progress.say(f"Reading {Path(file).name}")
    listens = read_listens(Path(file), format, mapping, progress)
    catalog = dataset_catalog(dataset, data_dir=data_dir, cache_dir=cache_dir,
                              progress=progress)
    progress.say(f"Matching {len(listens.items):,} items to the {len(catalog):,} tracks of "
                 f"'{dataset}'")
    match_to_catalog(listens, catalog, dataset)
    save_listens(cache_dir or default_cache_dir(), name, listens)
    return listens


def transfer_source(data_dir: Path | None, cache_dir: Path | None, progress: Progress):
    """The default dataset's style model, whose classifiers describe catalogs that have no
    playlist labels of their own (built once, kept in the cache)."""
    return ensure_model(DEFAULT_DATASET, data_dir=data_dir, cache_dir=cache_dir,
                        kind=DEFAULT_KIND, progress=progress)


def dataset_catalog(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Catalog:
    """A registered or imported dataset's catalog, read from its files (no model built)."""
    return Catalog.from_import(read_dataset(dataset, data_dir, cache_dir, progress))


def _current_sources(dataset: str, data_dir: Path | None, cache_dir: Path | None,
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


def ensure_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    kind: str | None = None,
    progress: Progress | None = None,
) -> Model:
    """The dataset's model, built on first use or when its source files changed.

    Registered datasets are read from their files, imported ones from the cache; a
    model whose source is gone is used as it is, with a note.
    """
    from musicrec.data.imported import find_imported

    progress = progress or SILENT
    kind = kind or default_kind(dataset, cache_dir)
    directory = model_dir(dataset, cache_dir, kind)
    options = {"data_dir": data_dir, "cache_dir": cache_dir, "kind": kind, "progress": progress}
    known = dataset in DATASETS or find_imported(cache_dir or default_cache_dir(),
                                                 dataset) is not None
    if not directory.exists():
        if not known:
            raise unknown_dataset(dataset, cache_dir)
        progress.say(f"No '{kind}' model for '{dataset}' yet: building it (once)")
        return build_dataset_model(dataset, **options)
    try:
        manifest = read_manifest(directory)
    except OutdatedModelError:
        if not known:
            raise
        progress.say(f"The model for '{dataset}' is from another musicrec version: rebuilding it")
        return build_dataset_model(dataset, **options)
    if known:
        current = _current_sources(dataset, data_dir, cache_dir, progress)
        if current is None:
            progress.say(f"The data for '{dataset}' is not available (no source file where "
                         f"it was looked for): using the model built from it on "
                         f"{manifest.get('created', '?')}")
            return load_model(directory)
        if not sources_match(manifest, current):
            progress.say(f"The data for '{dataset}' changed: rebuilding the model")
            old = load_model(directory, verify=False).space  # keep the configured features
            listens = (old.collab_.details.get("listens") if old.collab_ is not None
                       else None)  # and the listening data it learned from
            return build_dataset_model(dataset, features=old.features, weights=old.weights,
                                       listens=listens, **options)
    return load_model(directory)


def open_recommender(
    dataset: str = DEFAULT_DATASET,
    *,
    model_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    kind: str | None = None,
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
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    kind: str = DEFAULT_KIND,
    strict: bool = False,
    on_duplicate: str = "first",
    units: Mapping[str, str] | None = None,
    style_from: Path | None = None,
    index: str | None = None,
    progress: Progress | None = None,
) -> tuple[Model, ImportReport]:
    """Import any CSV/Parquet (through ``mapping``) as dataset ``name`` in the cache and
    build its model of ``kind``; returns the model and what the import counted.

    A table without playlists borrows the learned style of the default dataset's model,
    or of the model directory ``style_from``."""
    from musicrec.data.imported import save_imported
    from musicrec.data.importers.mapped import read_mapped
    from musicrec.model.store import source_fingerprint

    progress = progress or SILENT
    if name in DATASETS:
        raise InvalidArgumentError(f"'{name}' is a built-in dataset name; choose another --name")
    target = model_dir(name, cache_dir, kind)
    if index is not None:
        backend(index)  # an unknown index is refused before the file is read
    source = load_model(style_from) if style_from is not None else None  # before any work
    progress.say(f"Reading {path}")
    result = read_mapped(path, dict(mapping), source=name, strict=strict,
                         on_duplicate=on_duplicate, units=dict(units or {}),
                         progress=progress)
    if len(result.tracks) < 2:
        from musicrec.errors import DataFileError

        summary = "; ".join(line.strip() for line in result.report.summary()[2:])
        raise DataFileError(path, f"only {len(result.tracks)} usable track(s) in the file "
                            f"({summary or 'nothing else to report'}); a catalog needs at "
                            "least 2")
    saved = save_imported(cache_dir or default_cache_dir(), name, result, dict(mapping),
                          source_fingerprint(Path(path)))
    if source is not None:
        def transfer():
            return source
    else:
        def transfer():
            return transfer_source(data_dir, cache_dir, progress)
    progress.say(f"Fitting features and writing model '{name}' ({len(result.tracks):,} tracks)")
    model = build_model(
        Catalog.from_import(result), target, kind, features=features, dataset=name,
        sources=[saved.tracks_file], progress=progress, transfer=transfer, index=index,
    )
    return model, result.report


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
        ("style", _style_text(space, model.kind)),
        ("listening data", _collaborative_text(space)),
        *_audio_rows(space, manifest),
        ("index", index.describe() + ("" if width is None else
                                      f" ({width} neighbours per track, for one-track "
                                      "queries)")),
        ("sources", ", ".join(s["path"] for s in manifest.get("sources", [])) or "-"),
        ("built with", ", ".join(f"{k} {v}" for k, v in manifest.get("libraries", {}).items())),
    ]


def _audio_rows(space, manifest) -> list[tuple[str, str]]:
    """What ``info`` says of a library scanned from audio files."""
    block = getattr(space, "collab_", None)
    rows = []
    if block is not None and block.method == "audio":
        rows.append(("sound", f"audio embedding of the recordings ({block.dims} summary "
                     f"statistics: MFCCs, spectral contrast, chroma, onsets, tempogram), "
                     f"standardised over the library, {block.share:.0%} of the similarity"))
    estimated = manifest.get("estimated_features") or []
    if estimated:
        rows.append(("estimates", f"{', '.join(estimated)} are estimated from the audio "
                     "(formulas in docs/audio-features.md), not Spotify's values; tempo, "
                     "key, mode, loudness and duration are measured"))
    return rows


def _collaborative_text(space) -> str:
    """What ``info`` says of the factors learned from listening data."""
    block = getattr(space, "collab_", None)
    if block is None:
        return "-"
    d = block.details
    if block.method == "audio":
        return "-"
    text = (f"{block.method} factors ({block.dims} dimensions) of {len(block.track_ids):,} "
            f"tracks, learned from {d.get('interactions', 0):,} interactions of "
            f"{d.get('users', 0):,} playlists or listeners ({d.get('source', '?')})")
    if block.warm_only:
        return text + "; recommends only those tracks"
    if block.projection is not None:
        return text + "; other tracks are placed through their style vector"
    chosen = d.get("validation", {}).get(f"{block.share:.1f}", {})
    return (text + f"; share of the similarity {block.share:.1f}, chosen on held-out "
            f"playlists (validation R-precision {chosen.get('warm', float('nan')):.4f} on "
            f"known tracks, {chosen.get('cold', float('nan')):.4f} on new ones); tracks "
            "without interactions are placed by content alone")


def _style_text(space, kind: str) -> str:
    """What ``info`` says of the style part of a model, and why it is what it is."""
    if space.style is None:
        return ("none: audio features only (the catalog has no playlist genres to learn "
                "styles from, and none could be borrowed)" if kind == DEFAULT_KIND else "-")
    text = (f"learned genre, subgenre and playlist style, {space.style.artist_share:.0%} "
            f"from the artist's tracks ({space.dims_} dimensions in all)")
    given = space.style_input_
    if given is None:
        return text
    imputed = ", ".join(f"{f} {m:.0%}" for f, m in given.get("imputed_by_feature", {}).items())
    return (f"{text}; transferred: this catalog has no playlists, so its tracks are "
            f"described by the classifiers learned from {given['origin']}'s playlists, "
            f"reading their audio features, year, popularity and titles; "
            f"{given['imputed_share']:.0%} of those inputs are missing here and imputed"
            + (f" ({imputed})" if imputed else ""))


#: The dataset name a scanned library gets unless told otherwise
LIBRARY = "library"


def analysis_cache_path(cache_dir: Path | None = None) -> Path:
    """Where audio analyses are kept (by content hash; shared by every library)."""
    return (cache_dir or default_cache_dir()) / "audio" / "analyses.sqlite"


def scan_library(
    folders: Sequence[str | Path],
    *,
    name: str = LIBRARY,
    cache_dir: Path | None = None,
    full: bool = False,
    jobs: int | None = None,
    max_minutes: float | None = None,
    min_seconds: float | None = None,
    index: str | None = None,
    progress: Progress | None = None,
):
    """Analyse the audio files under ``folders`` (unchanged ones from the cache), keep
    them as the dataset ``name`` and build its 'audio' model; returns (model, report).

    The previous library and model stay as they were until the new ones are complete.
    """
    from musicrec.data.imported import find_imported, save_imported
    from musicrec.features.audio.cache import AnalysisCache
    from musicrec.features.audio.decode import WINDOW_SECONDS
    from musicrec.features.audio.library import library_tables
    from musicrec.features.audio.scan import scan_files

    progress = progress or SILENT
    if name in DATASETS:
        raise InvalidArgumentError(f"'{name}' is a built-in dataset name; choose another --name")
    target = model_dir(name, cache_dir, "audio")
    if index is not None:
        backend(index)
    existing = find_imported(cache_dir or default_cache_dir(), name)
    if existing is not None and existing.default_kind != "audio":
        raise InvalidArgumentError(f"'{name}' is a table imported with musicrec import; "
                                   "choose another --name for the library")
    window = None if full else WINDOW_SECONDS
    with AnalysisCache(analysis_cache_path(cache_dir)) as cache:
        scanned, report = scan_files([Path(f) for f in folders], cache, window=window,
                                     jobs=jobs, max_minutes=max_minutes,
                                     min_seconds=min_seconds, progress=progress)
    result = library_tables(scanned)
    if len(result.tracks) < 2:
        raise InvalidArgumentError(
            f"only {len(result.tracks)} song(s) could be analysed under "
            f"{', '.join(str(f) for f in folders)}; a library needs at least 2 "
            f"({'; '.join(line.strip() for line in report.summary())})")
    folders_text = [str(Path(f).expanduser().resolve()) for f in folders]
    fingerprint = _library_fingerprint(result, scanned, window)
    unchanged = _unchanged_library(name, fingerprint, target, cache_dir)
    if unchanged is not None:
        progress.say(f"The library '{name}' is unchanged: keeping its model")
        return unchanged, report
    saved = save_imported(
        cache_dir or default_cache_dir(), name, result, {},
        {"path": ", ".join(folders_text), "folders": folders_text},
        extra={"default_kind": "audio",
               "library": {"window": "full" if full else WINDOW_SECONDS,
                           "files": report.found, "songs": len(result.tracks),
                           "skipped": dict(report.skipped), "fingerprint": fingerprint}})
    progress.say(f"Building the 'audio' model of '{name}' ({len(result.tracks):,} songs)")
    model = build_model(Catalog.from_import(result), target, "audio", dataset=name,
                        sources=[saved.tracks_file], index=index, progress=progress)
    return model, report


def _library_fingerprint(result: ImportResult, scanned, window) -> str:
    """What a library is made of: its songs, their files and how they were analysed."""
    import hashlib
    import json

    from musicrec.features.audio.scan import settings_key

    files = result.files
    parts = {"settings": settings_key(window),
             "files": sorted(str(e.path) + ":" + e.sha256 for e in scanned if e.ok),
             "songs": sorted(files["track_id"]) if len(files) else []}
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _unchanged_library(name: str, fingerprint: str, target: Path,
                       cache_dir: Path | None) -> Model | None:
    """The library's model when the library is as it was when that model was built."""
    from musicrec.data.imported import find_imported

    try:
        found = find_imported(cache_dir or default_cache_dir(), name)
        if found is None or found.description.get("library", {}).get(
                "fingerprint") != fingerprint or not target.exists():
            return None
        if not sources_match(read_manifest(target), [found.tracks_file]):
            return None
        return load_model(target)
    except Exception:  # anything unreadable: build it again
        return None


def library_duplicates(name: str = LIBRARY, cache_dir: Path | None = None) -> tuple[
        Catalog, list[dict], Any]:
    """The library's catalog, its groups of duplicates and versions, and its files table."""
    from musicrec.data.imported import find_imported, read_imported
    from musicrec.features.audio.library import duplicate_groups

    found = find_imported(cache_dir or default_cache_dir(), name)
    if found is None or found.default_kind != "audio":
        raise InvalidArgumentError(
            f"no library called '{name}': scan one first with musicrec library scan FOLDER"
            + ("" if name == LIBRARY else f" --name {name}"))
    result = read_imported(found)
    groups = duplicate_groups(result.tracks, result.embeddings, result.files)
    return Catalog.from_import(result), groups, result.files


def library_seed_tracks(library: str, seeds: Sequence[str], cache_dir: Path | None = None):
    """The library songs ``seeds`` name, as tracks another catalog can take as seeds:
    their descriptors (measured and estimated) and tags, with 'library:' ids."""
    from musicrec.data.imported import find_imported, read_imported

    found = find_imported(cache_dir or default_cache_dir(), library)
    if found is None or found.default_kind != "audio":
        raise InvalidArgumentError(
            f"no library called '{library}': scan one first with musicrec library scan FOLDER")
    catalog = Catalog.from_import(read_imported(found))
    rows = []
    for seed in seeds:
        row = catalog.index_of(seed)
        if row is None:
            from musicrec.errors import UnknownTrackError

            try:
                row = catalog.match_text(seed).rows[0]
            except UnknownTrackError as exc:
                raise UnknownTrackError(seed, exc.candidates, f"no song of the library "
                                        f"'{library}' matches '{seed}'") from None
        rows.append(row)
    tracks = catalog.tracks.iloc[rows].copy()
    tracks["source"] = "library"
    return tracks


def recommend_from_library(rec: Recommender, tracks, *, k: int = 10):
    """Tracks of ``rec``'s catalog like songs of a scanned library: the songs are added
    as outside tracks described by their descriptors (measured tempo, key, mode,
    loudness; estimated energy, danceability, ...), which is all the two catalogs share;
    the result says so. ``tracks`` come from :func:`library_seed_tracks`."""
    from musicrec.data.schema import AUDIO_SOURCE, ESTIMATED_FROM_AUDIO
    from musicrec.recommend.request import RecommendRequest

    if rec.catalog.tracks["source"].eq(AUDIO_SOURCE).all():
        raise InvalidArgumentError("match songs of a library against another catalog "
                                   "(--dataset spotify_songs, say), not a library")
    rec.add_extra(tracks)
    result = rec.recommend(RecommendRequest(list(tracks["track_id"]), k=k))
    used = [f for f in rec.space.features_ if f in ESTIMATED_FROM_AUDIO]
    result.notices.append(
        f"your songs were matched through the descriptors both catalogs share; in the "
        f"library, {', '.join(used) or 'the descriptors'} are estimates from the audio "
        "(docs/audio-features.md), the catalog's come from Spotify, so this crossing is "
        "rougher than a search within one catalog")
    return result


def scanned_libraries(cache_dir: Path | None = None) -> list[str]:
    """Names of the libraries scanned from audio files whose model is built."""
    from musicrec.data.imported import list_imported

    cache = cache_dir or default_cache_dir()
    return [d.name for d in list_imported(cache) if d.default_kind == "audio"
            and (model_dir(d.name, cache, "audio") / "manifest.json").is_file()]
