"""Song paths: from one track to another in small steps, every step a real track.

The path's waypoints are spread evenly along the great circle between the two tracks'
unit vectors (spherical interpolation). Each waypoint gets its nearest tracks as
candidates (one search for all of them, under the filters); a song that is a candidate
of several waypoints stays only with the one it is nearest to, so no song (and no
version of one) can come twice. Then one candidate per waypoint is chosen by dynamic
programming over the whole path, minimising the sum of the squared cosine distances of
consecutive steps plus a small pull towards each waypoint: squared distances make one
big jump cost more than several small ones, so the path is smooth rather than greedy.
When an artist would exceed the cap, their extra tracks are taken out and the path is
chosen again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Candidates searched per waypoint.
CANDIDATES = 32
#: Weight of a candidate's distance to its waypoint against the steps' squared distances.
WAYPOINT_PULL = 0.05
#: How often the path is chosen again to respect the artist cap.
CAP_ROUNDS = 50


def waypoints(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """``steps - 1`` unit vectors evenly spaced on the great circle from ``start`` to
    ``end`` (both excluded), shape (steps - 1, d)."""
    a = start / np.linalg.norm(start)
    b = end / np.linalg.norm(end)
    t = np.arange(1, steps, dtype=np.float64)[:, None] / steps
    cos = float(np.clip(a @ b, -1.0, 1.0))
    angle = np.arccos(cos)
    if angle < 1e-6:  # the same direction: a straight line is the great circle
        points = (1 - t) * a + t * b
    else:
        points = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32)


def disjoint(rows: np.ndarray, scores: np.ndarray, songs: np.ndarray) -> list[np.ndarray]:
    """Per waypoint, the positions of its candidates (``rows`` (m, c), best first, -1
    pads) that it keeps: each song goes to the waypoint it is nearest to (``songs``: a
    song code per row). A waypoint left with none then takes its best candidate from a
    waypoint that keeps more than one, so close waypoints do not leave holes."""
    m, c = rows.shape
    flat_rows, flat_scores = rows.ravel(), scores.ravel()
    valid = flat_rows >= 0
    order = np.lexsort((np.arange(m * c), -flat_scores))  # best score first, then earlier
    order = order[valid[order]]
    _, first = np.unique(songs[flat_rows[order]], return_index=True)
    owner = np.full(m * c, False)
    owner[order[first]] = True
    kept = [np.flatnonzero(owner[i * c:(i + 1) * c]) for i in range(m)]
    where = {int(songs[flat_rows[f]]): int(f) // c for f in order[first]}  # song -> waypoint
    for i in range(m):
        if len(kept[i]):
            continue
        for j in np.flatnonzero(rows[i] >= 0):  # its candidates, best first
            song = int(songs[rows[i, j]])
            holder = where[song]
            if len(kept[holder]) > 1:
                at = int(np.flatnonzero(songs[rows[holder, kept[holder]]] == song)[0])
                kept[holder] = np.delete(kept[holder], at)
                kept[i] = np.array([j])
                where[song] = i
                break
    return kept


def best_path(start: np.ndarray, end: np.ndarray, layers: list[np.ndarray],
              pull: list[np.ndarray]) -> list[int]:
    """The candidate index chosen in each layer (``layers[i]``: (n_i, d) unit vectors;
    ``pull[i]``: each candidate's cosine distance to its waypoint): minimal sum of squared
    step distances plus ``WAYPOINT_PULL`` times the pulls (Viterbi)."""
    cost = (1.0 - layers[0] @ start) ** 2 + WAYPOINT_PULL * pull[0]
    back: list[np.ndarray] = []
    for i in range(1, len(layers)):
        step = (1.0 - layers[i - 1] @ layers[i].T) ** 2  # (n_{i-1}, n_i)
        total = cost[:, None] + step
        came = np.argmin(total, axis=0)
        back.append(came)
        cost = total[came, np.arange(len(came))] + WAYPOINT_PULL * pull[i]
    cost = cost + (1.0 - layers[-1] @ end) ** 2
    chosen = [int(np.argmin(cost))]
    for came in reversed(back):
        chosen.append(int(came[chosen[-1]]))
    return chosen[::-1]


def song_path(start: np.ndarray, end: np.ndarray, steps: int, vectors: np.ndarray,
              search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]],
              songs: np.ndarray, artists: np.ndarray, cap: int | None,
              taken_artists: list[int]) -> list[int]:
    """Catalog rows of the steps between ``start`` and ``end`` (vectors), in order.

    ``search(points, k)`` returns (rows, scores) of each point's nearest allowed tracks
    (the ends and their versions excluded, -1 pads); ``songs``/``artists``: a song and
    an artist code per row; ``cap``: at most this many tracks per artist on the whole
    path, counting the ends' artists (``taken_artists``). When the candidates run out
    somewhere (a crowded neighbourhood, an artist at the cap) the waypoints are searched
    deeper; a waypoint still left without any is dropped, so only then the path has
    fewer steps than asked."""
    points = waypoints(start, end, steps)
    full = ({a for a in taken_artists if taken_artists.count(a) >= cap}
            if cap is not None else set())
    path: list[int] = []
    for depth in (CANDIDATES, 4 * CANDIDATES, 16 * CANDIDATES):
        rows, scores = search(points, depth)
        if full:  # an artist the ends already fill cannot be on the path at all
            blocked = np.isin(artists[np.maximum(rows, 0)], list(full)) & (rows >= 0)
            rows = np.where(blocked, -1, rows)
            scores = np.where(blocked, -np.inf, scores)
        path = _choose(start, end, rows, scores, vectors, songs, artists, cap,
                       taken_artists)
        if len(path) == len(points):
            break
    return path


def _choose(start, end, rows, scores, vectors, songs, artists, cap, taken_artists
            ) -> list[int]:
    """One track per waypoint from its candidates (see the module doc)."""
    kept = disjoint(rows, scores, songs)
    candidates = [rows[i, k] for i, k in enumerate(kept) if len(k)]
    distances = [1.0 - scores[i, k] for i, k in enumerate(kept) if len(k)]
    banned: set[int] = set()
    path: list[int] = []
    for _ in range(CAP_ROUNDS):
        usable = [np.array([r not in banned for r in c.tolist()], dtype=bool)
                  for c in candidates]
        layers = [(c[u], d[u]) for c, d, u in zip(candidates, distances, usable, strict=True)
                  if u.any()]
        if not layers:
            return []
        chosen = best_path(start, end, [np.asarray(vectors[c], dtype=np.float32)
                                        for c, _ in layers], [d for _, d in layers])
        path = [int(c[j]) for (c, _), j in zip(layers, chosen, strict=True)]
        over = _over_cap(path, artists, cap, taken_artists)
        if not over:
            return path
        # an artist over the cap keeps the tracks it has before that point, and none of
        # its other candidates may be chosen (one round per such artist, not per track)
        full = {int(artists[r]) for r in over}
        kept = set(path) - over
        banned.update(r for c in candidates for r in c.tolist()
                      if int(artists[r]) in full and r not in kept)
    return [r for r in path if r not in _over_cap(path, artists, cap, taken_artists)]


def _over_cap(path: list[int], artists: np.ndarray, cap: int | None,
              taken: list[int]) -> set[int]:
    """Rows of the path beyond ``cap`` tracks of their artist (the ends counted first;
    of an artist's tracks the ones furthest along the path go)."""
    if cap is None:
        return set()
    counts: dict[int, int] = {}
    for artist in taken:
        counts[artist] = counts.get(artist, 0) + 1
    over = set()
    for row in path:
        artist = int(artists[row])
        counts[artist] = counts.get(artist, 0) + 1
        if counts[artist] > cap:
            over.add(row)
    return over
