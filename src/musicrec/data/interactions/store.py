"""Imported listening data in the cache: ``CACHE/listens/NAME/`` holds the canonical
table's three Parquet files and ``listens.json`` (source file, format, the import's
report and which dataset its items were matched to). Written under a temporary name and
renamed into place, so an interrupted import leaves the previous one as it was."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from musicrec.data.interactions.table import ListenReport, Listens
from musicrec.errors import InvalidArgumentError, ModelIntegrityError
from musicrec.io import staged_directory

FORMAT = "musicrec-listens"
FORMAT_VERSION = 1
DESCRIPTION = "listens.json"
FILES = {"events": "events.parquet", "users": "users.parquet", "items": "items.parquet"}


def listens_dir(cache_dir: Path, name: str) -> Path:
    return Path(cache_dir) / "listens" / name


def save_listens(cache_dir: Path, name: str, listens: Listens) -> Path:
    """Write ``listens`` as the imported listening data called ``name`` (atomically)."""
    if not name or "/" in name or name.startswith("."):
        raise InvalidArgumentError(f"'{name}' cannot name listening data (a plain name)")
    directory = listens_dir(cache_dir, name)
    with staged_directory(directory) as staging:
        for part, file in FILES.items():
            getattr(listens, part).to_parquet(staging / file, index=False)
        description = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": name,
                       "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "report": listens.report.to_dict()}
        (staging / DESCRIPTION).write_text(json.dumps(description, indent=1))
    return directory


def describe(cache_dir: Path, name: str) -> dict[str, Any] | None:
    """What ``listens.json`` says of the imported listening data ``name`` (None: none)."""
    path = listens_dir(cache_dir, name) / DESCRIPTION
    if not path.is_file():
        return None
    try:
        description = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{path} cannot be read ({exc})") from exc
    if description.get("format") != FORMAT or description.get(
            "format_version") != FORMAT_VERSION:
        raise ModelIntegrityError(f"{path} is not listening data this musicrec reads; import "
                                  "it again")
    return description


def list_listens(cache_dir: Path) -> list[str]:
    """Names of the imported listening data, sorted."""
    folder = Path(cache_dir) / "listens"
    return sorted(p.name for p in folder.iterdir()
                  if (p / DESCRIPTION).is_file()) if folder.is_dir() else []


def read_listens_named(cache_dir: Path, name: str) -> Listens:
    """The imported listening data ``name``; a clear error listing the others otherwise."""
    description = describe(cache_dir, name)
    if description is None:
        known = list_listens(cache_dir)
        raise InvalidArgumentError(
            f"no imported listening data called '{name}'"
            + (f"; imported: {', '.join(known)}" if known else
               "; import some with 'musicrec import-listens FILE --name NAME'"))
    directory = listens_dir(cache_dir, name)
    try:
        parts = {part: pd.read_parquet(directory / file) for part, file in FILES.items()}
    except Exception as exc:  # a damaged file
        raise ModelIntegrityError(f"the listening data in {directory} cannot be read ({exc})"
                                  ) from exc
    saved = description.get("report", {})
    report = ListenReport(Path(saved.get("path", "?")), str(saved.get("format", "?")))
    for key in ("rows_read", "events", "users", "items", "matched_items", "matched_events"):
        setattr(report, key, int(saved.get(key, 0)))
    report.dataset = saved.get("dataset")
    return Listens(parts["events"], parts["users"], parts["items"], report)
