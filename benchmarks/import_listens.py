"""Importing listening data at the size of the Kaggle "Spotify Playlists" file.

Generates a file in the exact ``spotify_dataset.csv`` format (quoted header with spaces,
every field quoted) of ``--rows`` rows (default 12.9M, like the real one):
15,918 users, 157,504 playlists, songs of 290,000 artists: a fifth of the rows on
songs of the default catalog (so matching has work to do), two fifths uniform over 2.9M
songs, two fifths Zipf-skewed (a head of hits), and one row in a thousand broken (an
extra field or a stray quote; 1.08 GB). The file is SYNTHETIC (made here, never shipped
as data; the real one needs a Kaggle login).

Then, each in a fresh process, side by side in one run:

- ours: ``musicrec import-listens FILE --name bench`` (streamed, matched, written);
- the plain way: ``pandas.read_csv(FILE, on_bad_lines="skip")`` of the whole file,
  which only reads it (no matching, no codes, nothing written).

Prints wall time and peak RSS of each and their ratios. Usage:

    MUSICREC_DATA_DIR=../shared/data python benchmarks/import_listens.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

USERS, PLAYLISTS, SONGS, ARTISTS = 15_918, 157_504, 2_900_000, 290_000
CHUNK = 1_000_000


def generate(path: Path, rows: int, data_dir: Path, seed: int = 0) -> None:
    """Write the synthetic file (see the module docstring)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    songs = pd.read_csv(data_dir / "spotify_songs" / "spotify_songs.csv",
                        usecols=["track_name", "track_artist"]).dropna().drop_duplicates()
    real_titles = songs["track_name"].astype(str).tolist()
    real_artists = songs["track_artist"].astype(str).tolist()
    n_real = len(real_titles)
    artist_names = pa.array([f"Artist {i:06d}" for i in range(ARTISTS)])
    song_artist = rng.integers(0, ARTISTS, SONGS)
    titles = pa.array(real_titles + [f"Song {i:07d}" for i in range(SONGS - n_real)])
    artists = pa.concat_arrays([pa.array(real_artists),
                                pc.take(artist_names, pa.array(song_artist[n_real:]))])
    users = pa.array([f"{rng.integers(0, 2**63):016x}{i:016x}" for i in range(USERS)])
    playlist_user = rng.integers(0, USERS, PLAYLISTS)
    playlist_names = pa.array([f"Playlist {i}" for i in range(PLAYLISTS)])
    # a fifth of the plays on catalog songs, the rest Zipf-skewed over all songs
    with open(path, "w", encoding="utf-8") as out:
        out.write('"user_id", "artistname", "trackname", "playlistname"\n')
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            playlist = np.sort(rng.integers(0, PLAYLISTS, n))
            draw = rng.random(n)
            song = np.where(draw < 0.2, rng.integers(0, n_real, n), np.where(
                draw < 0.6, rng.integers(n_real, SONGS, n),
                np.minimum(rng.zipf(1.3, n) - 1 + n_real, SONGS - 1)))
            song = rng.permutation(song)
            parts = [pc.take(users, pa.array(playlist_user[playlist])),
                     pc.take(artists, pa.array(song)), pc.take(titles, pa.array(song)),
                     pc.take(playlist_names, pa.array(playlist))]
            parts = [pc.replace_substring(p, '"', "'") for p in parts]
            lines = pc.binary_join_element_wise(*parts, '","').to_pylist()
            for i in rng.choice(n, size=n // 1000, replace=False).tolist():
                lines[i] = lines[i] + ('","extra' if i % 2 else '" stray')
            out.write("".join(f'"{line}"\n' for line in lines))


def measure(command: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command in a fresh process."""
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "r = subprocess.run(sys.argv[1:]); "
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)"
              ".ru_maxrss / 1024, r.returncode)")
    done = subprocess.run([sys.executable, "-c", script, *command], env=env, check=True,
                          capture_output=True, text=True)
    seconds, rss, code = done.stdout.split()[-3:]
    if code != "0":
        raise SystemExit(f"{command[:3]} failed:\n{done.stderr[-2000:]}")
    return float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=12_900_000)
    parser.add_argument("--keep", type=Path, help="Keep the generated file here.")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    with tempfile.TemporaryDirectory(prefix="musicrec-bench-") as tmp:
        path = args.keep or Path(tmp) / "spotify_dataset.csv"
        if not path.exists():
            t = time.perf_counter()
            generate(path, args.rows, data_dir)
            print(f"generated {args.rows:,} rows (SYNTHETIC) in {time.perf_counter() - t:.0f} s: "
                  f"{path.stat().st_size / 1e9:.2f} GB")
        env = dict(os.environ, MUSICREC_CACHE_DIR=str(Path(tmp) / "cache"),
                   MUSICREC_DATA_DIR=str(data_dir), COLUMNS="200")
        ours = measure([sys.executable, "-m", "musicrec", "import-listens", str(path),
                        "--name", "bench"], env)
        plain = measure([sys.executable, "-c", "import pandas as pd, sys; "
                         "pd.read_csv(sys.argv[1], on_bad_lines='skip', dtype=str)",
                         str(path)], env)
    print(f"{'':28s} {'wall s':>8s} {'peak RSS MB':>12s}")
    print(f"{'musicrec import-listens':28s} {ours[0]:8.1f} {ours[1]:12.0f}")
    print(f"{'pandas.read_csv (read only)':28s} {plain[0]:8.1f} {plain[1]:12.0f}")
    print(f"ratios ours/pandas: time {ours[0] / plain[0]:.2f}x, memory {ours[1] / plain[1]:.2f}x")


if __name__ == "__main__":
    main()
