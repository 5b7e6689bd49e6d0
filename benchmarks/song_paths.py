"""How smooth a song path is: ``Recommender.path`` against a straight line (the nearest
unused track to each waypoint) and a random path, on seeded pairs of the default catalog.

For each pair, a path of ``--steps`` steps by each method; per path the largest and the
mean cosine distance between consecutive tracks; the table gives their means over the
pairs and the p50/p99 time of one path. Usage::

    MUSICREC_DATA_DIR=../shared/data python benchmarks/song_paths.py [--pairs 200] [--steps 25]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from musicrec import Recommender
from musicrec.recommend.path import waypoints
from musicrec.workspace import ensure_model


def straight_line(rec: Recommender, a: int, b: int, steps: int) -> list[int]:
    codes = rec.catalog.version_codes
    used = {int(codes[a]), int(codes[b])}
    ranked = np.argsort(-(waypoints(rec.vectors[a], rec.vectors[b], steps) @ rec.vectors.T),
                        axis=1)
    path = [a]
    for order in ranked:
        row = next(int(r) for r in order if int(codes[r]) not in used)
        used.add(int(codes[row]))
        path.append(row)
    return [*path, b]


def random_path(rec: Recommender, a: int, b: int, steps: int, rng) -> list[int]:
    codes = rec.catalog.version_codes
    picked: list[int] = []
    used = {int(codes[a]), int(codes[b])}
    while len(picked) < steps - 1:
        row = int(rng.integers(len(codes)))
        if int(codes[row]) not in used:
            used.add(int(codes[row]))
            picked.append(row)
    return [a, *picked, b]


def steps_of(rec: Recommender, rows: list[int]) -> np.ndarray:
    v = rec.vectors[rows]
    return 1.0 - np.einsum("ij,ij->i", v[1:], v[:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")).resolve()
    rec = Recommender(ensure_model("spotify_songs", data_dir=data_dir))
    ids = rec.catalog.tracks["track_id"].astype(str).to_numpy()
    codes = rec.catalog.version_codes
    rng = np.random.default_rng(0)
    pairs = []
    while len(pairs) < args.pairs:
        a, b = (int(x) for x in rng.choice(len(ids), 2, replace=False))
        if codes[a] != codes[b]:
            pairs.append((a, b))
    figures: dict[str, dict[str, list[float]]] = {
        m: {"largest": [], "mean": [], "ms": []} for m in ("musicrec path", "straight line",
                                                          "random")}
    rec.path(ids[pairs[0][0]], ids[pairs[0][1]], args.steps)  # warm
    for a, b in pairs:
        for method in figures:
            start = time.perf_counter()
            if method == "musicrec path":
                rows = [rec.catalog.index_of(r.track_id) for r in
                        rec.path(ids[a], ids[b], args.steps).results]
            elif method == "straight line":
                rows = straight_line(rec, a, b, args.steps)
            else:
                rows = random_path(rec, a, b, args.steps, rng)
            figures[method]["ms"].append((time.perf_counter() - start) * 1e3)
            distances = steps_of(rec, rows)
            figures[method]["largest"].append(float(distances.max()))
            figures[method]["mean"].append(float(distances.mean()))
    print(f"{args.pairs} seeded pairs of the default catalog ({len(ids):,} tracks), "
          f"{args.steps} steps each; cosine distance between consecutive tracks")
    print("| method | largest step (mean) | mean step (mean) | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for method, f in figures.items():
        print(f"| {method} | {np.mean(f['largest']):.4f} | {np.mean(f['mean']):.4f} | "
              f"{np.percentile(f['ms'], 50):.2f} | {np.percentile(f['ms'], 99):.2f} |")


if __name__ == "__main__":
    main()
