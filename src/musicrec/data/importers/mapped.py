"""Importer for any CSV or Parquet file through a column mapping, built for real files.

``mapping`` maps canonical columns to the file's columns, e.g.
``{"name": "Track Name", "artists": "Artist(s)"}``. ``title``, ``artist``, ``id`` and
``genre`` are accepted as aliases of ``name``, ``artists``, ``track_id`` and ``genres``;
``duration`` of ``duration_ms`` (and the names other tables use: ``track``, ``song``,
``uri``, ...: see ``ALIASES``; a ``spotify_`` or ``spotify_track_`` prefix is ignored).
Unmapped canonical columns are taken from a file column
of the same name (or an alias's name, any case) when present; mapping a column to
``""`` leaves it out. ``location`` (musicrec's file path of a track) is taken by name only
when its cells look like file paths or URIs: in other tables (the Million Song Dataset's)
it is a place ("Paris, France"), and the summary says it was left out.

Nothing in one cell stops an import (unless ``strict``): a cell that is not a number,
out of its range or not a flag goes missing and is counted in the
:class:`~musicrec.data.importers.report.ImportReport`; a row with no audio feature at
all is skipped; the same track id twice keeps the first row (``on_duplicate="first"``)
or stops (``"error"``). Values that mean "unknown" (year 0, empty, ``NA``) become
missing. Spotify URIs and URLs in the id column become bare ids. ``units`` converts
columns written in other units (``duration_ms``: ``s`` or ``min``; the 0-1 features:
``percent``), and values that look like another unit are warned about.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.ids import normalise_track_id
from musicrec.data.importers.common import CHUNK_ROWS, ImportResult, iter_table
from musicrec.data.importers.report import ImportReport
from musicrec.data.lists import parse_list_literal
from musicrec.data.schema import (
    AUDIO_FEATURES,
    INTEGER_COLUMNS,
    LIST_COLUMNS,
    TRACK_COLUMNS,
    VALID_RANGES,
    conform,
    to_bool,
    year_from_release_date,
)
from musicrec.errors import DataFileError, InvalidArgumentError
from musicrec.progress import SILENT, Progress

ALIASES = {"title": "name", "artist": "artists", "id": "track_id", "genre": "genres",
           "duration": "duration_ms",
           # the Kaggle "Spotify Tracks Dataset" (dataset.csv, 114k rows) names these so
           "track_name": "name", "album_name": "album", "track_genre": "genres",
           "artist_name": "artists",
           # the hit-song tables of many Kaggle projects; TidyTuesday's Billboard table
           "track": "name", "song": "name", "uri": "track_id", "performer": "artists"}
#: Prefixes a file's column names may carry ("spotify_uri", "spotify_track_album",
#: "spotify_genre"): a column is also found by its name without them.
PREFIXES = ("spotify_track_", "spotify_")
NUMERIC = (*AUDIO_FEATURES, "year", "popularity", "duration_ms")
FRACTIONS = ("danceability", "energy", "speechiness", "acousticness", "instrumentalness",
             "liveness", "valence")
#: Units a column may be given in (``--unit COLUMN=UNIT``), as factors to the canonical one.
UNITS: dict[str, dict[str, float]] = {
    "duration_ms": {"ms": 1.0, "s": 1000.0, "min": 60_000.0},
    **{f: {"fraction": 1.0, "percent": 0.01} for f in FRACTIONS},
}
#: Cell values that mean "unknown" in a column, besides empty cells and NA/null.
UNKNOWN = {"year": (0,), "popularity": (), "duration_ms": (0,)}
DUPLICATE_RULES = ("first", "error")


def canonical_name(target: str) -> str:
    """A canonical column name from a user's name for it (aliases resolved)."""
    name = target.strip().lower()
    return ALIASES.get(name, name)


def canonical_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """Resolve aliases and reject unknown canonical names (an empty column: left out)."""
    out: dict[str, str] = {}
    for target, column in mapping.items():
        canonical = canonical_name(target)
        if canonical not in TRACK_COLUMNS or canonical == "source":
            known = ", ".join([*TRACK_COLUMNS[:-1], *ALIASES])
            raise InvalidArgumentError(
                f"unknown column '{target}' in mapping; known columns: {known}"
            )
        out[canonical] = column
    return out


def canonical_units(units: dict[str, str] | None) -> dict[str, float]:
    """``{"duration": "s"}`` as factors to canonical units; unknown names are refused."""
    out: dict[str, float] = {}
    for target, unit in (units or {}).items():
        canonical = canonical_name(target)
        if canonical not in UNITS:
            raise InvalidArgumentError(
                f"--unit is for duration (ms, s, min) and the 0-1 features (fraction, "
                f"percent); got '{target}'")
        factors = UNITS[canonical]
        if unit.strip().lower() not in factors:
            raise InvalidArgumentError(
                f"unknown unit '{unit}' for {canonical}; choose one of {', '.join(factors)}")
        out[canonical] = factors[unit.strip().lower()]
    return out


def read_mapped(
    path: str | Path,
    mapping: dict[str, str],
    source: str | None = None,
    *,
    strict: bool = False,
    on_duplicate: str = "first",
    units: dict[str, str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> ImportResult:
    """Read a table through ``mapping`` onto the canonical track table (see module doc);
    the result's ``report`` says what was read, kept, skipped and set missing.

    The file is read ``chunk_rows`` rows at a time, each chunk turned into canonical
    columns before the next is read, so only the canonical values of a big table (not
    its text cells) are held at once; duplicate ids, joined genres and unit checks look
    at the whole table."""
    path = Path(path)
    if on_duplicate not in DUPLICATE_RULES:
        raise InvalidArgumentError(
            f"--on-duplicate must be one of {', '.join(DUPLICATE_RULES)} (got '{on_duplicate}')")
    progress = progress or SILENT
    factors = canonical_units(units)
    mapping = canonical_mapping(mapping)
    is_csv = path.suffix.lower() not in (".parquet", ".pq")
    offset = 2 if is_csv else 1  # the header is row 1 of a CSV
    report = ImportReport(path, strict=strict)
    tallies: Counter = Counter()
    unit_values: dict[str, list[np.ndarray]] = {}
    parts: list[pd.DataFrame] = []
    file_rows: list[np.ndarray] = []
    read = 0
    for raw, done, total in iter_table(path, chunk_rows):
        if not parts:
            mapping = resolve_columns(path, raw, mapping, report)
        rows = np.arange(read, read + len(raw)) + offset
        read += len(raw)
        frame, rows = canonical_chunk(raw, mapping, rows, factors, report, tallies,
                                      unit_values)
        parts.append(frame)
        file_rows.append(rows)
        del raw
        if is_csv:
            progress.count("reading (MB)", done // 1_000_000, max(1, total // 1_000_000))
        else:
            progress.count("reading rows", done, total)
    report.rows_read = read
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    del parts
    rows = np.concatenate(file_rows)
    finish_report(report, unit_values, tallies)
    frame = _unique_ids(frame.reset_index(drop=True), rows, report, on_duplicate,
                        mapping.get("track_id"))
    report.rows_kept = len(frame)
    tracks = canonical_tracks(frame.reset_index(drop=True), source or path.stem)
    return ImportResult(tracks=tracks, sources=[path], report=report)


# ---------------------------------------------------------------- the rules, in steps
# read_mapped runs these on chunks of one file; musicrec.spark.importer runs the same
# steps on each partition of a table Spark reads: one set of rules for both.
def resolve_columns(path: Path, first_cells: pd.DataFrame, mapping: dict[str, str],
                    report: ImportReport) -> dict[str, str]:
    """The file column of each canonical column (see :func:`_resolve_columns`)."""
    return _resolve_columns(path, first_cells, mapping, report)


def canonical_chunk(raw: pd.DataFrame, mapping: dict[str, str], rows: np.ndarray,
                    factors: dict[str, float], report: ImportReport, tallies: Counter,
                    unit_values: dict[str, list[np.ndarray]]
                    ) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells of a chunk as canonical columns, bad cells counted at their file ``rows``,
    rows without any audio feature skipped; returns the frame and its rows' file rows."""
    frame = _canonical(raw, mapping, rows, factors, report, tallies, unit_values)
    return _without_featureless_rows(frame, rows, report)


def finish_report(report: ImportReport, unit_values: dict[str, list[np.ndarray]],
                  tallies: Counter) -> None:
    """Unit warnings from the whole table's values, then the tallies, noted once."""
    for column, values in unit_values.items():
        _check_units(np.concatenate(values) if values else np.zeros(0), column, report)
    for text, count in tallies.items():
        report.note(f"{count:,} {text}")  # counted over all chunks, noted once


def with_content_ids(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows without a track id get one made from their values; returns the frame and
    which ids were made."""
    if "track_id" not in frame:
        frame = frame.assign(track_id=None)
    ids = np.array(frame["track_id"].astype(object).to_numpy(), dtype=object)
    made = np.array([i is None for i in ids], dtype=bool)
    if made.any():
        content = frame.loc[made].drop(columns=["track_id"])
        ids[made] = [_content_id(tuple(row)) for row in content.itertuples(index=False)]
    return frame.assign(track_id=ids), made


def canonical_tracks(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The kept rows as the canonical track table (whole numbers rounded)."""
    frame = frame.copy()
    for column in INTEGER_COLUMNS:
        if column in frame:
            frame[column] = frame[column].round()
    return conform(frame.reset_index(drop=True), source)


def _resolve_columns(path: Path, first_cells: pd.DataFrame, mapping: dict[str, str],
                     report: ImportReport) -> dict[str, str]:
    """The file column of each canonical column: the mapping's, else by name or alias
    (any case; ``location`` only when the first chunk's cells are paths or URIs); the
    report records which and how."""
    columns = first_cells.columns
    mapping = dict(mapping)
    for canonical, column in list(mapping.items()):
        if not column.strip():
            report.left_out.append(canonical)
            del mapping[canonical]
        elif column not in columns:
            found = ", ".join(map(str, columns[:30]))
            raise DataFileError(
                path, f"column '{column}' (mapped to {canonical}) not found (found: {found})"
            )
        else:
            report.columns[canonical] = (column, "given")
    taken = set(mapping.values())
    by_name = {str(c).strip().lower(): c for c in columns}
    for column in columns:  # "spotify_track_album" as "album", unless "album" is there too
        name = str(column).strip().lower()
        prefix = next((p for p in PREFIXES if name.startswith(p)), None)
        if prefix is not None:
            by_name.setdefault(name[len(prefix):], column)
    for canonical in TRACK_COLUMNS:
        if canonical in mapping or canonical in report.left_out or canonical == "source":
            continue
        names = [canonical, *(a for a, c in ALIASES.items() if c == canonical)]
        column = next((by_name[n] for n in names if n in by_name and by_name[n] not in taken),
                      None)
        if column is not None and canonical == "location" and not _holds_paths(
                first_cells[column]):
            example = next((str(c) for c in first_cells[column] if not _is_missing(c)), "")
            report.note(f"column '{column}' was not read as the tracks' file location: its "
                        f"values are not file paths or URIs (e.g. {example!r}); if they "
                        f"are, import again with --map location={column}")
            continue
        if column is not None:
            mapping[canonical] = column
            taken.add(column)
            report.columns[canonical] = (column, "by name")
    if "name" not in mapping:
        raise DataFileError(path, "no title column: map one with --map title=COLUMN")
    if not any(f in mapping for f in AUDIO_FEATURES):
        raise DataFileError(
            path, "no audio-feature columns found; map at least one, e.g. --map energy=Energy")
    return mapping


def _canonical(raw: pd.DataFrame, mapping: dict[str, str], rows: np.ndarray,
               factors: dict[str, float], report: ImportReport, tallies: Counter,
               unit_values: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """One chunk of the file as canonical columns (bad cells reported at their rows)."""
    frame = pd.DataFrame(index=raw.index)
    for canonical, column in mapping.items():
        cells = raw[column]
        if canonical in NUMERIC:
            frame[canonical] = _numbers(cells, canonical, rows, factors.get(canonical), report,
                                        tallies, unit_values)
        elif canonical == "explicit":
            frame[canonical] = _flags(cells, rows, report)
        elif canonical in LIST_COLUMNS:
            frame[canonical] = _lists(cells, tallies)
        elif canonical == "track_id":
            frame[canonical] = [None if _is_missing(c) else normalise_track_id(str(c))
                                for c in cells]
        elif canonical == "location":
            frame[canonical] = _locations(cells, rows, report)
        else:
            frame[canonical] = [None if _is_missing(c) else str(c) for c in cells]
    if "release_date" in frame:
        from_dates = year_from_release_date(frame["release_date"])
        frame["year"] = (from_dates if "year" not in frame
                         else frame["year"].fillna(from_dates.astype("float64")))
    return frame


# ---------------------------------------------------------------- cells
def _is_missing(cell: object) -> bool:
    return cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)) or (
        isinstance(cell, str) and not cell.strip())


def _numbers(cells: pd.Series, column: str, rows: np.ndarray, factor: float | None,
             report: ImportReport, tallies: Counter,
             unit_values: dict[str, list[np.ndarray]]) -> pd.Series:
    """Numbers of a column: bad cells and out-of-range values missing (counted), the
    column's "unknown" sentinels missing (noted), other units converted. Values read in
    the default unit are kept aside (``unit_values``) to check the unit on the whole
    column."""
    values = pd.to_numeric(cells, errors="coerce").astype("float64")
    given = cells.notna() & (cells.astype("string").str.strip() != "")
    bad = (values.isna() & given).to_numpy()
    label = str(cells.name)  # the file's own column name, as the user knows it
    report.bad_cells(label, "not a number", rows[bad], cells[bad])
    for sentinel in UNKNOWN.get(column, ()):
        unknown = (values == sentinel).to_numpy()
        if unknown.any():
            tallies[f"cells of '{label}' were {sentinel}: read as unknown"] += int(
                unknown.sum())
            values[unknown] = np.nan
    if factor is None and (column == "duration_ms" or column in FRACTIONS):
        present = values.to_numpy()
        unit_values.setdefault(column, []).append(present[~np.isnan(present)])
    if factor is not None:
        values = values * factor
    if column in VALID_RANGES:
        lo, hi = VALID_RANGES[column]
        out = (values.notna() & ((values < lo) | (values > hi))).to_numpy()
        report.bad_cells(label, f"outside {lo:g}..{hi:g}", rows[out], cells[out])
        values[out] = np.nan
    return values


def _check_units(present: np.ndarray, column: str, report: ImportReport) -> None:
    """Warn when a column's values (read in its default unit) look like another unit."""
    if len(present) < 5:
        return
    median = float(np.median(present))
    if column == "duration_ms" and median < 3_000:
        unit = "minutes" if median < 30 else "seconds"
        flag = "min" if median < 30 else "s"
        report.warn(f"duration: the median is {median:g}, which looks like {unit}, not "
                    f"milliseconds; if so, import again with --unit duration={flag}")
    elif column in FRACTIONS and median > 1.0 and float(present.max()) <= 100.0:
        report.warn(f"{column}: values run to {float(present.max()):g}, which looks like "
                    f"percent, not 0-1; if so, import again with --unit {column}=percent")


def _flags(cells: pd.Series, rows: np.ndarray, report: ImportReport) -> list:
    """True/False cells (schema's rule); a cell that is not a flag goes missing, counted."""
    out = [None if _is_missing(c) else to_bool(c) for c in cells]
    bad = [pos for pos, v in enumerate(out) if v is pd.NA]
    report.bad_cells(str(cells.name), "not true or false", rows[bad], cells.iloc[bad])
    return [None if v is pd.NA else v for v in out]


def _lists(cells: pd.Series, tallies: Counter) -> list:
    """Names in list cells: a list literal, or names separated by ';'. A cell that starts
    with '[' but is not a list of strings is a name of its own ("[:SITD:]")."""
    out, as_names = [], 0
    for cell in cells:
        if isinstance(cell, list | tuple | np.ndarray):
            out.append([str(x) for x in cell] or None)
            continue
        if _is_missing(cell):
            out.append(None)
            continue
        text = str(cell).strip()
        if text.startswith("["):
            try:
                out.append(parse_list_literal(text) or None)
                continue
            except ValueError:
                as_names += 1
                out.append([text])
                continue
        out.append([p.strip() for p in text.split(";") if p.strip()] or None)
    if as_names:
        tallies[f"cells of '{cells.name}' start with '[' but are not lists: read as "
                "names"] += as_names
    return out


#: A URI ("file:///...", "https://...", "smb://..."), an absolute path (POSIX, "~/", a
#: Windows drive or share), or a relative path that ends in an audio file's extension.
_PATH_LIKE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*:(?://|/)|/|~[/\\]|[A-Za-z]:[/\\]|\\\\)"
    r"|\.(?:mp3|flac|ogg|oga|opus|m4a|mp4|aac|wav|wave|aif|aiff|wma|ape|wv|mpc|dsf|mka"
    r"|webm)$", re.IGNORECASE)


def _looks_like_path(text: str) -> bool:
    return bool(_PATH_LIKE.search(text.strip()))


def _holds_paths(cells: pd.Series, share: float = 0.9) -> bool:
    """Whether at least ``share`` of a column's given cells look like paths or URIs."""
    given = [str(c) for c in cells if not _is_missing(c)]
    return bool(given) and sum(map(_looks_like_path, given)) >= share * len(given)


def _locations(cells: pd.Series, rows: np.ndarray, report: ImportReport) -> list:
    """File locations; a cell that is not a path or URI goes missing, counted, so that
    no playlist ever points at "Paris, France"."""
    out = [None if _is_missing(c) else str(c) for c in cells]
    bad = [pos for pos, v in enumerate(out) if v is not None and not _looks_like_path(v)]
    report.bad_cells(str(cells.name), "not a file path or URI", rows[bad], cells.iloc[bad])
    for pos in bad:
        out[pos] = None
    return out


# ---------------------------------------------------------------- rows
def _without_featureless_rows(frame: pd.DataFrame, rows: np.ndarray, report: ImportReport
                              ) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows with no audio feature at all are skipped: they would all sit at the median.
    Returns the frame and the file row of each row kept."""
    features = [f for f in AUDIO_FEATURES if f in frame]
    empty = frame[features].isna().all(axis=1).to_numpy()
    report.skip("no audio feature value", int(empty.sum()))
    return frame.loc[~empty], rows[~empty]


def _unique_ids(frame: pd.DataFrame, rows: np.ndarray, report: ImportReport,
                on_duplicate: str, id_column: str | None) -> pd.DataFrame:
    """Every row a unique id: missing ids made from the row's values; a repeated id keeps
    its first row (or stops, with ``on_duplicate="error"``)."""
    frame, made = with_content_ids(frame)
    ids = frame["track_id"].to_numpy()
    repeated = frame["track_id"].duplicated().to_numpy()
    if not repeated.any():
        return frame
    identical = repeated & made
    if on_duplicate == "error":
        pos = int(np.flatnonzero(repeated)[0])
        first = int(np.flatnonzero((frame["track_id"] == ids[pos]).to_numpy())[0])
        what = (f"rows {rows[first]} and {rows[pos]} are identical (no id column mapped)"
                if identical[pos] else
                f"track id '{ids[pos]}' appears twice (rows {rows[first]} and {rows[pos]})")
        raise DataFileError(report.path, what + "; --on-duplicate first keeps the first",
                            row=int(rows[pos]), column=id_column)
    report.skip("the same track id as an earlier row (the first is kept)",
                int((repeated & ~made).sum()))
    report.skip("identical to an earlier row (the first is kept)", int(identical.sum()))
    kept = frame.loc[~repeated]
    if "genres" in frame and (repeated & ~made).any():
        kept = _joined_genres(frame, kept, report)
    return kept


def _joined_genres(frame: pd.DataFrame, kept: pd.DataFrame, report: ImportReport
                   ) -> pd.DataFrame:
    """The kept row of a repeated id gets the genres of all its rows (a table listing a
    track once per genre, as the 114k "Spotify Tracks Dataset" does)."""
    joined: dict[str, list[str]] = {}
    for track_id, genres in zip(frame["track_id"], frame["genres"], strict=True):
        if genres is not None and len(genres):
            known = joined.setdefault(track_id, [])
            known.extend(g for g in genres if g not in known)
    merged = [joined.get(t, g) if g is not None or t in joined else None
              for t, g in zip(kept["track_id"], kept["genres"], strict=True)]
    changed = sum(1 for old, new in zip(kept["genres"], merged, strict=True)
                  if (list(old) if old is not None else None) != new)
    if changed:
        report.note(f"{changed:,} tracks listed more than once keep the genres of all their "
                    "rows")
    return kept.assign(genres=merged)


def _content_id(row: tuple) -> str:
    """A stable id for rows of a file without track ids: hash of the row's values."""
    digest = hashlib.sha1(repr(row).encode("utf-8")).hexdigest()
    return f"local:{digest[:16]}"
