"""Importer for any CSV or Parquet file through a column mapping.

``mapping`` maps canonical columns to the file's columns, e.g.
``{"name": "Track Name", "artists": "Artist(s)"}``. ``title``, ``artist``, ``id`` and
``genre`` are accepted as aliases of ``name``, ``artists``, ``track_id`` and ``genres``.
Unmapped canonical columns are taken from a file column of the same name when present.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from musicrec.data.importers.common import ImportResult, parse_list_column, read_table
from musicrec.data.lists import parse_list_literal
from musicrec.data.schema import (
    AUDIO_FEATURES,
    INTEGER_COLUMNS,
    TRACK_COLUMNS,
    coerce_numeric,
    conform,
    year_from_release_date,
)
from musicrec.errors import DataFileError, InvalidArgumentError

ALIASES = {"title": "name", "artist": "artists", "id": "track_id", "genre": "genres"}
NUMERIC = (*AUDIO_FEATURES, "year", "popularity", "duration_ms")


def canonical_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """Resolve aliases and reject unknown canonical names."""
    out: dict[str, str] = {}
    for target, column in mapping.items():
        canonical = ALIASES.get(target.strip().lower(), target.strip().lower())
        if canonical not in TRACK_COLUMNS or canonical == "source":
            known = ", ".join([*TRACK_COLUMNS[:-1], *ALIASES])
            raise InvalidArgumentError(
                f"unknown column '{target}' in mapping; known columns: {known}"
            )
        out[canonical] = column
    return out


def read_mapped(
    path: str | Path, mapping: dict[str, str], source: str | None = None
) -> ImportResult:
    """Read a table through ``mapping`` onto the canonical track table."""
    path = Path(path)
    raw = read_table(path)
    mapping = canonical_mapping(mapping)
    for canonical in TRACK_COLUMNS:
        if canonical not in mapping and canonical in raw.columns:
            mapping[canonical] = canonical
    for canonical, column in mapping.items():
        if column not in raw.columns:
            found = ", ".join(map(str, raw.columns[:30]))
            raise DataFileError(
                path, f"column '{column}' (mapped to {canonical}) not found (found: {found})"
            )
    if "name" not in mapping:
        raise DataFileError(path, "no title column: map one with --map title=COLUMN")
    features = [f for f in AUDIO_FEATURES if f in mapping]
    if not features:
        raise DataFileError(
            path,
            "no audio-feature columns found; map at least one, e.g. --map energy=Energy",
        )
    frame = pd.DataFrame(index=raw.index)
    for canonical, column in mapping.items():
        if canonical in NUMERIC:
            frame[canonical] = coerce_numeric(
                raw.rename(columns={column: canonical}), canonical, path
            )
        elif canonical == "explicit":
            frame[canonical] = raw[column]
        elif canonical in ("artists", "genres"):
            renamed = raw.rename(columns={column: canonical})
            frame[canonical] = parse_list_column(renamed, canonical, path, _names)
        else:
            frame[canonical] = raw[column]
    if "track_id" not in frame:
        frame["track_id"] = [_content_id(row) for row in frame.itertuples(index=False)]
    dupes = frame["track_id"].duplicated()
    if dupes.any():
        pos = int(dupes.to_numpy().argmax())
        raise DataFileError(
            path, f"track id '{frame['track_id'].iloc[pos]}' appears twice", row=pos + 2,
            column=mapping.get("track_id", "track_id"),
        )
    if "year" not in frame and "release_date" in frame:
        frame["year"] = year_from_release_date(frame["release_date"])
    for column in INTEGER_COLUMNS:
        if column in frame:
            frame[column] = frame[column].round()
    return ImportResult(tracks=conform(frame, source or path.stem), sources=[path])


def _names(cell: object) -> list[str] | None:
    """A list literal, or names separated by ';' (commas stay: "Earth, Wind & Fire")."""
    if isinstance(cell, str) and not cell.strip().startswith("["):
        parts = [p.strip() for p in cell.split(";") if p.strip()]
        return parts or None
    return parse_list_literal(cell)


def _content_id(row: tuple) -> str:
    """A stable id for rows of a file without track ids: hash of the row's values."""
    digest = hashlib.sha1(repr(tuple(row)).encode("utf-8")).hexdigest()
    return f"local:{digest[:16]}"
