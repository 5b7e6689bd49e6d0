"""Scanning folders of audio files: find, check the cache, analyse the rest in parallel.

Each file is known by the sha256 of its bytes (a file whose size and mtime are as last
seen is not read again). Analyses run in worker processes (``jobs``, default the free
cores; each worker uses one thread), and each result is written to the
:class:`~musicrec.features.audio.cache.AnalysisCache` as it arrives, so an interrupted
scan resumes where it stopped. A file that cannot be read, is cut short, is silent or
makes the analysis fail is skipped with its reason; nothing a file holds stops a scan.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from musicrec.errors import InvalidArgumentError
from musicrec.features.audio.cache import AnalysisCache
from musicrec.features.audio.decode import WINDOW_SECONDS
from musicrec.io import sha256_file
from musicrec.progress import SILENT, Progress

#: File kinds scanned (by suffix, any case)
AUDIO_SUFFIXES = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac",
                            ".wav", ".aif", ".aiff", ".wma"})
#: Bumped whenever the analysis changes what it computes (old results are then redone)
ANALYSIS_VERSION = 3
#: Reasons that come from a scan's options, not from the file (never cached)
LIMITED = ("too_long", "too_short")
#: Why a file was skipped, as the summary names it
REASONS = {
    "unreadable": "could not be decoded",
    "truncated": "cut short",
    "silent": "silent",
    "failed": "analysis failed",
    "too_long": "longer than --max-minutes",
    "too_short": "shorter than --min-seconds",
}


def settings_key(window: float | None) -> str:
    """What a cached result depends on besides the file's bytes."""
    return f"v{ANALYSIS_VERSION};window={'full' if window is None else f'{window:g}'}"


def tagger_key(window: float | None) -> str:
    """What a cached tagger output depends on besides the file's bytes (kept apart from
    the analysis, so installing the tagger does not redo the analyses)."""
    from musicrec.features.audio.tagger.song import TAGGED_SECONDS
    from musicrec.features.audio.tagger.weights import FORMAT_VERSION, MODEL

    return (f"tagger={MODEL}/{FORMAT_VERSION};heard={TAGGED_SECONDS:g};"
            f"window={'full' if window is None else f'{window:g}'}")


def find_audio_files(folders: list[Path]) -> list[Path]:
    """Audio files under ``folders`` (recursively; hidden folders and files skipped),
    sorted, each once."""
    found: dict[str, Path] = {}
    for folder in folders:
        folder = Path(folder).expanduser()
        if not folder.exists():
            raise InvalidArgumentError(f"{folder} does not exist")
        if folder.is_file():
            candidates = [folder]
        else:
            candidates = []
            for root, dirs, files in os.walk(folder, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                candidates += [Path(root) / f for f in files if not f.startswith(".")]
        for path in candidates:
            if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
                found.setdefault(str(path.resolve()), path.resolve())
    return [found[k] for k in sorted(found)]


@dataclass
class ScannedFile:
    """One file found by a scan and what is known of it."""

    path: Path
    sha256: str
    size: int
    ok: bool
    reason: str | None = None
    message: str | None = None
    data: dict[str, Any] | None = None  #: tags, analysis, decoder, tagger (when ok)
    cached: bool = False
    tagger_only: bool = False  #: the analysis is cached; only the tagger is to run


@dataclass
class ScanReport:
    """What a scan did: counts, skipped files with reasons, time."""

    found: int = 0
    analysed: int = 0
    cached: int = 0
    same_content: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    audio_seconds: float = 0.0
    jobs: int = 1
    tagged: int | None = None  #: songs with tags (None: the tagger was not used)
    tagger_seconds: float = 0.0  #: time the tagger took over the files tagged now
    tagged_now: int = 0
    tagger_errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> list[str]:
        lines = [f"{self.found:,} audio files found: {self.analysed:,} analysed, "
                 f"{self.cached:,} unchanged (from the cache)"
                 + (f", {self.same_content:,} identical copies of another file"
                    if self.same_content else "")]
        if self.analysed and self.seconds > 0:
            lines.append(f"  {self.analysed / self.seconds * 60:.1f} songs per minute with "
                         f"{self.jobs} worker{'s' if self.jobs > 1 else ''} "
                         f"({self.audio_seconds / 60:.1f} min of audio in {self.seconds:.1f} s)")
        if self.tagged is not None:
            each = self.tagger_seconds / max(self.tagged_now, 1)
            lines.append(f"  tagger: {self.tagged:,} songs tagged"
                         + (f" ({self.tagged_now:,} now, {each:.2f} s of one core each)"
                            if self.tagged_now else "")
                         + (f"; {len(self.tagger_errors):,} could not be tagged"
                            if self.tagger_errors else ""))
            for path, message in self.tagger_errors[:3]:
                lines.append(f"    {path}: {message}")
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"  skipped {count:,}: {REASONS.get(reason, reason)}")
        for path, message in self.examples[:10]:
            lines.append(f"    {path}: {message}")
        if len(self.examples) > 10:
            lines.append(f"    ... and {len(self.examples) - 10} more")
        return lines


def default_jobs() -> int:
    """Workers for a scan: the cores other programs leave free right now (all of them on
    an idle machine; MUSICREC_THREADS fixes the count). Beside a busy process, two
    workers on two cores scanned slower than one (docs/performance.md)."""
    from musicrec.threads import thread_count

    return thread_count()


def scan_files(folders: list[Path], cache: AnalysisCache, *,
               window: float | None = WINDOW_SECONDS, jobs: int | None = None,
               max_minutes: float | None = None, min_seconds: float | None = None,
               tagger: Path | None = None, progress: Progress | None = None
               ) -> tuple[list[ScannedFile], ScanReport]:
    """Every audio file under ``folders`` with its analysis (from the cache or made now);
    with ``tagger`` (the cache folder of an installed tagger) the tagger's output too."""
    progress = progress or SILENT
    started = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise InvalidArgumentError("--jobs must be at least 1")
    settings = settings_key(window)
    tag_settings = tagger_key(window) if tagger is not None else None
    paths = find_audio_files(folders)
    report = ScanReport(found=len(paths), jobs=jobs or 1)
    scanned: list[ScannedFile] = []
    todo: dict[str, ScannedFile] = {}
    for done, path in enumerate(paths, 1):
        try:
            stat = path.stat()
            sha = cache.known_hash(str(path), stat.st_size, stat.st_mtime_ns)
            if sha is None:
                sha = sha256_file(path)
                cache.remember_file(str(path), stat.st_size, stat.st_mtime_ns, sha)
        except OSError as exc:
            report.skipped["unreadable"] += 1
            report.examples.append((str(path), f"cannot be read ({exc.strerror or exc})"))
            continue
        entry = ScannedFile(path, sha, stat.st_size, ok=False)
        scanned.append(entry)
        if sha in todo:
            continue
        outcome = cache.result(sha, settings)
        if outcome is None:
            todo[sha] = entry
        else:
            _settle(entry, outcome, cached=True)
            if entry.ok and tag_settings is not None:
                tagged = cache.result(sha, tag_settings)
                if tagged is None:  # the analysis is known: only the tagger runs
                    entry.tagger_only = True
                    todo[sha] = entry
                else:
                    entry.data = {**entry.data, "tagger": tagged["data"]}
        if done % 200 == 0 or done == len(paths):
            progress.count("checking files", done, len(paths))
    cache.commit()
    if todo:
        jobs = report.jobs = jobs or default_jobs()  # measured only when there is work
        part = "whole files" if window is None else f"{window:g} s from the middle of each"
        only = sum(e.tagger_only for e in todo.values())  # analysed before: tagger only
        rest = len(todo) - only
        what = f"Analysing {rest:,} file{'s' if rest != 1 else ''}" if rest else ""
        if only:
            what += (f" and hearing {only:,} more with the tagger" if rest else
                     f"Hearing {only:,} file{'s' if only != 1 else ''} with the tagger")
        progress.say(f"{what} with {jobs} worker{'s' if jobs > 1 else ''} ({part})")
        limits = {"max_seconds": None if max_minutes is None else max_minutes * 60,
                  "min_seconds": min_seconds,
                  "tagger": None if tagger is None else str(tagger)}
        for sha, outcome in _analyse_all(list(todo.values()), window, jobs, limits, progress):
            entry = todo[sha]
            if entry.tagger_only:
                _keep_tagger(entry, outcome, cache, tag_settings, report)
                continue
            tagged = outcome["data"].pop("tagger", None) if outcome["ok"] else None
            error = outcome["data"].pop("tagger_error", None) if outcome["ok"] else None
            if outcome.get("reason") not in LIMITED:  # a limit is this scan's, not the file's
                cache.store(sha, settings, outcome)
            _settle(entry, outcome, cached=False)
            report.analysed += 1
            if outcome["ok"]:
                report.audio_seconds += outcome["data"]["analysis"]["seconds_analysed"]
                if tag_settings is not None:
                    _keep_tagger(entry, {"ok": True, "data": {
                        "tagger": tagged, "tagger_error": error}}, cache, tag_settings, report)
        cache.commit()
    for entry in scanned:  # the decoded length against this scan's limits (cached too)
        if entry.ok:
            _apply_limits(entry, max_minutes, min_seconds)
    by_hash = {sha: entry for sha, entry in todo.items()}
    seen: set[str] = set()
    for entry in scanned:
        source = by_hash.get(entry.sha256)
        if source is not None and source is not entry:
            entry.ok, entry.reason, entry.message, entry.data = (
                source.ok, source.reason, source.message, source.data)
        if entry.sha256 in seen:
            report.same_content += 1
            continue
        seen.add(entry.sha256)
        if entry.cached:
            report.cached += 1
        if not entry.ok:
            report.skipped[entry.reason or "failed"] += 1
            report.examples.append((str(entry.path), entry.message or "skipped"))
    if tag_settings is not None:
        report.tagged = len({e.sha256 for e in scanned
                             if e.ok and e.data and e.data.get("tagger")})
    report.seconds = time.perf_counter() - started
    return scanned, report


def _keep_tagger(entry: ScannedFile, outcome: dict[str, Any], cache: AnalysisCache,
                 settings: str, report: ScanReport) -> None:
    """The tagger's output for ``entry``: joined to its analysis and cached; a failure is
    reported and not cached (the next scan tries again)."""
    data = outcome.get("data") or {}
    tagged = data.get("tagger") if outcome.get("ok") else None
    if tagged is None:
        report.tagger_errors.append((str(entry.path), data.get("tagger_error")
                                     or outcome.get("message") or "the tagger failed"))
        return
    cache.store(entry.sha256, settings, {"ok": True, "data": tagged})
    entry.data = {**(entry.data or {}), "tagger": tagged}
    report.tagged_now += 1
    report.tagger_seconds += float(tagged.get("seconds", 0.0))


def _apply_limits(entry: ScannedFile, max_minutes: float | None,
                  min_seconds: float | None) -> None:
    seconds = entry.data["analysis"]["duration_ms"] / 1000.0
    if max_minutes is not None and seconds > max_minutes * 60:
        entry.ok, entry.reason = False, "too_long"
        entry.message = f"is {seconds / 60:.1f} min long (over the limit)"
    elif min_seconds is not None and seconds < min_seconds:
        entry.ok, entry.reason = False, "too_short"
        entry.message = f"is {seconds:.0f} s long (under the limit)"


def _settle(entry: ScannedFile, outcome: dict[str, Any], cached: bool) -> None:
    entry.ok, entry.reason = bool(outcome["ok"]), outcome.get("reason")
    entry.message, entry.data, entry.cached = outcome.get("message"), outcome.get("data"), cached


def _analyse_all(entries: list[ScannedFile], window, jobs: int, limits: dict,
                 progress: Progress, analyse=None):
    """(sha256, outcome) as the workers finish. A worker process that dies (a decoder
    crashing on a damaged file, say) takes no other file with it: the files it was
    working on are analysed again one at a time in a fresh process, and the one that
    kills that process too is skipped. Ctrl-C stops the workers at once."""
    from musicrec.features.audio.worker import analyse_file

    analyse = analyse or analyse_file
    total, done = len(entries), 0
    queue = list(reversed(entries))
    while queue:
        suspects: list[ScannedFile] = []
        with _Pool(min(jobs, len(queue))) as pool:
            pending: dict[Future, ScannedFile] = {}
            task = (analyse, window, limits)
            _fill(pool, pending, queue, 2 * jobs, task)  # a few ahead, not all of them
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                crashed = False
                for future in finished:
                    entry = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        suspects.append(entry)
                        crashed = True
                        continue
                    done += 1
                    yield entry.sha256, outcome
                    progress.count("analysing audio", done, total)
                if crashed:  # the pool is gone: every file in flight is a suspect
                    suspects += pending.values()
                    break
                _fill(pool, pending, queue, 2 * jobs, task)
        for entry in suspects:  # alone in a process each: the culprit cannot hide
            with _Pool(1) as pool:
                try:
                    outcome = pool.submit(analyse, str(entry.path), window,
                                          _limits_of(entry, limits)).result()
                except BrokenProcessPool:
                    outcome = {"ok": False, "reason": "failed", "message": (
                        "made the analysis process crash (a damaged file a decoder "
                        "cannot survive)")}
            done += 1
            yield entry.sha256, outcome
            progress.count("analysing audio", done, total)


def _fill(pool: ProcessPoolExecutor, pending: dict, queue: list, ahead: int, task) -> None:
    """Submit queued files until ``ahead`` are in flight."""
    analyse, window, limits = task
    while queue and len(pending) < ahead:
        entry = queue.pop()
        pending[pool.submit(analyse, str(entry.path), window, _limits_of(entry, limits))] = entry


def _limits_of(entry: ScannedFile, limits: dict) -> dict:
    return {**limits, "tagger_only": True} if entry.tagger_only else limits


class _Pool:
    """A process pool of ``workers`` spawned workers that is torn down at once on any
    exception (Ctrl-C included) and waited for otherwise."""

    def __init__(self, workers: int) -> None:
        import multiprocessing

        from musicrec.features.audio.worker import init_worker

        self.pool = ProcessPoolExecutor(max_workers=max(1, workers), initializer=init_worker,
                                        mp_context=multiprocessing.get_context("spawn"))

    def __enter__(self) -> ProcessPoolExecutor:
        return self.pool

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.pool.shutdown(wait=True)
            return
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.kill()  # workers ignore SIGTERM (see worker.init_worker)
        self.pool.shutdown(wait=False, cancel_futures=True)
