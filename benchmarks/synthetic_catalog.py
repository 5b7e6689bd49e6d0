"""A SYNTHETIC track table of any size, for scale benchmarks only (never shipped as data).

Rows are the default catalog's real tracks resampled with small Gaussian noise in the
standardised feature space (0.1 standard deviations), then put back in their units and
clipped to the schema's ranges; key and mode are kept as sampled. Every copy beyond the
first gets its own artists ("<artist> ~ copy N"), so artist groups keep their real sizes,
and every title and id says it is synthetic. Usage::

    MUSICREC_DATA_DIR=../shared/data python benchmarks/synthetic_catalog.py 1000000 out.parquet
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from musicrec.data.schema import VALID_RANGES
from musicrec.workspace import read_dataset

NOISE = 0.1
CONTINUOUS = ("danceability", "energy", "loudness", "speechiness", "acousticness",
              "instrumentalness", "liveness", "valence", "tempo", "duration_ms",
              "popularity", "year")
_CHUNK = 200_000


def real_tracks(data_dir: Path) -> pd.DataFrame:
    """The default catalog's canonical tracks (the rows that are resampled)."""
    return read_dataset("spotify_songs", data_dir=data_dir).tracks


def synthetic_chunk(real: pd.DataFrame, start: int, size: int, rng) -> pd.DataFrame:
    """Rows ``start .. start + size`` of the synthetic table (see the module doc)."""
    pick = rng.integers(0, len(real), size)
    out = real.iloc[pick].reset_index(drop=True)
    copy = (np.arange(start, start + size) // len(real)).astype(np.int64)
    for column in CONTINUOUS:
        values = out[column].astype("float64").to_numpy()
        spread = np.nanstd(real[column].astype("float64").to_numpy())
        values = values + rng.normal(scale=NOISE * spread, size=size)
        lo, hi = VALID_RANGES[column]
        out[column] = np.clip(values, lo, hi)
    for column in ("year", "popularity", "duration_ms"):
        out[column] = out[column].round()
    numbers = np.arange(start, start + size)
    out["track_id"] = [f"synthetic:{i:08d}" for i in numbers]
    out["name"] = [f"{name} (synthetic {i})" for name, i in zip(out["name"], numbers,
                                                                 strict=True)]
    out["artists"] = [None if a is None else [f"{x} ~ copy {c}" if c else x for x in a]
                      for a, c in zip(out["artists"], copy, strict=True)]
    out["release_date"] = None
    out["source"] = "synthetic"
    return out


def write_synthetic(size: int, path: Path, data_dir: Path, seed: int = 0) -> Path:
    """Write a synthetic table of ``size`` rows to ``path`` (Parquet), in chunks."""
    real = real_tracks(data_dir)
    rng = np.random.default_rng(seed)
    writer = None
    tmp = path.with_name(path.name + ".tmp")
    try:
        for start in range(0, size, _CHUNK):
            chunk = synthetic_chunk(real, start, min(_CHUNK, size - start), rng)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    write_synthetic(args.size, args.out, data_dir)
    print(f"wrote {args.size:,} SYNTHETIC tracks to {args.out}")


if __name__ == "__main__":
    main()
