"""What skips do to a radio station: after five skips of tracks of one song cluster, how
many of the next 20 tracks come from that cluster, against the same station with no
feedback at the same point, on seeded stations of the default catalog.

Each station starts from a random track and plays one track at a time; every track of
the first track's cluster is skipped (others get no feedback) until five skips. Usage::

    MUSICREC_DATA_DIR=../shared/data python benchmarks/radio_feedback.py [--stations 100]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from musicrec import Recommender
from musicrec.recommend.radio import Radio
from musicrec.workspace import ensure_model

SKIPS, AFTER = 5, 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=100)
    args = parser.parse_args()
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")).resolve()
    rec = Recommender(ensure_model("spotify_songs", data_dir=data_dir))
    labels = rec.model.clusters.songs.labels
    ids = rec.catalog.tracks["track_id"].astype(str).to_numpy()
    rng = np.random.default_rng(0)
    told_counts, plain_counts, played_until = [], [], []
    for seed in rng.choice(len(ids), args.stations, replace=False):
        told, plain = Radio(rec), Radio(rec)
        station, first = told.start([ids[seed]], n=1)
        cluster = labels[rec.catalog.index_of(first.results[0].track_id)]
        skips = 0
        while skips < SKIPS and len(told._stations[station].played) < 500:
            last = told._stations[station].played[-1]
            skip = labels[rec.catalog.index_of(last)] == cluster
            skips += int(skip)
            told.next(station, "skip" if skip else None, n=1)
        played = len(told._stations[station].played)
        last = told._stations[station].played[-1]
        feedback = "skip" if labels[rec.catalog.index_of(last)] == cluster else None
        after = told.next(station, feedback, n=AFTER).results
        other, _ = plain.start([ids[seed]], n=played)
        same_point = plain.next(other, None, n=AFTER).results
        told_counts.append(sum(labels[rec.catalog.index_of(r.track_id)] == cluster
                               for r in after))
        plain_counts.append(sum(labels[rec.catalog.index_of(r.track_id)] == cluster
                                for r in same_point))
        played_until.append(played)
    print(f"{args.stations} seeded stations of the default catalog ({len(ids):,} tracks, "
          f"{labels.max() + 1} song clusters); tracks of the skipped cluster among the next "
          f"{AFTER}, after {SKIPS} skips of it (mean, median):")
    print(f"| station | of the next {AFTER}: mean | median | share |")
    print("|---|---:|---:|---:|")
    for name, counts in (("no feedback", plain_counts), (f"{SKIPS} skips", told_counts)):
        print(f"| {name} | {np.mean(counts):.2f} | {np.median(counts):.0f} | "
              f"{np.mean(counts) / AFTER:.0%} |")
    print(f"tracks played before the {SKIPS}th skip: median {np.median(played_until):.0f}")


if __name__ == "__main__":
    main()
