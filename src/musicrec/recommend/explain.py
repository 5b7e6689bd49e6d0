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


#: How values are written: printf-style formats, functions for the rest, "%.2f" otherwise
#: (a reason's text is then one C-level format operation).
_PERCENT_FORMATS = {"tempo": "%.0f BPM", "loudness": "%.1f dB", "year": "%.0f",
                    "popularity": "%.0f"}
_FUNCTION_FORMATS = {
    "duration_ms": _duration,
    "key": _key,
    "mode": lambda v: "major" if v >= 0.5 else "minor",
    "explicit": lambda v: "explicit" if v >= 0.5 else "clean",
}


def format_value(feature: str, value: float) -> str:
    """A feature value as people read it: 0.74, 118 BPM, -5.2 dB, 3:14, C#, minor."""
    if value != value:  # NaN
        return "n/a"
    function = _FUNCTION_FORMATS.get(feature)
    return function(value) if function else _PERCENT_FORMATS.get(feature, "%.2f") % value


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


class Explainer:
    """Says which features made each track close to the seeds, for one feature space.

    A feature qualifies when it adds to the cosine score (query_f * vector_f > 0) and
    the track's value lies within ``CLOSE`` standard deviations (``spread``, the
    scaler's per-feature scale) of the seeds' value, or equals it for categorical
    features; the largest contributions win.
    """

    def __init__(self, features: list[str], spread: np.ndarray, top: int = 3) -> None:
        self.features = list(features)
        self.top = top
        categorical = np.array([f in _CATEGORICAL for f in self.features])
        self._limit = np.where(categorical, 0.0, CLOSE * np.asarray(spread, dtype=np.float64))
        # per feature: the text before the value, and how the value is written
        self._heads = [f"{_DISPLAY_NAMES.get(f, f)} " for f in self.features]
        self._value_formats = [
            None if f in _FUNCTION_FORMATS else _PERCENT_FORMATS.get(f, "%.2f")
            for f in self.features
        ]

    def explain(
        self, query: np.ndarray, vectors: np.ndarray, raw: np.ndarray, profile: np.ndarray
    ) -> list[list[Reason]]:
        """For each track (row of ``vectors``/``raw``), its reasons, strongest first.

        Only the vectors' first ``len(features)`` columns (the audio features) count.
        """
        d = len(self.features)
        contributions = vectors[:, :d] * query[:d]
        # categorical features have a limit of 0: close means equal
        eligible = (contributions > 0) & (np.abs(raw - profile) <= self._limit)
        ranked = np.argsort(np.where(eligible, -contributions, 0.0), axis=1)[:, : self.top]
        eligible_rows, raw_rows, seed_values = eligible.tolist(), raw.tolist(), profile.tolist()
        features, heads, value_formats = self.features, self._heads, self._value_formats
        templates: dict[int, str] = {}  # per feature: "energy %.2f vs seeds 0.88"
        out: list[list[Reason]] = []
        for i, order in enumerate(ranked.tolist()):
            reasons = []
            eligible_i, raw_i = eligible_rows[i], raw_rows[i]
            for j in order:
                if not eligible_i[j]:
                    break
                value = raw_i[j]
                template = templates.get(j)
                if template is None:
                    seed_text = format_value(features[j], seed_values[j]).replace("%", "%%")
                    template = templates[j] = (
                        f"{heads[j]}{value_formats[j] or '%s'} vs seeds {seed_text}"
                    )
                shown = value if value_formats[j] else format_value(features[j], value)
                reasons.append(Reason(features[j], value, seed_values[j], template % shown))
            out.append(reasons)
        return out


def why_text(reasons: list[Reason], score: float) -> str:
    """The one-line explanation shown to users."""
    if reasons:
        return "; ".join(r.text for r in reasons)
    return f"close on the overall feature profile (cosine {score:.2f})"
