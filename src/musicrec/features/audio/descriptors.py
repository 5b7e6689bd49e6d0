"""The Spotify-style descriptors, estimated from audio statistics.

Spotify's own values come from a trained model on its catalogue, which nobody outside
can rerun; these are *estimates* with a written formula each, so a user can see what a
number means and why two songs differ. Each is a weighted sum of logistic curves
``s(x) = 1 / (1 + exp(-x))`` of one statistic, clipped to 0-1. docs/audio-features.md
gives the same formulas with what each statistic is; the constants put typical
recordings in the ranges Spotify's documentation describes (speech above 0.66, most
music below 0.33 speechiness, and so on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from musicrec.data.schema import ESTIMATED_FROM_AUDIO

#: The estimated descriptors, in the order they are reported.
ESTIMATED = ESTIMATED_FROM_AUDIO


@dataclass(frozen=True)
class Statistics:
    """What the estimates read (all from the analysed window)."""

    loudness: float  #: integrated loudness, LUFS
    centroid_hz: float  #: mean spectral centroid, Hz (brightness)
    flatness: float  #: mean spectral flatness, 0 (tonal) to 1 (noise)
    onset_rate: float  #: note onsets per second
    tempo: float  #: beats per minute
    pulse: float  #: mean onset strength on the beats / overall mean (1: no pulse)
    regularity: float  #: peak onset-envelope autocorrelation at 0.25-2 s periods, 0-1
    harmonic_share: float  #: harmonic energy / (harmonic + percussive), HPSS, 0-1
    mode_score: float  #: major-profile minus minor-profile key correlation, -2 to 2
    syllabic: float  #: share of the 300-3400 Hz envelope modulation at 3-8 Hz, 0-1
    floor_ratio: float  #: 10th-percentile frame RMS / median frame RMS, 0-1
    chroma_peak: float  #: mean over frames of the strongest chroma share, 1/12-1 (tonality)
    low_energy: float  #: share of frames quieter than half the mean RMS (pauses), 0-1


def _s(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def estimates(st: Statistics) -> dict[str, float]:
    """The seven descriptors, each 0-1 (formulas in the module docstring's docs)."""
    brightness = math.log2(max(st.centroid_hz, 1.0) / 2000.0)
    tempo_fit = math.exp(-0.5 * (math.log2(max(st.tempo, 1.0) / 118.0) / 0.4) ** 2)
    energy = (0.5 * _s((st.loudness + 14.0) / 3.0) + 0.25 * _s(brightness / 0.5)
              + 0.25 * _s((st.onset_rate - 2.5) / 1.0))
    rhythm = 0.4 * _s((st.pulse - 1.12) / 0.05) + 0.6 * _clip(st.regularity / 0.6)
    danceability = rhythm * (0.6 + 0.4 * tempo_fit)
    valence = (0.4 * _s(st.mode_score / 0.05) + 0.3 * _s((st.tempo - 110.0) / 25.0)
               + 0.3 * _s(brightness / 0.5))
    acousticness = 1.0 - (0.4 * _s(brightness / 0.4) + 0.3 * _s((st.loudness + 12.0) / 3.0)
                          + 0.3 * _s((0.75 - st.harmonic_share) / 0.08))
    vocal = _s((st.syllabic - 0.32) / 0.04)
    instrumentalness = 1.0 - vocal
    speechiness = _s((st.syllabic - 0.35) / 0.05) * _s((st.low_energy - 0.4) / 0.07)
    liveness = 0.05 + 0.9 * _s((st.floor_ratio - 0.6) / 0.06) * _s((st.flatness - 0.05) / 0.02)
    values = {"energy": energy, "danceability": danceability, "valence": valence,
              "acousticness": acousticness, "instrumentalness": instrumentalness,
              "speechiness": speechiness, "liveness": liveness}
    return {name: _clip(values[name]) for name in ESTIMATED}


def heard_voice(probabilities) -> tuple[float, float]:
    """(singing, rap) evidence, 0-1, from the tagger's tag probabilities: singing from
    the vocalist tags against "instrumental" (their log ratio through a logistic curve),
    rap from "Hip-Hop"."""
    from musicrec.features.audio.tagger.network import TAGS

    p = dict(zip(TAGS, probabilities, strict=True))
    voices = p["female vocalists"] + p["female vocalist"] + p["male vocalists"]
    ratio = math.log((voices + 0.02) / (p["instrumental"] + 0.02))
    return _s((ratio - 0.7) / 0.35), _s((p["Hip-Hop"] - 0.15) / 0.05)


def with_tagger(values: dict[str, float], syllabic: float | None, probabilities
                ) -> dict[str, float]:
    """The estimates with the tagger's hearing of voices folded in (docs/audio-features.md):
    instrumentalness is mostly the tagger's (``1 - (0.75 singing + 0.25 syllabic
    vocal)``), and speechiness needs a voice: the syllabic estimate times ``0.25 + 0.75
    max(singing, rap)``. On 113 instrumental game soundtracks the DSP formula alone
    put 52% of them below 0.5 instrumentalness, and 4% with the tagger; a sung song fell
    from 0.38 to 0.10 (benchmarks/tagger_quality.py)."""
    singing, rap = heard_voice(probabilities)
    out = dict(values)
    if syllabic is not None and "instrumentalness" in out:
        vocal = _s((syllabic - 0.32) / 0.04)
        out["instrumentalness"] = round(_clip(1.0 - (0.75 * singing + 0.25 * vocal)), 4)
    if "speechiness" in out:
        out["speechiness"] = round(_clip(out["speechiness"] * (0.25 + 0.75 * max(singing, rap))),
                                   4)
    return out
