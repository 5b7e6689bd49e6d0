"""Index backends side by side: exact scan, neighbour table, HNSW (faiss), on the
default model's real vectors (28,356 tracks) and on a larger catalog made by resampling
them with small noise (SYNTHETIC, labelled so; never shipped as data).

For each size and backend: build time, warm p50 and p99 per one-track query (through
``Index.search_rows``, as the Recommender asks), and recall@10 against the exact scan.
Usage::

    MUSICREC_DATA_DIR=../shared/data python benchmarks/index_backends.py --sizes 28356,300000
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from musicrec.index import ExactIndex
from musicrec.index.hnsw import HnswIndex
from musicrec.index.neighbours import MAX_TRACKS, NeighbourIndex
from musicrec.threads import limited_threads
from musicrec.workspace import ensure_model


def catalog_of(vectors: np.ndarray, size: int, rng) -> np.ndarray:
    """``size`` unit vectors: the real ones, then resampled ones with noise (SYNTHETIC)."""
    if size <= len(vectors):
        return np.ascontiguousarray(vectors[:size])
    extra = vectors[rng.integers(0, len(vectors), size - len(vectors))]
    extra = extra + rng.normal(scale=0.05, size=extra.shape).astype(np.float32)
    out = np.vstack([vectors, extra]).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def timed_queries(index, rows: np.ndarray, k: int = 10) -> tuple[np.ndarray, list[float]]:
    found, times = [], []
    for row in rows.tolist():
        start = time.perf_counter()
        r, _ = index.search_rows([row], k + 1, None, [np.array([row])])
        times.append(time.perf_counter() - start)
        found.append(r[0][:k])
    return np.array(found), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="28356,300000")
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    real = np.asarray(ensure_model("spotify_songs", data_dir=data_dir).vectors, np.float32)
    rng = np.random.default_rng(0)
    print(f"{'size':>9s} {'backend':>10s} {'build s':>8s} {'p50 us':>8s} {'p99 us':>8s} "
          f"{'recall@10':>9s}  (sizes above {len(real):,}: SYNTHETIC resampled vectors)")
    with limited_threads():
        for size in (int(s) for s in args.sizes.split(",")):
            vectors = catalog_of(real, size, rng)
            queries = rng.choice(size, args.queries, replace=False)
            results = {}
            backends = [ExactIndex, HnswIndex] + ([NeighbourIndex] if size <= MAX_TRACKS else [])
            for backend in backends:
                start = time.perf_counter()
                index = backend.build(vectors)
                built = time.perf_counter() - start
                timed_queries(index, queries[:20])  # warm up
                found, times = timed_queries(index, queries)
                results[backend.name] = (built, found, np.array(times) * 1e6)
            truth = results["exact"][1]
            for name, (built, found, times) in results.items():
                recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth,
                                                                             strict=True)])
                print(f"{size:9,d} {name:>10s} {built:8.1f} {np.percentile(times, 50):8.0f} "
                      f"{np.percentile(times, 99):8.0f} {recall:9.4f}")
            exact_p50 = np.percentile(results["exact"][2], 50)
            print(f"{'':9s} hnsw p50 is {exact_p50 / np.percentile(results['hnsw'][2], 50):.1f}x "
                  "faster than the exact scan")


if __name__ == "__main__":
    main()
