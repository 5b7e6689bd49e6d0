"""A scanned library as a catalog: the canonical track table, embeddings and file facts.

Every analysed file becomes one track (``track_id`` ``audio:`` + the first 16 hex digits
of its sha256, so a moved file keeps its id); byte-identical copies are one track whose
other paths are listed in ``copies``. The measured quantities (tempo, key, mode,
loudness, duration) and the *estimated* descriptors fill the canonical feature columns;
``files`` (``audio_files.parquet`` in the dataset) keeps the path, hash, decoder, time
signature and what was analysed, and marks the descriptors as estimates. With the
pretrained tagger, each song's tags fill ``tags`` and its 50 probabilities and 200-value
embedding form ``tagger`` (``audio_tagger.npy``; NaN for a song it could not hear).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from musicrec.data.importers.common import ImportResult
from musicrec.data.schema import AUDIO_SOURCE, conform
from musicrec.data.text import version_key
from musicrec.features.audio.analyse import EMBEDDING_DIMS
from musicrec.features.audio.scan import ScannedFile

SOURCE = AUDIO_SOURCE


def track_id_of(sha256: str) -> str:
    return f"audio:{sha256[:16]}"


def library_tables(scanned: list[ScannedFile]) -> ImportResult:
    """The catalog of the analysed files (skipped ones left out), one track per content."""
    from musicrec.features.audio.descriptors import with_tagger
    from musicrec.features.audio.tagger.song import OUTPUT_DIMS, song_tags

    rows, files, embeddings, index, tagger = [], [], [], {}, []
    for entry in scanned:
        if not entry.ok or entry.data is None:
            continue
        track_id = track_id_of(entry.sha256)
        if track_id in index:
            files[index[track_id]]["copies"].append(str(entry.path))
            continue
        tags, analysis = entry.data["tags"], entry.data["analysis"]
        heard = entry.data.get("tagger")
        index[track_id] = len(rows)
        rows.append({
            "track_id": track_id, "name": tags["title"], "artists": tags["artists"] or None,
            "album": tags.get("album"), "year": tags.get("year"),
            "genres": tags.get("genres") or None,
            "tags": song_tags(heard["probabilities"]) if heard else None,
            "duration_ms": analysis["duration_ms"], "tempo": analysis["tempo"],
            "key": analysis["key"], "mode": analysis["mode"],
            "loudness": analysis["loudness"],
            **(with_tagger(analysis["estimates"], analysis.get("statistics", {}).get(
                "syllabic"), heard["probabilities"]) if heard else analysis["estimates"]),
            "location": str(entry.path),
        })
        files.append({
            "track_id": track_id, "path": str(entry.path), "copies": [],
            "sha256": entry.sha256, "size": entry.size, "decoder": entry.data["decoder"],
            "time_signature": analysis["time_signature"],
            "seconds_analysed": analysis["seconds_analysed"], "offset": analysis["offset"],
            "musicbrainz_trackid": tags.get("musicbrainz_trackid"),
            "tagged": bool(tags.get("tagged")),
        })
        embeddings.append(np.asarray(analysis["embedding"], dtype=np.float32))
        tagger.append(np.asarray(heard["probabilities"] + heard["embedding"], np.float32)
                      if heard else np.full(OUTPUT_DIMS, np.nan, np.float32))
    tracks = conform(pd.DataFrame(rows), SOURCE) if rows else conform(
        pd.DataFrame({"track_id": pd.Series([], dtype=str)}), SOURCE)
    matrix = (np.vstack(embeddings) if embeddings
              else np.zeros((0, EMBEDDING_DIMS), dtype=np.float32))
    heard_any = any(np.isfinite(row[0]) for row in tagger)
    return ImportResult(tracks=tracks, embeddings=matrix, files=pd.DataFrame(files),
                        tagger=np.vstack(tagger) if heard_any else None)


def standardised(embeddings: np.ndarray, rows: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z-scores, mean, scale) of the embedding columns, fitted on ``rows`` (default all);
    a column that does not vary keeps scale 1."""
    fitted = embeddings if rows is None else embeddings[rows]
    mean = fitted.mean(axis=0)
    scale = fitted.std(axis=0)
    scale[~(scale > 1e-9)] = 1.0
    return ((embeddings - mean) / scale).astype(np.float32), mean, scale


#: Cosine of standardised embeddings at or above which two files sound the same
SAME_SOUND = 0.95
#: ... when their lengths differ by at most this share (a re-encode, not another take)
SAME_LENGTH = 0.02


def duplicate_groups(tracks: pd.DataFrame, embeddings: np.ndarray, files: pd.DataFrame
                     ) -> list[dict]:
    """Groups of tracks that are one song: identical files (same bytes), near-identical
    sound (re-encodes at another bitrate or format), and the same title and artist in
    the tags (versions). Each group: {"reason", "tracks": [row, ...], "score"}."""
    groups: list[dict] = []
    for row, copies in enumerate(files["copies"] if len(files) else []):
        if len(copies):
            groups.append({"reason": "identical files", "rows": [row], "score": 1.0,
                           "paths": [files["path"].iloc[row], *list(copies)]})
    n = len(tracks)
    if n >= 2:
        z, _, _ = standardised(embeddings)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        unit = np.divide(z, norms, out=np.zeros_like(z), where=norms > 0)
        length = tracks["duration_ms"].to_numpy(dtype=float)
        parent = list(range(n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        best: dict[tuple[int, int], float] = {}
        for start in range(0, n, 2048):  # blocks of rows: memory stays O(block * n)
            block = unit[start:start + 2048] @ unit.T
            for bi, j in zip(*np.nonzero(block >= SAME_SOUND), strict=True):
                i = start + int(bi)
                close = abs(length[i] - length[j]) <= SAME_LENGTH * max(length[i], length[j])
                if j > i and close:
                    parent[root(int(j))] = root(i)
                    best[(i, int(j))] = float(block[bi, j])
        members: dict[int, list[int]] = {}
        for i in range(n):
            members.setdefault(root(i), []).append(i)
        for rows in members.values():
            if len(rows) > 1:
                score = min(v for (i, j), v in best.items() if i in rows and j in rows)
                groups.append({"reason": "the same sound", "rows": rows,
                               "score": round(score, 4)})
    keys: dict[str, list[int]] = {}
    for row, (name, artists) in enumerate(zip(tracks["name"], tracks["artists"], strict=True)):
        if isinstance(name, str) and artists is not None and len(artists):
            keys.setdefault(version_key(name, list(artists)), []).append(row)
    for rows in keys.values():
        if len(rows) > 1:
            groups.append({"reason": "the same title and artist in the tags", "rows": rows,
                           "score": None})
    return groups

