"""Training time of the collaborative parts on the default catalog's playlists: the
shipped ALS (implicit) and LightFM fits, beside the style model's fit they build on,
in one run (the machine is shared: compare the ratios).

    MUSICREC_DATA_DIR=../shared/data python benchmarks/train_collaborative.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from musicrec.data.interactions import UserItems
from musicrec.data.labels import playlist_members, track_labels
from musicrec.model.kinds.als import fit_als
from musicrec.model.kinds.lightfm_kind import fit_lightfm
from musicrec.model.kinds.style import StyleKind
from musicrec.progress import SILENT
from musicrec.threads import limited_threads
from musicrec.workspace import dataset_catalog


def main() -> None:
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    catalog = dataset_catalog("spotify_songs", data_dir=data_dir)
    members = playlist_members(catalog)
    data = UserItems.from_groups(members, len(catalog))
    times = {}
    with limited_threads() as threads:
        start = time.perf_counter()
        space = StyleKind().fit(catalog, labels=track_labels(catalog), progress=SILENT)
        content = space.transform(catalog.tracks)
        times["style model (content)"] = time.perf_counter() - start
        start = time.perf_counter()
        fit_als(data, SILENT)
        times["ALS (64 factors, 15 iterations)"] = time.perf_counter() - start
        start = time.perf_counter()
        fit_lightfm(data, content, SILENT)
        times["LightFM (WARP, 64, 30 epochs)"] = time.perf_counter() - start
    print(f"{data.n_pairs:,} memberships of {data.n_users} playlists, {len(catalog):,} "
          f"tracks, {threads} threads")
    base = times["style model (content)"]
    for name, seconds in times.items():
        print(f"{name:34s} {seconds:7.1f} s  {seconds / base:5.2f}x the style fit")


if __name__ == "__main__":
    main()
