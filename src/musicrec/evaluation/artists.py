"""The artist-level task: listening data per artist (Last.fm HetRec plays) judged by
how well a method finds the held-out half of held-out users' artists.

Only artists of the catalog take part (content needs their tracks). A seeded share of
the users with at least ``min_artists`` such artists is held out; for each, a seeded
half of their artists are seeds, the rest hidden, and each method ranks the other
catalog artists:

- ``popularity``: the artists most users played in the training part;
- ``als``: the shipped ALS (:func:`musicrec.model.kinds.als.fit_als`) on the training
  users' plays, cosine to the mean of the seed artists' factors (the shipped query);
- ``content``: an artist is the mean of its tracks' vectors in the shipped model (the
  default style model), cosine to the mean of the seed artists';
- ``hybrid``: the two fused as the hybrid kind fuses them, with the factors' share
  chosen on a validation split of the training users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicrec.data.interactions import UserItems
from musicrec.data.interactions.holdout import playlist_split
from musicrec.data.interactions.table import Listens
from musicrec.data.text import fold
from musicrec.evaluation import metrics
from musicrec.features.collaborative import CollaborativeBlock, unit_rows
from musicrec.progress import SILENT, Progress

METHODS = ("popularity", "als", "content", "hybrid")


@dataclass
class ArtistTask:
    """The catalog artists, each one's content vector, and the users' plays on them."""

    names: list[str]  # folded artist names, one per column
    content: np.ndarray  # (n_artists, d) unit rows
    plays: UserItems  # users x artists, play counts


def artist_task(listens: Listens, catalog, vectors: np.ndarray) -> ArtistTask:
    """The catalog's artists that the listening data names, with their plays."""
    artists = catalog.column("artists")
    rows_of: dict[str, list[int]] = {}
    for row, credited in enumerate(artists):
        if credited is not None and len(credited):
            rows_of.setdefault(fold(credited[0]), []).append(row)
    items = listens.items["artist"].to_numpy(dtype=object, na_value=None)
    folded = [fold(a) if isinstance(a, str) else "" for a in items]
    names = sorted({a for a in folded if a in rows_of})
    column = {a: i for i, a in enumerate(names)}
    item_column = np.array([column.get(a, -1) for a in folded], dtype=np.int64)
    events = listens.events
    cols = item_column[events["item"].to_numpy()]
    keep = cols >= 0
    users, codes = np.unique(events["user"].to_numpy()[keep], return_inverse=True)
    plays = UserItems.from_pairs(codes, cols[keep], events["weight"].to_numpy()[keep],
                                 [str(u) for u in users], len(names))
    content = unit_rows(np.stack([np.asarray(vectors[rows_of[a]]).mean(0) for a in names]))
    return ArtistTask(names, content, plays)


def _rank(scores: np.ndarray, seeds: list[np.ndarray], k: int) -> list[np.ndarray]:
    out = []
    for row, s in zip(scores, seeds, strict=True):
        row = row.copy()
        row[s] = -np.inf
        top = np.argpartition(-row, k)[:k]
        out.append(top[np.argsort(-row[top], kind="stable")])
    return out


def _cosine_lists(vectors: np.ndarray, seeds: list[np.ndarray], k: int) -> list[np.ndarray]:
    queries = unit_rows(np.stack([vectors[s].mean(0) for s in seeds]))
    return _rank(queries @ vectors.T, seeds, k)


def _als_vectors(plays: UserItems, progress: Progress, seed: int) -> np.ndarray:
    from musicrec.model.kinds.als import fit_als

    return fit_als(plays, progress, seed=seed)


def _fused(content: np.ndarray, factors: np.ndarray, share: float) -> np.ndarray:
    ids = [str(i) for i in range(len(content))]
    warm = np.flatnonzero(np.linalg.norm(factors, axis=1) > 0)
    block = CollaborativeBlock("als", share, [ids[i] for i in warm], factors[warm])
    return block.combine(content, ids)


def evaluate_artists(task: ArtistTask, seed: int = 0, test_share: float = 0.2,
                     min_artists: int = 10, k: int = 100, progress: Progress = SILENT
                     ) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """Scores per method (R-precision, NDCG@100, recall@100) and the split's sizes."""
    from musicrec.model.kinds.hybrid import SHARES

    groups = task.plays.groups()
    split = playlist_split(groups, test_share, min_artists, seed)
    train = task.plays.subset(split.train)
    seeds = [split.seeds[u] for u in split.test]
    hidden = [split.hidden[u] for u in split.test]
    judge = metrics.Judgement(np.arange(len(task.names)), len(task.names), hidden=hidden)
    measures = [metrics.RPrecision(), metrics.NDCG(100), metrics.Recall(100)]
    k = min(k, len(task.names) - 1)
    lists: dict[str, list[np.ndarray]] = {}
    listeners = np.asarray((train.matrix > 0).sum(0)).ravel().astype(float)
    lists["popularity"] = _rank(np.tile(listeners, (len(seeds), 1)), seeds, k)
    progress.say(f"artist task: ALS on {train.n_users:,} training users")
    factors = _als_vectors(train, progress, seed)
    lists["als"] = _cosine_lists(unit_rows(factors), seeds, k)
    lists["content"] = _cosine_lists(task.content, seeds, k)
    # the hybrid's share, chosen on a split inside the training users
    inner = playlist_split(train.groups(), test_share, min_artists, seed + 1)
    inner_factors = _als_vectors(train.subset(inner.train), progress, seed)
    inner_seeds = [inner.seeds[u] for u in inner.test]
    inner_judge = metrics.Judgement(np.arange(len(task.names)), len(task.names),
                                    hidden=[inner.hidden[u] for u in inner.test])
    chosen = max(SHARES, key=lambda s: (metrics.RPrecision().score(_cosine_lists(
        _fused(task.content, inner_factors, s), inner_seeds, k), inner_judge), -s))
    lists["hybrid"] = _cosine_lists(_fused(task.content, factors, chosen), seeds, k)
    out = {name: {m.name: m.score(found, judge) for m in measures}
           for name, found in lists.items()}
    out["hybrid"]["share"] = float(chosen)
    sizes = {"artists": len(task.names), "users": task.plays.n_users,
             "train_users": len(split.train), "test_users": len(split.test)}
    return out, sizes
