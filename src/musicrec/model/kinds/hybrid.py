"""The hybrid kind: the style model's content vectors fused with ALS factors.

The share of the factors in the similarity is chosen on each build's own data: a
seeded fifth of the playlists or listeners with at least ten tracks is held out, ALS
learns from the rest, and the share with the best R-precision on the held-out halves
(the other half given as seeds) is taken; then ALS learns from everything. A track with
no interactions keeps its content vector alone (see
:mod:`musicrec.features.collaborative`), so new songs are still recommended and a
seed list of new songs gets the style model's answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from musicrec.features.collaborative import CollaborativeBlock, unit_rows
from musicrec.model.kinds.als import fit_als, warm_block
from musicrec.model.kinds.base import ModelKind, training_interactions
from musicrec.model.kinds.registry import register
from musicrec.model.kinds.style import StyleKind
from musicrec.progress import Progress

if TYPE_CHECKING:  # scipy.sparse only for a build that learns from listens
    from musicrec.data.interactions import UserItems

#: Shares of the factors tried on validation.
SHARES = tuple(round(s, 2) for s in np.linspace(0.0, 1.0, 11))
#: Held-out share of the users for choosing, and the least tracks a held-out user has.
VALIDATION_SHARE, MIN_TRACKS = 0.2, 10


def r_precision(vectors: np.ndarray, seeds: list[np.ndarray], hidden: list[np.ndarray],
                pool: np.ndarray) -> float:
    """Mean R-precision of cosine to the seeds' mean vector among the ``pool`` rows, seeds
    excluded, on the hidden rows in the pool (the validation score; no rerank steps)."""
    pairs = [(s, h[pool[h]]) for s, h in zip(seeds, hidden, strict=True)]
    pairs = [(s, h) for s, h in pairs if len(h)]
    if not pairs:
        return float("nan")
    queries = unit_rows(np.stack([vectors[s].mean(0) for s, _ in pairs]))
    scores = queries @ vectors.T
    scores[:, ~pool] = -np.inf
    out = []
    for row, (s, h) in zip(scores, pairs, strict=True):
        row[s] = -np.inf
        top = np.argpartition(-row, len(h))[: len(h)]
        out.append(np.isin(top, h).sum() / len(h))
    return float(np.mean(out))


def choose_share(content: np.ndarray, catalog, interactions: UserItems, progress: Progress,
                 seed: int = 0) -> tuple[float, dict[str, dict[str, float]]]:
    """The factor share with the best validation score, and every share's scores.

    The score is the mean of two R-precisions on the held-out users' hidden halves: among
    the tracks the training part knows (warm) and among the others (cold), each ranked
    within its own kind, so that knowing which tracks are new cannot steer the choice.
    """
    split = interactions.validation_split(VALIDATION_SHARE, MIN_TRACKS, seed)
    if split is None:
        progress.say("Too few playlists or listeners to choose the factor share: using 0.5")
        return 0.5, {}
    train, seeds, hidden = split
    progress.say(f"Choosing the share of the ALS factors on {len(seeds)} held-out "
                 "playlists or listeners")
    factors = fit_als(train, progress, seed=seed)
    warm = np.linalg.norm(factors, axis=1) > 0
    ids = catalog.column("track_id").astype(str).tolist()
    table: dict[str, dict[str, float]] = {}
    for share in SHARES:
        vectors = warm_block("als", share, catalog, factors).combine(content, ids)
        scores = {"warm": r_precision(vectors, seeds, hidden, warm),
                  "cold": r_precision(vectors, seeds, hidden, ~warm)}
        known = [v for v in scores.values() if v == v]
        scores["score"] = float(np.mean(known)) if known else 0.0
        table[f"{share:.1f}"] = {k: round(v, 4) for k, v in scores.items()}
    best = max(table, key=lambda s: (table[s]["score"], -float(s)))
    return float(best), table


@register
class HybridKind(ModelKind):
    collaborative = True
    name = "hybrid"
    summary = "style model fused with ALS factors from playlists or plays"

    def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
            transfer=None, interactions=None, progress):
        data = training_interactions(catalog, labels, interactions, self.name)
        space = StyleKind().fit(catalog, features=features, weights=weights, labels=labels,
                                fit_rows=fit_rows, transfer=transfer, progress=progress)
        content = space.transform(catalog.tracks)
        share, table = choose_share(content, catalog, data, progress)
        chosen = table.get(f"{share:.1f}", {})
        progress.say(f"Factor share {share:.1f} (validation R-precision "
                     f"{chosen.get('warm', float('nan')):.4f} on known tracks, "
                     f"{chosen.get('cold', float('nan')):.4f} on new ones); learning ALS "
                     f"factors from {data.n_pairs:,} interactions")
        factors = fit_als(data, progress)
        block: CollaborativeBlock = warm_block(
            self.name, share, catalog, factors,
            details={**data.describe(), "validation": table})
        return space.with_collaborative(block)
