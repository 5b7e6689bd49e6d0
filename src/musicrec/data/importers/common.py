"""What every importer shares: reading a table file safely and the result it returns."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.importers.report import ImportReport
from musicrec.data.schema import empty_interactions
from musicrec.errors import DataFileError


@dataclass
class ImportResult:
    """Canonical tables read from one dataset: tracks, and playlist data where known."""

    tracks: pd.DataFrame
    interactions: pd.DataFrame = field(default_factory=empty_interactions)
    playlists: pd.DataFrame | None = None
    sources: list[Path] = field(default_factory=list)
    #: what the import counted (bad cells, skipped rows), for importers that keep one
    report: ImportReport | None = None
    #: (n_tracks, d) audio embeddings, one row per track, for a library scanned from files
    embeddings: np.ndarray | None = None
    #: per-track facts of a scanned library (path, hash, decoder, ...), by track_id
    files: pd.DataFrame | None = None
    #: (n_tracks, 250) the tagger's 50 tag probabilities then its 200-value embedding per
    #: track (NaN where a song was not tagged), for a library scanned with the tagger
    tagger: np.ndarray | None = None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (all cells as text) or Parquet file; problems become DataFileError."""
    parts = [chunk for chunk, _, _ in iter_table(path)]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


#: Rows per chunk when a table is read in pieces (about 100 MB of text cells at most).
CHUNK_ROWS = 200_000


def iter_table(path: str | Path, chunk_rows: int | None = None
               ) -> Iterator[tuple[pd.DataFrame, int, int]]:
    """A CSV (all cells as text) or Parquet file in chunks of ``chunk_rows`` rows (all at
    once by default), each with how far the read is and how far it goes (bytes of a CSV,
    rows of a Parquet file), so a million-row table never sits in memory as text at once.
    Problems become DataFileError; an empty CSV yields one empty frame with its columns."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "file not found")
    if path.is_dir():
        raise DataFileError(path, "is a folder, not a file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            yield from _parquet_chunks(path, chunk_rows)
            return
        size = path.stat().st_size
        options = {"dtype": str, "keep_default_na": True, "na_values": [""],
                   "encoding": "utf-8"}
        if chunk_rows is None:
            yield pd.read_csv(path, **options), size, size
            return
        with open(path, "rb") as handle, pd.read_csv(handle, chunksize=chunk_rows,
                                                     **options) as reader:
            for chunk in reader:
                yield chunk, handle.tell(), size
    except DataFileError:
        raise
    except PermissionError as exc:
        raise DataFileError(path, "cannot be read (permission denied)") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "is not a UTF-8 text CSV file") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "is empty") from exc
    except (pd.errors.ParserError, csv.Error) as exc:
        raise DataFileError(path, f"is not a well-formed CSV file ({exc})".strip()) from exc
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror or exc})") from exc


def _parquet_chunks(path: Path, chunk_rows: int | None
                    ) -> Iterator[tuple[pd.DataFrame, int, int]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        total = file.metadata.num_rows
        if total == 0 or chunk_rows is None:
            yield file.read().to_pandas(), total, total
            return
        done = 0
        for batch in file.iter_batches(batch_size=chunk_rows):
            done += batch.num_rows
            yield batch.to_pandas(), done, total
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        raise DataFileError(path, f"is not a valid Parquet file ({exc})") from exc


def parse_list_column(frame: pd.DataFrame, column: str, path, parser) -> list:
    """Apply ``parser`` to each cell, reporting the file row of the first bad cell."""
    out = []
    for pos, cell in enumerate(frame[column].to_numpy()):
        try:
            out.append(parser(cell))
        except ValueError as exc:
            raise DataFileError(path, str(exc), row=pos + 2, column=column) from exc
    return out
