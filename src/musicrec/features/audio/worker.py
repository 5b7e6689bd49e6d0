"""What runs in each analysis worker: one file in, one outcome out, never an exception.

An outcome is ``{"ok": True, "data": {...}}`` or ``{"ok": False, "reason", "message"}``
(reasons in :data:`musicrec.features.audio.scan.REASONS`).
"""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path
from typing import Any


def init_worker(in_process: bool = False) -> None:
    """One thread per worker (the pool gives the parallelism); Ctrl-C and SIGTERM are the
    parent's (a terminal and systemd send them to every process of the group): it stops
    the workers itself, after keeping what they finished."""
    if not in_process:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "NUMBA_NUM_THREADS"):
            os.environ[name] = "1"
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        except Exception:  # pragma: no cover - threadpoolctl is a dependency
            pass
    warnings.filterwarnings("ignore", module="librosa")
    warnings.filterwarnings("ignore", category=UserWarning, module="audioread")


def cut_short(path: Path) -> str | None:
    """Why ``path`` looks truncated (decoders read such a file up to where it stops
    without complaint), or None: an Ogg stream must end with its end-of-stream page."""
    if path.suffix.lower() not in (".ogg", ".oga", ".opus"):
        return None
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 65_536))
        tail = f.read()
    last = tail.rfind(b"OggS")
    if last < 0 or last + 5 >= len(tail):
        return "is cut short (no Ogg page at its end)"
    if not tail[last + 5] & 0x04:
        return "is cut short (its Ogg stream has no end-of-stream page: an interrupted copy?)"
    return None


def analyse_file(path: str, window: float | None, limits: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """Tags and analysis of one file, or why it was skipped.

    ``limits`` may hold ``max_seconds``/``min_seconds``; ``tagger``, the cache folder of
    an installed tagger, adds its output (``data["tagger"]``; None with a
    ``tagger_error`` when only the tagger failed); ``tagger_only`` skips the analysis
    (the scan has it cached) and returns the tagger's output alone."""
    from musicrec.features.audio.analyse import SilentAudioError, analyse_samples
    from musicrec.features.audio.decode import (
        TruncatedAudioError,
        UndecodableError,
        decode,
        length_is_exact,
    )
    from musicrec.features.audio.tags import read_tags

    limits = limits or {}
    started = time.perf_counter()
    file = Path(path)
    try:
        tags = read_tags(file)
        length = tags.get("duration") if length_is_exact(file) else None  # else a guess
        # (with the analysis cached, only the tagger runs: the scan applies the limits)
        limited = length if not limits.get("tagger_only") else None
        if limited and limits.get("max_seconds") and limited > limits["max_seconds"]:
            return {"ok": False, "reason": "too_long",
                    "message": f"is {length / 60:.1f} min long (over the limit)"}
        if limited and limits.get("min_seconds") and limited < limits["min_seconds"]:
            return {"ok": False, "reason": "too_short",
                    "message": f"is {length:.0f} s long (under the limit)"}
        why = cut_short(file)
        if why:
            return {"ok": False, "reason": "truncated", "message": why}
        decoded = decode(file, window, duration_hint=length)
        if limits.get("tagger_only"):
            return {"ok": True, "data": {**_tagged(decoded, limits["tagger"]),
                                         "seconds": round(time.perf_counter() - started, 3)}}
        analysis = analyse_samples(decoded)
    except TruncatedAudioError as exc:
        return {"ok": False, "reason": "truncated", "message": str(exc)}
    except UndecodableError as exc:
        return {"ok": False, "reason": "unreadable", "message": str(exc)}
    except SilentAudioError as exc:
        return {"ok": False, "reason": "silent", "message": str(exc)}
    except MemoryError:
        return {"ok": False, "reason": "failed", "message": "ran out of memory (try without "
                "--full)"}
    except Exception as exc:  # whatever a damaged file makes a library raise
        return {"ok": False, "reason": "failed",
                "message": f"the analysis failed ({type(exc).__name__}: {exc})"}
    data = {"tags": tags, "analysis": analysis.to_dict(), "decoder": decoded.decoder}
    if limits.get("tagger"):
        data.update(_tagged(decoded, limits["tagger"]))
    data["seconds"] = round(time.perf_counter() - started, 3)
    return {"ok": True, "data": data}


def _tagged(decoded, cache_dir: str) -> dict[str, Any]:
    """{"tagger": output} of the pretrained tagger, or {"tagger": None, "tagger_error"}:
    a song the tagger cannot hear keeps its analysis."""
    from musicrec.features.audio.tagger.song import tag_samples
    from musicrec.features.audio.tagger.weights import load_tagger

    started = time.perf_counter()
    try:
        output = tag_samples(load_tagger(Path(cache_dir)), decoded.mono(),
                             decoded.sample_rate)
    except MemoryError:
        return {"tagger": None, "tagger_error": "ran out of memory"}
    except Exception as exc:  # a broken install or a damaged file: say it, keep the rest
        return {"tagger": None, "tagger_error": f"{type(exc).__name__}: {exc}"}
    output["seconds"] = round(time.perf_counter() - started, 3)
    return {"tagger": output}
