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
    if present.all():  # the common case, without the guards missing values need
        out = weights @ raw / weights.sum()
    else:
        w = weights[:, None] * present
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(present, raw, 0.0).T @ weights / w.sum(0)
    for j in (j for j, feature in enumerate(features) if feature in _CATEGORICAL):
        ok = present[:, j]  # the value with the most weight; ties: the lowest value
        if not ok.any():
            continue
        tally: dict[float, float] = {}
        for value, weight in zip(raw[ok, j].tolist(), weights[ok].tolist(), strict=True):
            tally[value] = tally.get(value, 0.0) + weight
        out[j] = max(sorted(tally), key=tally.__getitem__)
    return out


#: Features that place a track in its context (era, charts, length, lyrics) rather than
#: describe how it sounds; explanations name them apart.
CONTEXT = {"year", "popularity", "explicit", "duration_ms"}
SOUND_REASONS = 3
CONTEXT_REASONS = 1


def key_name(key: float, mode: float | None) -> str:
    """A key as music names it: "C# minor" (or the pitch alone when the mode is unknown)."""
    pitch = _key(key)
    if mode is None or mode != mode:
        return pitch
    return f"{pitch} {'major' if mode >= 0.5 else 'minor'}"


class Explainer:
    """Says which features made each track close to the seeds, for one feature space.

    A feature qualifies when it adds to the cosine score (query_f * vector_f > 0) and
    the track's value lies within ``CLOSE`` standard deviations (``spread``, the
    scaler's per-feature scale) of the seeds' value, or equals it for categorical
    features; a key counts only with the same mode ("C# minor" is not "C# major"). Up to
    three sound reasons (the largest contributions) are given, and apart from them one
    reason of context (year, popularity, length, explicit).
    """

    def __init__(self, features: list[str], spread: np.ndarray, top: int = SOUND_REASONS) -> None:
        self.features = list(features)
        self.top = top
        categorical = np.array([f in _CATEGORICAL for f in self.features])
        self._limit = np.where(categorical, 0.0, CLOSE * np.asarray(spread, dtype=np.float64))
        self._context = [f in CONTEXT for f in self.features]
        self._key = self.features.index("key") if "key" in self.features else None
        self._mode = self.features.index("mode") if "mode" in self.features else None
        # per feature: the text before the value, and how the value is written
        self._heads = [f"{_DISPLAY_NAMES.get(f, f)} " for f in self.features]
        self._value_formats = [
            None if f in _FUNCTION_FORMATS else _PERCENT_FORMATS.get(f, "%.2f")
            for f in self.features
        ]

    def explain(
        self, query: np.ndarray, vectors: np.ndarray, raw: np.ndarray, profile: np.ndarray
    ) -> list[list[Reason]]:
        """For each track (row of ``vectors``/``raw``), its reasons: sound ones strongest
        first, then context. Only the vectors' first ``len(features)`` columns (the
        audio features) count."""
        d = len(self.features)
        contributions = vectors[:, :d] * query[:d]
        # categorical features have a limit of 0: close means equal
        eligible = (contributions > 0) & (np.abs(raw - profile) <= self._limit)
        if self._key is not None and self._mode is not None:  # a key only with its mode
            eligible[:, self._key] &= raw[:, self._mode] == profile[self._mode]
        ranked = np.argsort(np.where(eligible, -contributions, 0.0), axis=1)
        seed_values = profile.tolist()
        features, value_formats = self.features, self._value_formats
        context, key, top = self._context, self._key, self.top
        templates: dict[int, str] = {}  # per feature: "energy %.2f vs seeds 0.88"
        out: list[list[Reason]] = []
        for order, eligible_i, raw_i in zip(ranked.tolist(), eligible.tolist(), raw.tolist(),
                                            strict=True):
            sound: list[Reason] = []
            extra: list[Reason] = []
            for j in order:  # strongest contribution first, the eligible ones only
                if not eligible_i[j]:
                    break
                if context[j]:
                    if len(extra) >= CONTEXT_REASONS:
                        continue
                    group, kind = extra, "context"
                elif len(sound) >= top:
                    continue
                else:
                    group, kind = sound, "sound"
                value = raw_i[j]
                template = templates.get(j)
                if template is None:
                    template = templates[j] = self._template(j, seed_values)
                if j == key:
                    text = template % key_name(value, seed_values[self._mode])
                else:
                    text = template % (value if value_formats[j] else
                                       format_value(features[j], value))
                group.append(Reason(features[j], value, seed_values[j], text, kind))
                if len(sound) >= top and len(extra) >= CONTEXT_REASONS:
                    break
            sound.extend(extra)
            out.append(sound)
        return out

    def _template(self, j: int, seed_values: list[float]) -> str:
        """Feature ``j``'s reason text with a slot for the track's value: "energy %.2f vs
        seeds 0.88", "key %s vs seeds C# minor"."""
        if j == self._key:
            seeds = key_name(seed_values[j], seed_values[self._mode]).replace("%", "%%")
            return f"key %s vs seeds {seeds}"
        seeds = format_value(self.features[j], seed_values[j]).replace("%", "%%")
        return f"{self._heads[j]}{self._value_formats[j] or '%s'} vs seeds {seeds}"


def listening_reason(cosine: float) -> Reason:
    """Listening data put the track near the seeds: people who played or collected them
    played or collected it (the cosine of the learned factors)."""
    return Reason("listening", round(cosine, 4), 1.0,
                  f"often with your songs in playlists or plays (factors {cosine:.2f})",
                  "listening")


def sound_reason(cosine: float) -> Reason:
    """The audio embedding put the track near the seeds: timbre, harmony and rhythm
    statistics of the recordings themselves are alike (their cosine)."""
    return Reason("audio embedding", round(cosine, 4), 1.0,
                  f"sounds alike in the recordings (audio embedding {cosine:.2f})", "sound")


def tag_reason(shared: list[str], of: int) -> Reason:
    """The track carries tags the seeds carry too (the tagger's, heard in the audio)."""
    return Reason("tags", round(len(shared) / max(of, 1), 4), 1.0,
                  f"tags: {', '.join(shared)}", "sound")


def mark_estimates(reasons: list[Reason], estimated: frozenset[str]) -> None:
    """Say in the text that a descriptor was estimated from audio, not measured."""
    for i, r in enumerate(reasons):
        if r.feature in estimated and r.kind == "sound":
            reasons[i] = Reason(r.feature, r.value, r.seed_value, f"{r.text} (estimated)",
                                r.kind)


def why_text(reasons: list[Reason], score: float) -> str:
    """The one-line explanation shown to users: what listening data says, how it sounds
    alike, then context."""
    sound, context = [], []
    for r in reasons:
        (context if r.kind == "context" else sound).append(r.text)
    sound, context = "; ".join(sound), "; ".join(context)
    text = sound or f"close on the overall feature profile (cosine {score:.2f})"
    return f"{text} (also {context})" if context else text
