"""What one song's audio says: measured quantities, Spotify-style estimates, an embedding.

:func:`analyse_samples` runs on decoded samples (see :mod:`.decode`) and returns an
:class:`Analysis`:

- quantities with a definition: tempo (BPM, librosa's beat tracker), key and mode
  (mean chroma correlated with the Krumhansl-Kessler key profiles), integrated loudness
  (ITU-R BS.1770 LUFS, pyloudnorm), duration, time signature (3 or 4: which accent
  period the beats repeat, an estimate);
- the Spotify-style descriptors (energy, danceability, valence, acousticness,
  instrumentalness, speechiness, liveness) as *estimates* from spectral, rhythmic and
  harmonic statistics; each formula is in :mod:`.descriptors` and docs/audio-features.md;
- an embedding of summary statistics (MFCC means, spreads and correlations, spectral
  contrast, key-relative chroma, onset rate, tempo, tempogram, spectral shape), which the
  library standardises so that two songs can be compared by sound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from musicrec.features.audio.decode import Decoded
from musicrec.features.audio.descriptors import Statistics, estimates

HOP = 512
N_FFT = 2048
N_MFCC = 20
#: MFCCs whose pairwise correlations enter the embedding (timbre shape); higher ones
#: move with the codec (a 96 kb/s MP3 of a song differs from its Ogg there)
CORRELATED_MFCC = 8
#: Tempi (BPM) at which the mean tempogram is read into the embedding
TEMPOGRAM_BPM = np.geomspace(40, 240, 16)
#: Width (octaves) of the log-normal tempo prior around 120 BPM (librosa's default: 1)
TEMPO_PRIOR_OCTAVES = 1.0
#: Phase bins of the beat period when measuring the pulse
PHASE_BINS = 16
#: Below this level (dBFS, RMS over the window) a file counts as silent
SILENCE_DBFS = -70.0

#: Krumhansl-Kessler key profiles, tonic first
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


class SilentAudioError(Exception):
    """The analysed part of the file is silent (nothing to describe)."""


def embedding_names() -> list[str]:
    """The name of every embedding dimension, in order."""
    names = [f"mfcc{i}_mean" for i in range(N_MFCC)]
    names += [f"mfcc{i}_std" for i in range(N_MFCC)]
    names += [f"mfcc{i}_{j}_corr" for i in range(1, CORRELATED_MFCC + 1)
              for j in range(i + 1, CORRELATED_MFCC + 1)]
    names += [f"contrast{b}_mean" for b in range(7)] + [f"contrast{b}_std" for b in range(7)]
    names += [f"chroma_rel{i}" for i in range(12)]
    names += ["onset_rate"]
    names += [f"tempogram_{bpm:.0f}bpm" for bpm in TEMPOGRAM_BPM]
    names += ["centroid_log2", "centroid_std", "rolloff_log2", "flatness_db", "zcr",
              "rms_db", "rms_spread"]
    return names


EMBEDDING_DIMS = len(embedding_names())


@dataclass
class Analysis:
    """One song's measured quantities, estimates and embedding (JSON-able values)."""

    tempo: float
    key: int
    mode: int
    loudness: float
    time_signature: int
    duration_ms: float
    estimates: dict[str, float]
    embedding: list[float]
    statistics: dict[str, float] = field(default_factory=dict)
    seconds_analysed: float = 0.0
    offset: float = 0.0

    def to_dict(self) -> dict:
        return {"tempo": self.tempo, "key": self.key, "mode": self.mode,
                "loudness": self.loudness, "time_signature": self.time_signature,
                "duration_ms": self.duration_ms, "estimates": self.estimates,
                "embedding": self.embedding, "statistics": self.statistics,
                "seconds_analysed": self.seconds_analysed, "offset": self.offset}


def key_of(chroma_mean: np.ndarray) -> tuple[int, int, float]:
    """(pitch class 0=C, mode 1=major/0=minor, major-minor score) of a mean chroma."""
    best = {}
    for mode, profile in ((1, MAJOR_PROFILE), (0, MINOR_PROFILE)):
        scores = [np.corrcoef(np.roll(profile, tonic), chroma_mean)[0, 1]
                  for tonic in range(12)]
        scores = np.nan_to_num(np.asarray(scores), nan=-1.0)
        best[mode] = (int(np.argmax(scores)), float(scores.max()))
    mode = 1 if best[1][1] >= best[0][1] else 0
    return best[mode][0], mode, best[1][1] - best[0][1]


def analyse_samples(decoded: Decoded) -> Analysis:
    """Analyse decoded samples (see the module docstring)."""
    import librosa

    sr = decoded.sample_rate
    y = decoded.mono()
    rms_all = float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if len(y) else 0.0
    if rms_all <= 0 or 20 * np.log10(rms_all) < SILENCE_DBFS:
        raise SilentAudioError("is silent (below -70 dBFS) in the part analysed")
    seconds = len(y) / sr

    stft = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    power = stft ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=96)
    mel_db = librosa.power_to_db(mel, ref=np.max)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC)
    contrast = librosa.feature.spectral_contrast(S=stft, sr=sr)
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0, norm=None)
    centroid = librosa.feature.spectral_centroid(S=stft, sr=sr)[0]
    rolloff = librosa.feature.spectral_rolloff(S=stft, sr=sr)[0]
    flatness = librosa.feature.spectral_flatness(S=stft)[0]
    zcr = librosa.feature.zero_crossing_rate(y, hop_length=HOP)[0]
    rms = librosa.feature.rms(S=stft)[0]

    onset_env = librosa.onset.onset_strength(S=mel_db, sr=sr)
    # tempo from the autocorrelation tempogram (librosa.feature.tempo); librosa's beat
    # tracker is not used: its numba kernels compile for ~4 s in every new process
    # (the median over mel bands resists broadband noise better than the mean)
    strength = librosa.feature.tempogram(
        onset_envelope=librosa.onset.onset_strength(S=mel_db, sr=sr, aggregate=np.median),
        sr=sr, hop_length=HOP).mean(axis=1)
    tempo = _tempo(strength, sr)
    period = 60.0 * sr / (HOP * tempo)  # frames per beat
    onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr, hop_length=HOP)
    onset_rate = len(onsets) / seconds
    tempogram_mean = strength
    lags = 60.0 * sr / (HOP * TEMPOGRAM_BPM)
    tempogram_at = np.interp(lags, np.arange(len(tempogram_mean)), tempogram_mean)

    chroma = chroma / np.maximum(chroma.sum(axis=0, keepdims=True), 1e-12)
    chroma_mean = chroma.mean(axis=1)
    key, mode, mode_score = key_of(chroma_mean)

    # harmonic/percussive split on the mel spectrogram (on the STFT it takes ~20x longer)
    # (frames averaged in pairs: the median filters cost a quarter of the full-rate ones)
    pooled = mel[:, : mel.shape[1] // 2 * 2].reshape(mel.shape[0], -1, 2).mean(axis=2)
    harmonic, percussive = librosa.decompose.hpss(pooled if pooled.shape[1] >= 16 else mel,
                                                  kernel_size=13)
    h_energy, p_energy = float(np.sum(harmonic ** 2)), float(np.sum(percussive ** 2))
    harmonic_share = h_energy / (h_energy + p_energy) if h_energy + p_energy > 0 else 0.5

    loudness = _loudness(decoded)
    stats = Statistics(
        loudness=loudness, centroid_hz=float(np.mean(centroid)), flatness=float(np.mean(flatness)),
        onset_rate=onset_rate, tempo=tempo,
        pulse=_pulse(onset_env, period), regularity=_regularity(onset_env, sr),
        harmonic_share=harmonic_share, mode_score=mode_score,
        syllabic=_syllabic_modulation(power, sr),
        floor_ratio=float(np.percentile(rms, 10) / max(np.median(rms), 1e-9)),
        chroma_peak=float(np.mean(chroma.max(axis=0))),
        low_energy=float(np.mean(rms < 0.5 * rms.mean())),
    )
    embedding = _embedding(mfcc, contrast, np.roll(chroma_mean, -key), onset_rate,
                           tempogram_at, centroid, rolloff, flatness, zcr, rms)
    return Analysis(
        tempo=round(tempo, 3), key=key, mode=mode, loudness=round(loudness, 3),
        time_signature=_time_signature(onset_env, period),
        duration_ms=round(decoded.duration * 1000.0, 1),
        estimates={k: round(v, 4) for k, v in estimates(stats).items()},
        embedding=[float(round(v, 6)) for v in embedding],
        statistics={k: round(float(v), 5) for k, v in stats.__dict__.items()},
        seconds_analysed=round(seconds, 3), offset=round(decoded.offset, 3),
    )


def _loudness(decoded: Decoded) -> float:
    """Integrated loudness (LUFS) over the channels, ITU-R BS.1770 with gating."""
    import pyloudnorm

    samples = decoded.samples.T.astype(np.float64)
    if len(samples) < int(0.4 * decoded.sample_rate):  # shorter than one gating block
        rms = float(np.sqrt(np.mean(samples ** 2)))
        return 20 * np.log10(max(rms, 1e-9)) - 0.691
    meter = pyloudnorm.Meter(decoded.sample_rate)
    value = float(meter.integrated_loudness(samples if samples.shape[1] > 1 else samples[:, 0]))
    return value if np.isfinite(value) else -70.0


def _tempo(strength: np.ndarray, sr: int) -> float:
    """BPM: the strongest period of the mean autocorrelation tempogram (``strength``, by
    lag in frames) under a log-normal prior around 120 BPM, refined between lags by a
    parabola through the peak."""
    lags = np.arange(len(strength), dtype=np.float64)
    bpm = np.divide(60.0 * sr / HOP, lags, out=np.full_like(lags, np.inf), where=lags > 0)
    prior = np.exp(-0.5 * (np.log2(np.maximum(bpm, 1e-9) / 120.0) / TEMPO_PRIOR_OCTAVES) ** 2)
    prior[(bpm < 30) | (bpm > 300)] = 0.0
    best = int(np.argmax(strength * prior))
    if best < 1 or not prior[best]:
        return 120.0
    shift = 0.0
    if best + 1 < len(strength):
        a, b, c = strength[best - 1], strength[best], strength[best + 1]
        if a - 2 * b + c < 0:
            shift = float(np.clip(0.5 * (a - c) / (a - 2 * b + c), -0.5, 0.5))
    return float(60.0 * sr / (HOP * (best + shift)))


def _pulse(onset_env: np.ndarray, period: float) -> float:
    """How much stronger onsets are at the strongest phase of the beat than on average
    (the envelope folded at the beat period into 16 phase bins; 1 = no pulse)."""
    if len(onset_env) < 4 * period or onset_env.mean() <= 0:
        return 1.0
    phase = ((np.arange(len(onset_env)) % period) / period * PHASE_BINS).astype(int)
    sums = np.bincount(phase, weights=onset_env, minlength=PHASE_BINS)
    counts = np.maximum(np.bincount(phase, minlength=PHASE_BINS), 1)
    return float((sums / counts).max() / onset_env.mean())


def _regularity(onset_env: np.ndarray, sr: int) -> float:
    """Peak of the onset envelope's normalised autocorrelation for periods of 0.25-2 s
    (0: no repeating rhythm, 1: a perfectly periodic one)."""
    import librosa

    env = onset_env - onset_env.mean()
    ac = librosa.autocorrelate(env)
    if ac[0] <= 0:
        return 0.0
    ac = ac / ac[0]
    low, high = int(0.25 * sr / HOP), int(2.0 * sr / HOP)
    part = ac[low: min(high, len(ac))]
    return float(np.clip(part.max(), 0.0, 1.0)) if len(part) else 0.0


def _syllabic_modulation(power: np.ndarray, sr: int) -> float:
    """Share of the 300-3400 Hz band's envelope modulation that lies at 3-8 Hz, the
    syllable rate of speech and singing (0-1)."""
    freqs = np.linspace(0, sr / 2, power.shape[0])
    band = power[(freqs >= 300) & (freqs <= 3400)].sum(axis=0)
    envelope = np.log1p(band / max(band.mean(), 1e-12))
    envelope = envelope - envelope.mean()
    if len(envelope) < 64 or not envelope.any():
        return 0.0
    spectrum = np.abs(np.fft.rfft(envelope * np.hanning(len(envelope)))) ** 2
    rates = np.fft.rfftfreq(len(envelope), d=HOP / sr)
    inside = spectrum[(rates >= 3) & (rates <= 8)].sum()
    total = spectrum[(rates >= 0.5) & (rates <= 20)].sum()
    return float(inside / total) if total > 0 else 0.0


def _time_signature(onset_env: np.ndarray, period: float) -> int:
    """3 or 4: whether the onset envelope repeats more strongly every three beats than
    every two or four (autocorrelation at those lags; an estimate)."""
    env = onset_env - onset_env.mean()
    if len(env) < 16 * period or not env.any():
        return 4

    def at(beats: int) -> float:
        lag = int(round(beats * period))
        return float(np.dot(env[:-lag], env[lag:]) / (len(env) - lag))

    return 3 if at(3) > max(at(2), at(4)) else 4


def _embedding(mfcc, contrast, chroma_relative, onset_rate, tempogram_at, centroid,
               rolloff, flatness, zcr, rms) -> np.ndarray:
    """Summary statistics in :func:`embedding_names` order. The tempo itself is left out:
    its octave (65 or 130 BPM) can flip between two encodings of one song, while the
    tempogram keeps the whole periodicity profile."""
    corr = np.corrcoef(mfcc[1: CORRELATED_MFCC + 1])
    corr = np.nan_to_num(corr[np.triu_indices(CORRELATED_MFCC, k=1)])
    rms_db = 20 * np.log10(np.maximum(rms, 1e-6))
    parts = [
        mfcc.mean(axis=1), mfcc.std(axis=1), corr,
        contrast.mean(axis=1), contrast.std(axis=1),
        chroma_relative / max(chroma_relative.sum(), 1e-9),
        [onset_rate], tempogram_at,
        [np.log2(max(np.mean(centroid), 1.0)), np.std(centroid) / max(np.mean(centroid), 1.0),
         np.log2(max(np.mean(rolloff), 1.0)),
         10 * np.log10(max(np.mean(flatness), 1e-10)), np.mean(zcr),
         np.mean(rms_db), np.std(rms_db)],
    ]
    out = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
