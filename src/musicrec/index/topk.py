"""Exact top-k selection over one row of scores: best first, ties to the lower row."""

from __future__ import annotations

import numpy as np

#: Every SAMPLE_STEP-th score is looked at first to guess a threshold for the top k.
SAMPLE_STEP = 16


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and scores of the k largest finite scores, best first; among equal scores
    the lower row comes first (exact).

    A threshold taken from a strided sample selects a small superset of the top k in
    one pass; only when that superset is too small does a full partition run. Either
    way every row scoring at least the threshold is kept, in row order, so a stable sort
    breaks ties by row.
    """
    n = len(scores)
    candidates = None
    if n > 8 * SAMPLE_STEP * k:
        sample = scores[::SAMPLE_STEP]
        need = min(len(sample), 2 * (k // SAMPLE_STEP + 1))
        threshold = np.partition(sample, len(sample) - need)[len(sample) - need]
        if np.isfinite(threshold):
            found = np.flatnonzero(scores >= threshold)
            if len(found) >= k:
                candidates = found
    if candidates is None:
        finite = np.flatnonzero(np.isfinite(scores))
        if len(finite) > k:
            values = scores[finite]
            kth = np.partition(values, len(values) - k)[len(values) - k]
            candidates = finite[values >= kth]  # all ties at the k-th score, in row order
        else:
            candidates = finite
    order = np.argsort(-scores[candidates], kind="stable")[:k]
    chosen = candidates[order]
    return chosen, scores[chosen]
