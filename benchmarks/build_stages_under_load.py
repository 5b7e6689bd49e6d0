"""Which part of the build suffers on busy cores, and why: the style model's two learners
timed alone, idle and beside two CPU-bound processes, with 1 and 2 threads.

The boosted trees run OpenMP threads; the playlist network runs matrix products in
OpenBLAS threads. Each is timed in a fresh process (so thread settings and
``OMP_WAIT_POLICY`` apply from the start) on the default catalog's real inputs, with a
fixed amount of work (no early stopping) so every case does the same computation. The
network is timed in double precision (as it was) and in single precision (as shipped).

    python benchmarks/build_stages_under_load.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SPIN = "while True: pass"
CHILD = r'''
import json, sys, time, warnings
import numpy as np
from threadpoolctl import threadpool_limits
from musicrec.data.labels import track_labels
from musicrec.features.cues import text_cues
from musicrec.features.space import FeatureSpace
from musicrec.features.style import _expand
from musicrec.workspace import dataset_catalog
stage, threads, data_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
catalog = dataset_catalog("spotify_songs", data_dir=data_dir)
labels = track_labels(catalog)
space = FeatureSpace().fit(catalog.tracks)
cues = text_cues(catalog.tracks["name"], catalog.tracks["album"])
x = np.hstack([space.scaled(catalog.tracks), cues])
with threadpool_limits(limits=threads):
    started = time.perf_counter()
    if stage == "trees":
        from sklearn.ensemble import HistGradientBoostingClassifier
        HistGradientBoostingClassifier(max_iter=60, early_stopping=False, random_state=0).fit(
            *_expand(x, labels.subgenres))
    else:
        from sklearn.neural_network import MLPClassifier
        names = sorted(labels.playlist_rows)
        rows = np.concatenate([labels.playlist_rows[p] for p in names])
        target = np.repeat(np.arange(len(names)), [len(labels.playlist_rows[p]) for p in names])
        warnings.simplefilter("ignore")
        inputs = x[rows].astype(np.float32 if stage == "network32" else np.float64)
        MLPClassifier((128,), max_iter=15, random_state=0).fit(inputs, target)
    print(json.dumps(time.perf_counter() - started))
'''


def timed(stage: str, threads: int, passive: bool, data_dir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    done = subprocess.run([sys.executable, "-c", CHILD, stage, str(threads), str(data_dir)],
                          env=env, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")))
    args = parser.parse_args()
    cases = [(0, 1, False), (0, 2, False), (2, 1, False), (2, 2, False), (2, 2, True)]
    print("| stage | machine | threads | seconds |\n|---|---|---|---|")
    for stage in ("trees", "network", "network32"):
        for busy, threads, passive in cases:
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
            try:
                time.sleep(1.0 if busy else 0.0)
                seconds = timed(stage, threads, passive, args.data_dir.resolve())
            finally:
                for p in spinners:
                    p.kill()
                    p.wait()
            label = f"{threads}" + (", OMP_WAIT_POLICY=PASSIVE" if passive else "")
            machine = f"{busy} busy" if busy else "idle"
            name = {"trees": "boosted trees (OpenMP), 60 rounds",
                    "network": "playlist network (OpenBLAS), 15 epochs, float64",
                    "network32": "playlist network (OpenBLAS), 15 epochs, float32"}[stage]
            print(f"| {name} | {machine} | {label} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
