"""The catalog map the web page draws: every track's 2-D place, made once per server.

Two forms of one map. :meth:`SongMap.full` is the documented JSON (one list per column,
track ids included) for API clients. :meth:`SongMap.compact` is what the page loads
first: coordinates quantised to 16 bits per axis and clusters as bytes (both base64),
labels as one newline-separated string and no track ids. The page asks for the rows
of the few tracks it highlights with :meth:`SongMap.rows`, so 28k ids (about half a
megabyte even gzipped) never travel.
"""

from __future__ import annotations

import base64
import threading

import numpy as np

QUANT_LEVELS = 65535  # uint16: a 4,000-pixel-wide plot still places every dot exactly
_CONTROL = dict.fromkeys(range(32), " ") | {0x7F: " ", 0x2028: " ", 0x2029: " "}


class SongMap:
    """Every track's place on the principal axes of the song-cluster centroids."""

    def __init__(self, rec) -> None:
        self.rec = rec
        self._lock = threading.Lock()
        self._made: tuple | None = None

    def _parts(self) -> tuple:
        with self._lock:
            if self._made is None:
                from musicrec.analysis.figures import song_coordinates

                catalog, songs = self.rec.catalog, self.rec.model.clusters.songs
                xy, explained = song_coordinates(catalog, songs)
                axes = [f"PC 1 ({explained[0]:.0%} of the cluster centroids' variance)",
                        f"PC 2 ({explained[1]:.0%})"]
                labels = catalog.labels(range(len(catalog)))
                self._made = (xy, np.asarray(songs.labels), labels, axes)
            return self._made

    def full(self) -> dict:
        """Columns of equal length: track ids, labels, x, y, cluster; and axis titles."""
        xy, cluster, labels, axes = self._parts()
        return {
            "track_ids": [str(t) for t in self.rec.catalog.column("track_id")],
            "labels": labels,
            "x": np.round(xy[:, 0], 4).tolist(), "y": np.round(xy[:, 1], 4).tolist(),
            "cluster": cluster.tolist(),
            "axes": axes,
        }

    def compact(self) -> dict:
        """The same map in about a tenth of the bytes before labels (see the module doc).

        ``x`` and ``y`` are little-endian uint16 ``q``; a coordinate is
        ``lo + q / 65535 * (hi - lo)`` with ``[lo, hi]`` from ``bounds``. ``cluster`` is
        uint8 (uint16 past 255 clusters, as ``cluster_dtype`` says). ``labels`` holds one
        line per track, control characters replaced by spaces.
        """
        xy, cluster, labels, axes = self._parts()
        bounds, coded = [], {}
        for name, column in (("x", xy[:, 0]), ("y", xy[:, 1])):
            lo, hi = float(np.min(column)), float(np.max(column))
            span = hi - lo if hi > lo else 1.0
            q = np.rint((column - lo) / span * QUANT_LEVELS).astype("<u2")
            coded[name] = _b64(q)
            bounds.append([lo, lo + span])
        dtype = "uint8" if cluster.max(initial=0) < 256 else "uint16"
        return {
            "n": len(labels),
            "x": coded["x"], "y": coded["y"], "bounds": bounds,
            "cluster": _b64(cluster.astype("u1" if dtype == "uint8" else "<u2")),
            "cluster_dtype": dtype,
            "labels": "\n".join(label.translate(_CONTROL) for label in labels),
            "axes": axes,
        }

    def rows(self, track_ids: list[str]) -> list[int | None]:
        """Each track's row in the map (None for a track the catalog does not hold)."""
        return [self.rec.catalog.index_of(t) for t in track_ids]


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values).tobytes()).decode("ascii")
