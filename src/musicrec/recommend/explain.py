"""Explanations: which features made a track close to the seeds, in original units."""

from __future__ import annotations

import numpy as np

from musicrec.recommend.results import Reason

_PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_CATEGORICAL = {"key", "mode", "explicit"}
_DISPLAY_NAMES = {"duration_ms": "duration"}
#: A feature counts as close when within this many standard deviations of the seeds.
CLOSE = 0.75


def _duration(value: float) -> str:
    seconds = int(round(value / 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _key(value: float) -> str:
    return _PITCHES[int(value)] if 0 <= int(value) < 12 else "unknown"


_FORMATS = {
    "tempo": lambda v: f"{v:.0f} BPM",
    "loudness": lambda v: f"{v:.1f} dB",
    "duration_ms": _duration,
    "year": lambda v: f"{v:.0f}",
    "popularity": lambda v: f"{v:.0f}",
    "key": _key,
    "mode": lambda v: "major" if v >= 0.5 else "minor",
    "explicit": lambda v: "explicit" if v >= 0.5 else "clean",
}


def _unit_interval(value: float) -> str:
    return f"{value:.2f}"


def format_value(feature: str, value: float) -> str:
    """A feature value as people read it: 0.74, 118 BPM, -5.2 dB, 3:14, C#, minor."""
    if value != value:  # NaN
        return "n/a"
    return _FORMATS.get(feature, _unit_interval)(value)


def seed_profile(raw: np.ndarray, weights: np.ndarray, features: list[str]) -> np.ndarray:
    """The seeds' values per feature: weighted mean, or most common for categorical ones."""
    if raw.shape[0] == 1:
        return raw[0].copy()
    present = ~np.isnan(raw)
    w = weights[:, None] * present
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(present, raw, 0.0).T @ weights / w.sum(0)
    for j, feature in enumerate(features):
        if feature in _CATEGORICAL and present[:, j].any():
            column, ok = raw[:, j], present[:, j]
            values, inverse = np.unique(column[ok], return_inverse=True)
            out[j] = values[np.argmax(np.bincount(inverse, weights=weights[ok]))]
    return out


def explain(
    query: np.ndarray,
    vectors: np.ndarray,
    raw: np.ndarray,
    profile: np.ndarray,
    features: list[str],
    spread: np.ndarray,
    top: int = 3,
) -> list[list[Reason]]:
    """For each track (row of ``vectors``/``raw``), the features that made it close.

    A feature qualifies when it adds to the cosine score (query_f * vector_f > 0) and
    the track's value lies within ``CLOSE`` standard deviations (``spread``, the
    scaler's per-feature scale) of the seeds' value, or equals it for categorical
    features; the largest contributions win.
    """
    contributions = vectors * query
    with np.errstate(invalid="ignore"):
        close = np.abs(raw - profile) <= CLOSE * spread
    categorical = [j for j, f in enumerate(features) if f in _CATEGORICAL]
    if categorical:
        close[:, categorical] = raw[:, categorical] == profile[categorical]
    eligible = (contributions > 0) & close
    ranked = np.argsort(np.where(eligible, -contributions, np.inf), axis=1)[:, :top].tolist()
    eligible_rows, raw_rows, seed_values = eligible.tolist(), raw.tolist(), profile.tolist()
    seed_text: dict[int, str] = {}
    out: list[list[Reason]] = []
    for i, order in enumerate(ranked):
        reasons = []
        for j in order:
            if not eligible_rows[i][j]:
                break
            f, value = features[j], raw_rows[i][j]
            if j not in seed_text:
                seed_text[j] = format_value(f, seed_values[j])
            text = f"{_DISPLAY_NAMES.get(f, f)} {format_value(f, value)} vs seeds {seed_text[j]}"
            reasons.append(Reason(f, value, seed_values[j], text))
        out.append(reasons)
    return out


def why_text(reasons: list[Reason], score: float) -> str:
    """The one-line explanation shown to users."""
    if reasons:
        return "; ".join(r.text for r in reasons)
    return f"close on the overall feature profile (cosine {score:.2f})"
