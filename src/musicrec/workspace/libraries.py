"""Libraries scanned from the user's audio files: the scan (analyses cached), the
library as a dataset with its 'audio' model, its duplicates, and crossing its songs to
another catalog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from musicrec.data.catalog import Catalog
from musicrec.data.importers.common import ImportResult
from musicrec.data.registry import DATASETS, default_cache_dir
from musicrec.errors import InvalidArgumentError
from musicrec.index.registry import backend
from musicrec.model.store import Model, load_model, read_manifest, sources_match
from musicrec.progress import SILENT, Progress
from musicrec.recommend.recommender import Recommender
from musicrec.workspace.datasets import model_dir
from musicrec.workspace.imports import save_with_model

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
    tagger: bool | None = None,
    progress: Progress | None = None,
):
    """Analyse the audio files under ``folders`` (unchanged ones from the cache), keep
    them as the dataset ``name`` and build its 'audio' model; returns (model, report).

    ``tagger``: hear the songs with the pretrained tagger too (None: when it is
    installed; True: it must be).

    The previous library and model stay as they were until the new ones are complete.
    """
    from musicrec.data.imported import find_imported
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
    tagger_dir = _tagger_dir(cache_dir or default_cache_dir(), tagger, progress)
    with AnalysisCache(analysis_cache_path(cache_dir)) as cache:
        scanned, report = scan_files([Path(f) for f in folders], cache, window=window,
                                     jobs=jobs, max_minutes=max_minutes,
                                     min_seconds=min_seconds, tagger=tagger_dir,
                                     progress=progress)
    result = library_tables(scanned)
    if len(result.tracks) < 2:
        raise InvalidArgumentError(
            f"only {len(result.tracks)} song(s) could be analysed under "
            f"{', '.join(str(f) for f in folders)}; a library needs at least 2 "
            f"({'; '.join(line.strip() for line in report.summary())})")
    folders_text = [str(Path(f).expanduser().resolve()) for f in folders]
    fingerprint = _library_fingerprint(result, scanned, window, tagger_dir is not None)
    unchanged = _unchanged_library(name, fingerprint, target, cache_dir)
    if unchanged is not None:
        progress.say(f"The library '{name}' is unchanged: keeping its model")
        return unchanged, report
    model = save_with_model(
        cache_dir, name, result, {}, {"path": ", ".join(folders_text), "folders": folders_text},
        target, "audio",
        f"Building the 'audio' model of '{name}' ({len(result.tracks):,} songs)",
        extra={"default_kind": "audio",
               "library": {"window": "full" if full else WINDOW_SECONDS,
                           "files": report.found, "songs": len(result.tracks),
                           "tagger": None if tagger_dir is None else {
                               "model": "MSD_musicnn", "tagged": report.tagged},
                           "skipped": dict(report.skipped), "fingerprint": fingerprint}},
        progress=progress, index=index)
    return model, report


def _tagger_dir(cache_dir: Path, wanted: bool | None, progress: Progress) -> Path | None:
    """The cache folder of the tagger when this scan uses it."""
    from musicrec.features.audio.tagger.weights import TaggerMissingError, installed

    if wanted is False:
        return None
    if installed(cache_dir) is None:
        if wanted:
            raise TaggerMissingError("the tagger is not installed: run musicrec library "
                                     "tagger install (once; it fetches 29 MB)")
        progress.say("Tip: musicrec library tagger install adds genre, mood and vocal tags "
                     "heard by a pretrained network (musicnn)")
        return None
    return cache_dir


def _library_fingerprint(result: ImportResult, scanned, window, tagged: bool) -> str:
    """What a library is made of: its songs, their files and how they were analysed."""
    import hashlib
    import json

    from musicrec.features.audio.scan import settings_key, tagger_key

    files = result.files
    parts = {"settings": settings_key(window) + (f";{tagger_key(window)}" if tagged else ""),
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


def library_folders(name: str, cache_dir: Path | None = None) -> list[Path]:
    """The folders the library ``name`` was scanned from (empty when ``name`` is not a
    library scanned from audio files): the only places its songs may be served from."""
    from musicrec.data.imported import find_imported

    try:
        found = find_imported(cache_dir or default_cache_dir(), name)
    except Exception:  # an unreadable description: serve no files
        return []
    if found is None or found.default_kind != "audio":
        return []
    return [Path(f) for f in found.description.get("source", {}).get("folders") or []]
