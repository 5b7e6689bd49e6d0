"""The Kaggle "Spotify Playlists" file (``spotify_dataset.csv``): one row per
(user, artist, track, playlist), about 12.9M rows and 1.2 GB.

Its header is ``"user_id", "artistname", "trackname", "playlistname"`` (quotes and a
space after each comma); some rows have stray quotes or extra fields. A line with the
wrong number of fields is counted and left out, a stray quote is counted and kept in
its field; neither is a reason to stop. Read in blocks of lines by pyarrow's streaming
reader and split by pyarrow's compute functions; a playlist (user id and playlist
name) is the "who".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    """The file's events (see the module doc).

    Every field of this file is quoted, so a line is split on ``","`` between its outer
    quotes rather than parsed as general CSV: a stray quote inside a title (``"Title
    "Live" Version"``) then stays in that one field (counted) instead of swallowing the
    rest of the line or the next line, and each line is one row, so bad lines are named
    by their line number. Escaped quotes (``""``) are unescaped.
    """
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    if not looks_like(path, first):
        raise DataFileError(path, f"expected the header {', '.join(COLUMNS)}; found "
                                  f"{first.strip()[:120]!r}", row=1)
    builder = ListenBuilder(path, "spotify-playlists")
    report = builder.report

    def odd(row) -> str:  # a line holding the separator character itself
        report.rows_read += 1
        report.bad_row("a control character (\\x1e) in the line", None, row.text)
        return "skip"

    source = CountingFile(path, progress)
    line = 1  # the header
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=["line"],
                                           block_size=BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter="\x1e", quote_char=False,
                                             escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=odd),
            convert_options=pacsv.ConvertOptions(column_types={"line": pa.string()},
                                                 strings_can_be_null=False),
        )
        for batch in reader:
            n = batch.num_rows
            report.rows_read += n
            _add_lines(builder, batch.column(0), line + 1)
            line += n
    except pa.ArrowInvalid as exc:
        raise DataFileError(path, f"cannot be read ({exc})") from exc
    finally:
        source.close()
    return builder.finish()


def _add_lines(builder: ListenBuilder, lines: pa.Array, first_line: int) -> None:
    """Split one block of lines into fields, count the bad ones, add the rest."""
    report = builder.report
    text = pc.utf8_rtrim(lines, characters="\r")
    quoted = pc.and_(pc.starts_with(text, '"'), pc.ends_with(text, '"'))
    inner = pc.utf8_slice_codeunits(text, 1, -1)
    parts = pc.split_pattern(inner, '","')
    fields = pc.list_value_length(parts)
    good = pc.and_(quoted, pc.equal(fields, len(COLUMNS)))
    empty = pc.equal(pc.utf8_length(text), 0)
    bad = np.flatnonzero(~pc.or_(good, empty).to_numpy(zero_copy_only=False))
    if len(bad):
        counts = fields.to_numpy(zero_copy_only=False)
        is_quoted = quoted.to_numpy(zero_copy_only=False)
        shown = pc.take(text, pa.array(bad)).to_pylist()
        for i, raw in zip(bad.tolist(), shown, strict=True):
            reason = (f"{counts[i]} fields instead of {len(COLUMNS)}" if is_quoted[i]
                      else "not a quoted line")
            report.bad_row(reason, first_line + i, raw)
    blank = int(pc.sum(empty).as_py() or 0)
    if blank:
        report.skipped["empty line"] += blank
    parts = pc.filter(parts, good)
    user, artist, track, playlist = (pc.list_element(parts, i) for i in range(len(COLUMNS)))
    stray = None
    for column in (artist, track, playlist):
        quotes = pc.subtract(pc.count_substring(column, '"'),
                             pc.multiply(pc.count_substring(column, '""'), 2))
        has = pc.greater(quotes, 0)
        stray = has if stray is None else pc.or_(stray, has)
    strays = int(pc.sum(stray).as_py() or 0) if stray is not None else 0
    if strays:
        report.fixed["a stray quote inside a field (kept as written)"] += strays
    artist, track, playlist = (pc.replace_substring(c, '""', '"')
                               for c in (artist, track, playlist))
    complete = pc.and_(pc.greater(pc.utf8_length(artist), 0),
                       pc.greater(pc.utf8_length(track), 0))
    missing = len(complete) - int(pc.sum(complete).as_py() or 0)
    if missing:
        report.skipped["no artist or track name"] += missing
        user, artist, track, playlist = (pc.filter(a, complete)
                                         for a in (user, artist, track, playlist))
    who = pc.binary_join_element_wise(user, playlist, " / ")
    builder.add(who, track, artist)
