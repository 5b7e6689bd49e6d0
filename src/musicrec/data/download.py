"""Downloading a dataset file into the cache: streamed, validated, then moved into place.

The file is written under a temporary name in the destination folder and renamed only
after it validates, so an interrupted or failed download never leaves a file that
looks complete.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from musicrec.errors import DatasetUnavailableError
from musicrec.io import atomic_write
from musicrec.progress import SILENT, Progress

CHUNK = 1 << 16


def download_file(
    url: str,
    destination: Path,
    validate: Callable[[Path], None],
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``url`` to ``destination`` atomically; ``validate`` raises on a bad file."""
    progress = progress or SILENT

    def fetch(partial: Path) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "musicrec"})
        with urllib.request.urlopen(request, timeout=timeout) as response, open(
            partial, "wb"
        ) as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                progress.transfer(done, total)
            if total is not None and done < total:
                raise OSError(f"connection closed after {done} of {total} bytes")
        validate(partial)

    try:
        atomic_write(destination, fetch)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        raise DatasetUnavailableError(_explain(url, destination, exc)) from exc
    return destination


def _explain(url: str, destination: Path, exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        reason = f"the server answered HTTP {exc.code} {exc.reason}"
    elif isinstance(exc, urllib.error.URLError):
        reason = f"could not connect ({exc.reason})"
    elif isinstance(exc, TimeoutError):
        reason = "the connection timed out"
    else:
        reason = str(exc) or type(exc).__name__
    return (
        f"download of {url} failed: {reason}. Nothing was saved. "
        f"Run the command again to retry, or download the file yourself and save it as "
        f"{destination} (or put it in a folder with the same layout and pass --data-dir / "
        f"set MUSICREC_DATA_DIR)."
    )
