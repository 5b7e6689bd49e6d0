"""Warm recommend latency: the seed method (Kaggle-notebook lineage) vs musicrec, one run.

The seed method, per query: look the song up in the DataFrame by name and year, scale
the whole table with the fitted StandardScaler, ``scipy.spatial.distance.cdist(...,
"cosine")`` from the seeds' mean, argsort, drop the seeds by name. musicrec: a warm
``Recommender.recommend`` on a loaded model (resolves the title, filters, reranks and
explains), as shipped (one-track queries start from the model's neighbour table) and
with the table switched off (every query scans the whole catalog, as multi-seed
queries do). All use the same catalog, the same feature columns and the same seeds;
blocks of queries rotate between the methods so machine noise hits them alike.

    MUSICREC_DATA_DIR=../shared/data python benchmarks/recommend_latency.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def seed_method_setup(tracks: pd.DataFrame, features: list[str]):
    """The notebook's state: the DataFrame and a StandardScaler fitted on it."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    data = tracks[list(dict.fromkeys(["name", "year", "artists", *features]))].copy()
    data[features] = data[features].astype("float64")
    pipeline = Pipeline([("scaler", StandardScaler())])
    pipeline.fit(data[features])
    return data, pipeline


def seed_method_recommend(song: dict, data: pd.DataFrame, pipeline, features, n_songs=10):
    """recommend_songs() of the Kaggle-notebook lineage, for one seed song."""
    from scipy.spatial.distance import cdist

    song_data = data[(data["name"] == song["name"]) & (data["year"] == song["year"])].iloc[0]
    song_center = np.mean([song_data[features].to_numpy(dtype=float)], axis=0)
    scaler = pipeline.steps[0][1]
    scaled_data = scaler.transform(data[features])
    scaled_song_center = scaler.transform(pd.DataFrame([song_center], columns=features))
    distances = cdist(scaled_song_center, scaled_data, "cosine")
    index = list(np.argsort(distances)[:, :n_songs][0])
    rec_songs = data.iloc[index]
    rec_songs = rec_songs[~rec_songs["name"].isin([song["name"]])]
    return rec_songs[["name", "year", "artists"]].to_dict(orient="records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--block", type=int, default=20, help="queries per alternating block")
    parser.add_argument("--data-dir", default=os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    args = parser.parse_args()

    from musicrec import Recommender
    from musicrec.index import ExactIndex
    from musicrec.workspace import open_recommender

    with tempfile.TemporaryDirectory() as cache:
        rec = open_recommender(data_dir=Path(args.data_dir), cache_dir=Path(cache))
        scan = Recommender(rec.model, index=ExactIndex(rec.vectors))  # no neighbour table
        features = rec.space.features_
        tracks = rec.catalog.tracks
        data, pipeline = seed_method_setup(tracks, features)

        # Seeds: random titled tracks whose title is unique, so both methods take the same one.
        rng = np.random.default_rng(args.seed)
        unique = tracks[tracks["name"].notna() & ~tracks["name"].duplicated(keep=False)]
        picks = unique.iloc[rng.choice(len(unique), size=args.queries, replace=False)]
        songs = [{"name": n, "year": y} for n, y in zip(picks["name"], picks["year"], strict=True)]

        methods = {
            "seed method (DataFrame + scaler + cdist)":
                lambda song: seed_method_recommend(song, data, pipeline, features),
            "musicrec warm recommend": lambda song: rec.recommend(song["name"], k=10),
            "musicrec warm recommend, full scan (no neighbour table)":
                lambda song: scan.recommend(song["name"], k=10),
        }
        for method in methods.values():  # warm up
            for song in songs[:5]:
                method(song)

        # Rotate blocks of queries: each method runs warm, as in a service answering
        # one query after another, and drift on the shared machine hits all alike.
        times: dict[str, list[float]] = {name: [] for name in methods}
        for start_at in range(0, len(songs), args.block):
            block = songs[start_at: start_at + args.block]
            for name, method in methods.items():
                for song in block:
                    start = time.perf_counter()
                    method(song)
                    times[name].append(time.perf_counter() - start)

    print(f"catalog: {len(tracks):,} tracks, {len(features)} features; {len(songs)} queries, k=10")
    print()
    print("| method | median ms/query | p90 ms/query | seed method / this |")
    print("|---|---:|---:|---:|")
    seed_median = statistics.median(next(iter(times.values())))
    for name, samples in times.items():
        median = statistics.median(samples)
        p90 = float(np.percentile(samples, 90))
        print(f"| {name} | {median * 1e3:.3f} | {p90 * 1e3:.3f} | {seed_median / median:.1f}x |")
    print()
    ours = statistics.median(times["musicrec warm recommend"])
    print(f"median ratio (seed method / musicrec warm recommend): {seed_median / ours:.1f}x")


if __name__ == "__main__":
    main()
