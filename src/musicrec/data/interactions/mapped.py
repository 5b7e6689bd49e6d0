"""Any CSV of listening data, its columns named by the user:
``musicrec import-listens FILE --map user=COL --map title=COL --map artist=COL
[--map weight=COL] [--map time=COL] [--map track_id=COL]``.

Columns not given are looked for by their usual names (``user``, ``user_id``,
``playlist``; ``title``, ``track``, ``track_name``; ``artist``, ``artist_name``; ...),
in any case. A row without a user, or with neither a title nor an id, is counted and
left out; so is a weight or time that is not a number (the weight then 1, the time
unknown, counted). Read in blocks by pyarrow's streaming CSV reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from musicrec.data.interactions.progress_file import CountingFile
from musicrec.data.interactions.spotify_playlists import BLOCK, header_names
from musicrec.data.interactions.table import ListenBuilder, Listens
from musicrec.errors import DataFileError, InvalidArgumentError
from musicrec.progress import SILENT, Progress

FIELDS = ("user", "title", "artist", "weight", "time", "track_id")
ALIASES = {  # usual names, in any case; "Track Name", "Artist Name(s)", "Track URI": Exportify
    "user": ("user", "user_id", "user_name", "username", "userid", "listener", "playlist",
             "playlist_id", "playlistname", "session_id"),
    "title": ("title", "track", "track_name", "trackname", "track name", "name", "song",
              "song_name"),
    "artist": ("artist", "artist_name", "artistname", "artists", "artist name(s)",
               "artist name", "creator", "performer"),
    "weight": ("weight", "plays", "playcount", "play_count", "count", "listens"),
    "time": ("time", "timestamp", "listened_at", "played_at", "ts", "date"),
    "track_id": ("track_id", "spotify_id", "id", "uri", "spotify_uri", "track_uri",
                 "track uri", "url", "recording_mbid"),
}


def column_map(header: list[str], given: Mapping[str, str], path: Path,
               option: str = "--map") -> dict[str, str]:
    """Field -> file column: the ones given, then by usual names (any case). ``option``
    is what the messages call the way to give them."""
    unknown = [f for f in given if f not in FIELDS]
    if unknown:
        raise InvalidArgumentError(f"{option} takes {', '.join(FIELDS)} (not "
                                   f"{', '.join(unknown)})")
    lower = {h.casefold(): h for h in header}
    out: dict[str, str] = {}
    for field in FIELDS:
        if field in given:
            if not given[field]:
                continue  # --map FIELD= leaves it out
            if given[field] not in header:
                raise DataFileError(path, f"has no column '{given[field]}' (for {field}); its "
                                          f"columns are {', '.join(header[:12])}", row=1)
            out[field] = given[field]
            continue
        found = next((lower[a] for a in ALIASES[field] if a in lower), None)
        if found is not None and found not in out.values():
            out[field] = found
    if "user" not in out or not ({"title", "track_id"} & set(out)):
        raise DataFileError(path, "needs a user column and a title or track id column; give "
                                  f"them with {option} user=COLUMN {option} title=COLUMN "
                                  f"{option} artist=COLUMN (its columns: "
                                  f"{', '.join(header[:12])})", row=1)
    return out


def _numbers(values: pa.Array) -> np.ndarray:
    """Floats of a string column; NaN where a cell is not a number."""
    text = pc.utf8_trim_whitespace(pc.fill_null(values, ""))
    number = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    out = np.full(len(values), np.nan)
    ok = number.to_numpy(zero_copy_only=False)
    if ok.any():
        out[ok] = pc.cast(pc.filter(text, number), pa.float64()).to_numpy()
    return out


def _times(values: pa.Array) -> np.ndarray:
    """Unix seconds of numbers or ISO dates; NaN where neither."""
    out = _numbers(values)
    rest = np.isnan(out) & pc.is_valid(values).to_numpy(zero_copy_only=False)
    if rest.any():
        import pandas as pd

        text = pc.filter(values, pa.array(rest)).to_pandas()
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        seconds = (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        out[rest] = seconds.to_numpy(dtype=float, na_value=np.nan)
    return out


def read(path: Path, mapping: Mapping[str, str] | None = None,
         progress: Progress = SILENT) -> Listens:
    """The file's events by ``mapping`` (field -> column; see the module doc)."""
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        header = header_names(handle.readline())
    columns = column_map(header, dict(mapping or {}), path)
    builder = ListenBuilder(path, "mapped")
    report = builder.report
    report.notes.append("columns: " + ", ".join(f"{f} <- {c}" for f, c in columns.items()))

    def bad(row) -> str:
        report.rows_read += 1
        line = None if row.number is None else row.number + 1
        report.bad_row(f"{row.actual_columns} fields instead of {row.expected_columns}",
                       line, row.text)
        return "skip"

    source = CountingFile(path, progress)
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=header, block_size=BLOCK,
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=bad),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(dict.fromkeys(columns.values())),
                column_types={c: pa.string() for c in header}, null_values=[""],
                strings_can_be_null=True),
        )
        for batch in reader:
            report.rows_read += batch.num_rows
            get = {f: batch.column(c) for f, c in columns.items()}
            n = batch.num_rows
            nulls = pa.nulls(n, pa.string())
            title, track_id = get.get("title", nulls), get.get("track_id", nulls)
            ok = pc.and_(pc.is_valid(get["user"]),
                         pc.or_(pc.is_valid(title), pc.is_valid(track_id)))
            dropped = n - (pc.sum(ok).as_py() or 0)
            if dropped:
                report.skipped["no user, or neither a title nor an id"] += dropped
                get = {f: pc.filter(a, ok) for f, a in get.items()}
                n -= dropped
                nulls = pa.nulls(n, pa.string())
            weights = times = None
            if "weight" in get:
                weights = _numbers(get["weight"])
                bad_weight = np.isnan(weights) | (weights < 0)
                if bad_weight.any():
                    report.fixed["weight not a number >= 0, taken as 1"] += int(
                        bad_weight.sum())
                    weights[bad_weight] = 1.0
            if "time" in get:
                times = _times(get["time"])
            builder.add(get["user"], get.get("title", nulls), get.get("artist", nulls),
                        get.get("track_id"), weights, times)
    except pa.ArrowInvalid as exc:
        raise DataFileError(path, f"cannot be read as CSV ({exc})") from exc
    finally:
        source.close()
    return builder.finish()
