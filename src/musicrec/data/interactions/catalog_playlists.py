"""A catalog's own playlists (the default dataset's 471 playlists, 32,833
memberships) as listening data: each playlist is a "who", each membership an event on
a catalog track (matched by id)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from musicrec.data.catalog import Catalog
from musicrec.data.interactions.table import ListenBuilder, Listens


def read(catalog: Catalog, dataset: str) -> Listens:
    """The catalog's playlist memberships, every item matched to its track."""
    interactions = catalog.interactions
    builder = ListenBuilder(dataset, "catalog-playlists")
    rows = np.array([catalog.index_of(str(t)) if t is not None else None
                     for t in interactions["track_id"]], dtype=object)
    known = np.array([r is not None for r in rows], dtype=bool)
    builder.report.rows_read = len(interactions)
    builder.report.skipped["track not in the catalog"] += int((~known).sum())
    rows = rows[known].astype(np.int64)
    names = catalog.column("name")[rows]
    artists = [a[0] if a is not None and len(a) else None for a in catalog.column("artists")[rows]]
    ids = catalog.column("track_id")[rows].astype(str)
    builder.add(pa.array(interactions["playlist_id"][known].astype(str).tolist(), pa.string()),
                pa.array(list(names), pa.string()), pa.array(artists, pa.string()),
                pa.array(ids.tolist(), pa.string()),
                weights=interactions["weight"][known].to_numpy(dtype=np.float32))
    listens = builder.finish()
    listens.items["track_id"] = pd.array(listens.items["source_id"], dtype="string")
    report = listens.report
    report.dataset, report.matched_items = dataset, len(listens.items)
    report.matched_events, report.matched_by["id"] = report.events, len(listens.items)
    return listens
