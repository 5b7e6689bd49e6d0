"""The learned style on a catalog without playlist labels, through the real import path.

The evaluation's artist-disjoint split of the default catalog (seeded) gives training
artists and held-out test artists. A style model is built on the training artists only
(as ``musicrec evaluate`` builds its models); the test artists' tracks are written to a
CSV with no playlist columns (what a user's own table looks like) and imported twice
with the real command line, as a user would: ``musicrec import ... --style-from SOURCE``
(the transferred style) and ``musicrec import ... --model original`` (the seed method).
Both imported models are asked through the shipped Recommender (default request: an
artist cap of 2), with the evaluation's artist filter (no candidate sharing an artist
with the query, no version of it), and judged against the held-out playlist labels:
genre and subgenre precision at 10. ``--drop`` leaves columns out of the CSV, to see
what the transfer loses when a table lacks them (they are then imputed).

    python benchmarks/transfer_style.py --data-dir ../shared/data --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

COLUMNS = ("track_id", "name", "artists", "album", "year", "release_date", "popularity",
           "duration_ms", "danceability", "energy", "key", "loudness", "mode", "speechiness",
           "acousticness", "instrumentalness", "liveness", "valence", "tempo")


def write_heldout_csv(catalog, rows: np.ndarray, path: Path, drop: list[str]) -> None:
    """The held-out tracks as a plain track table: no playlist, genre or label column."""
    table = catalog.tracks.iloc[rows][[c for c in COLUMNS if c not in drop]].copy()
    table["artists"] = ["; ".join(a) if a is not None else "" for a in table["artists"]]
    table.to_csv(path, index=False)


def import_with_cli(csv: Path, name: str, cache: Path, *extra: str) -> Path:
    """``musicrec import`` as a user runs it; returns the built model's directory."""
    env = {**os.environ, "MUSICREC_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "musicrec", "import", str(csv), "--name", name,
               "--map", "id=track_id", *extra]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr}")
    summary = [line for line in done.stderr.splitlines() if "imputed" in line or "kept" in line]
    print("   ", " | ".join(s.strip() for s in summary))
    folder = name if "original" not in extra else f"{name}-original"
    return cache / "models" / folder


def precision(model_dir: Path, queries_ids: list[str], labels, label_row: dict[str, int],
              k: int = 10) -> dict[str, float]:
    """Genre and subgenre P@k of the shipped Recommender on the imported catalog."""
    from musicrec.evaluation.harness import _artist_rows
    from musicrec.model.store import load_model
    from musicrec.recommend.recommender import Recommender
    from musicrec.recommend.request import RecommendRequest

    rec = Recommender(load_model(model_dir))
    catalog = rec.catalog
    names, by_artist = _artist_rows(catalog)
    exclude = []
    for track_id in queries_ids:
        q = catalog.index_of(track_id)
        same = [by_artist[a] for a in names[q]] + [catalog.version_rows([q]), np.array([q])]
        exclude.append(np.unique(np.concatenate(same)))
    answers = rec.recommend_batch([RecommendRequest([t], k=k) for t in queries_ids],
                                  exclude_rows=exclude)
    out = {}
    for level, matrix in (("genre", labels.genres), ("subgenre", labels.subgenres)):
        scores = []
        for track_id, answer in zip(queries_ids, answers, strict=True):
            mine = matrix[label_row[track_id]]
            hits = [bool((matrix[label_row[r.track_id]] & mine).any()) for r in answer.results]
            scores.append(sum(hits) / k)
        out[f"{level}_p@{k}"] = float(np.mean(scores))
    return out


def run_seed(catalog, labels, seed: int, queries: int, drop: list[str], work: Path) -> dict:
    from musicrec.evaluation.splits import artist_split
    from musicrec.model.build import build_model

    split = artist_split(catalog, 0.2, seed)
    source = work / f"source-{seed}"
    print(f"seed {seed}: style model on {len(split.train):,} training-artist tracks")
    build_model(catalog, source, "style", labels=labels.restricted(split.train),
                fit_rows=split.train, dataset="spotify_songs (training artists)")
    csv = work / f"heldout-{seed}.csv"
    write_heldout_csv(catalog, split.test, csv, drop)
    cache = work / f"cache-{seed}"
    print(f"  importing {len(split.test):,} held-out tracks (columns left out: "
          f"{', '.join(drop) or 'none'})")
    transferred = import_with_cli(csv, "heldout", cache, "--style-from", str(source))
    original = import_with_cli(csv, "heldout", cache, "--model", "original")
    test = split.test[labels.labelled[split.test]]
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(test, size=min(queries, len(test)), replace=False))
    ids = [str(catalog.tracks["track_id"].iloc[r]) for r in chosen]
    label_row = {str(t): i for i, t in enumerate(catalog.tracks["track_id"])}
    scores = {"transferred style": precision(transferred, ids, labels, label_row),
              "original (seed method)": precision(original, ids, labels, label_row)}
    for method, values in scores.items():
        print(f"  {method:24s} " + "  ".join(f"{k} {v:.3f}" for k, v in values.items()))
    return {"seed": seed, "heldout_tracks": len(split.test), "queries": len(ids),
            "train_tracks": len(split.train), "scores": scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("MUSICREC_DATA_DIR",
                                                             "../shared/data"))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--drop", default="", help="CSV columns to leave out, comma-separated")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    from musicrec.data.labels import track_labels
    from musicrec.workspace import dataset_catalog

    catalog = dataset_catalog("spotify_songs", data_dir=Path(args.data_dir))
    labels = track_labels(catalog)
    drop = [c.strip() for c in args.drop.split(",") if c.strip()]
    runs = []
    with tempfile.TemporaryDirectory(prefix="musicrec-transfer-") as work:
        for seed in (int(s) for s in args.seeds.split(",")):
            runs.append(run_seed(catalog, labels, seed, args.queries, drop, Path(work)))
    for level in ("genre_p@10", "subgenre_p@10"):
        ours = [r["scores"]["transferred style"][level] for r in runs]
        theirs = [r["scores"]["original (seed method)"][level] for r in runs]
        print(f"{level}: transferred {np.mean(ours):.3f} vs seed method {np.mean(theirs):.3f} "
              f"(ratio {np.mean(ours) / np.mean(theirs):.2f}x over {len(runs)} seed(s))")
    if args.json:
        args.json.write_text(json.dumps({"drop": drop, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
