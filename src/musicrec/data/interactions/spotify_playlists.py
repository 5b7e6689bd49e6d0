"""The Kaggle "Spotify Playlists" file (``spotify_dataset.csv``): one row per
(user, artist, track, playlist), about 12.9M rows and 1.2 GB.

Its header is ``"user_id", "artistname", "trackname", "playlistname"`` (quotes and a
space after each comma); some rows have stray quotes or extra fields. Those are counted
and left out, never a reason to stop. Read in blocks by pyarrow's streaming CSV reader;
a playlist (user id and playlist name) is the "who".
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from musicrec.data.interactions.progress_file import CountingFile
from musicrec.data.interactions.table import ListenBuilder, Listens
from musicrec.errors import DataFileError
from musicrec.progress import SILENT, Progress

COLUMNS = ("user_id", "artistname", "trackname", "playlistname")
BLOCK = 16 << 20  # bytes parsed at a time


def header_names(line: str) -> list[str]:
    """The column names of a header line, quotes and spaces taken off."""
    return [part.strip().strip('"').strip() for part in line.rstrip("\r\n").split(",")]


def looks_like(path: Path, first_line: str) -> bool:
    """Whether a file with this first line is in this format."""
    return header_names(first_line)[: len(COLUMNS)] == list(COLUMNS)


def read(path: Path, progress: Progress = SILENT) -> Listens:
    """The file's events (see the module doc)."""
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    if not looks_like(path, first):
        raise DataFileError(path, f"expected the header {', '.join(COLUMNS)}; found "
                                  f"{first.strip()[:120]!r}", row=1)
    builder = ListenBuilder(path, "spotify-playlists")
    report = builder.report

    def bad(row) -> str:
        report.rows_read += 1
        line = None if row.number is None else row.number + 1  # the header is line 1
        report.bad_row(f"{row.actual_columns} fields instead of {row.expected_columns}",
                       line, row.text)
        return "skip"

    source = CountingFile(path, progress)
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=list(COLUMNS),
                                           block_size=BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=bad),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=True,
                null_values=[""]),
        )
        for batch in reader:
            report.rows_read += batch.num_rows
            user, artist, track, playlist = (batch.column(c) for c in COLUMNS)
            complete = pc.and_(pc.is_valid(artist), pc.is_valid(track))
            missing = batch.num_rows - pc.sum(complete).as_py() if batch.num_rows else 0
            if missing:
                report.skipped["no artist or track name"] += missing
                user, artist, track, playlist = (pc.filter(a, complete)
                                                 for a in (user, artist, track, playlist))
            who = pc.binary_join_element_wise(pc.fill_null(user, ""),
                                              pc.fill_null(playlist, ""), " / ")
            builder.add(who, track, artist)
    except pa.ArrowInvalid as exc:
        raise DataFileError(path, f"cannot be read as CSV ({exc})") from exc
    finally:
        source.close()
    return builder.finish()
