"""Explanations: which features made a track close to the seeds, in original units."""

from __future__ import annotations

import numpy as np

from musicrec.recommend.results import Reason

_PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_CATEGORICAL = {"key", "mode", "explicit"}
_DISPLAY_NAMES = {"duration_ms": "duration"}
#: A feature counts as close when within this many standard deviations of the seeds.
CLOSE = 0.75


def format_value(feature: str, value: float) -> str:
    """A feature value as people read it: 0.74, 118 BPM, -5.2 dB, 3:14, C#, minor."""
    if np.isnan(value):
        return "n/a"
    if feature == "tempo":
        return f"{value:.0f} BPM"
    if feature == "loudness":
        return f"{value:.1f} dB"
    if feature == "duration_ms":
        seconds = int(round(value / 1000))
        return f"{seconds // 60}:{seconds % 60:02d}"
    if feature in ("year", "popularity"):
        return f"{value:.0f}"
    if feature == "key":
        return _PITCHES[int(value)] if 0 <= int(value) < 12 else "unknown"
    if feature == "mode":
        return "major" if value >= 0.5 else "minor"
    if feature == "explicit":
        return "explicit" if value >= 0.5 else "clean"
    return f"{value:.2f}"


def seed_profile(raw: np.ndarray, weights: np.ndarray, features: list[str]) -> np.ndarray:
    """The seeds' values per feature: weighted mean, or most common for categorical ones."""
    out = np.full(raw.shape[1], np.nan)
    for j, feature in enumerate(features):
        column = raw[:, j]
        ok = ~np.isnan(column)
        if not ok.any():
            continue
        if feature in _CATEGORICAL:
            values, inverse = np.unique(column[ok], return_inverse=True)
            out[j] = values[np.argmax(np.bincount(inverse, weights=weights[ok]))]
        else:
            out[j] = np.average(column[ok], weights=weights[ok])
    return out


def explain(
    query: np.ndarray,
    vector: np.ndarray,
    raw: np.ndarray,
    profile: np.ndarray,
    features: list[str],
    spread: np.ndarray,
    top: int = 3,
) -> list[Reason]:
    """The features that made a track close to the seeds.

    A feature qualifies when it adds to the cosine score (query_f * vector_f > 0) and
    the track's value lies within ``CLOSE`` standard deviations (``spread``, the
    scaler's per-feature scale) of the seeds' value; the largest contributions win.
    """
    contributions = query * vector
    with np.errstate(invalid="ignore"):
        close = np.abs(raw - profile) <= CLOSE * spread
    for j, feature in enumerate(features):
        if feature in _CATEGORICAL:
            close[j] = raw[j] == profile[j]
    order = np.argsort(-contributions)
    reasons: list[Reason] = []
    for j in order:
        if contributions[j] <= 0 or len(reasons) == top:
            break
        if not close[j]:
            continue
        f = features[j]
        shown = _DISPLAY_NAMES.get(f, f)
        text = f"{shown} {format_value(f, raw[j])} vs seeds {format_value(f, profile[j])}"
        reasons.append(Reason(f, float(raw[j]), float(profile[j]), text))
    return reasons


def why_text(reasons: list[Reason], score: float) -> str:
    """The one-line explanation shown to users."""
    if reasons:
        return "; ".join(r.text for r in reasons)
    return f"close on the overall feature profile (cosine {score:.2f})"
