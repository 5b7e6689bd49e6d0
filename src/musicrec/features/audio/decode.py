"""Decoding an audio file into samples: libsndfile where it can, Debian's ffmpeg for the rest.

Analysis reads at most a window of each song by default (the middle ``WINDOW_SECONDS``,
which skips intros and fade-outs and bounds the time per song); ``window=None`` reads
the whole file. Samples come back as float32 at :data:`SAMPLE_RATE`, channels kept
(loudness is measured over them), resampled with soxr.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The rate every analysis runs at (librosa's default; enough for timbre and rhythm).
SAMPLE_RATE = 22_050
#: Seconds read from the middle of a song by default.
WINDOW_SECONDS = 60.0
#: Formats libsndfile reads (and can seek in) here; the rest go through ffmpeg.
SOUNDFILE_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3"})


class UndecodableError(Exception):
    """The file could not be decoded (corrupt, truncated, not audio, no decoder)."""


class TruncatedAudioError(UndecodableError):
    """The file holds less audio than its header says: it was cut short."""


@dataclass(frozen=True)
class Decoded:
    """Samples of (part of) one file."""

    samples: np.ndarray  #: (channels, n) float32 at ``sample_rate``
    sample_rate: int
    duration: float  #: seconds, of the whole file
    offset: float  #: seconds into the file where ``samples`` start
    decoder: str  #: "soundfile" or "ffmpeg"

    @property
    def seconds(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0) if self.samples.shape[0] > 1 else self.samples[0]


def window_start(duration: float, window: float | None) -> tuple[float, float | None]:
    """(offset, length) of the part analysed: the middle ``window`` seconds, or all."""
    if window is None or duration <= window:
        return 0.0, None
    return (duration - window) / 2.0, window


def decode(path: Path, window: float | None = WINDOW_SECONDS,
           duration_hint: float | None = None) -> Decoded:
    """The samples of ``path`` (its middle ``window`` seconds, or all with None)."""
    path = Path(path)
    if path.suffix.lower() in SOUNDFILE_SUFFIXES:
        try:
            return _with_soundfile(path, window)
        except _CannotOpen:  # a variant libsndfile does not read: ffmpeg may
            if shutil.which("ffmpeg") is None:
                raise
    return _with_ffmpeg(path, window, duration_hint)


class _CannotOpen(UndecodableError):
    """libsndfile does not open the file at all (as opposed to failing inside it)."""


def _resampled(data: np.ndarray, rate: int) -> np.ndarray:
    """(n, channels) at ``rate`` -> (channels, n) float32 at SAMPLE_RATE."""
    if rate != SAMPLE_RATE and len(data):
        import soxr

        data = soxr.resample(data, rate, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(data.T, dtype=np.float32)


def _with_soundfile(path: Path, window: float | None) -> Decoded:
    import soundfile as sf

    try:
        handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
        raise _CannotOpen(f"cannot be decoded ({exc})") from exc
    exact = length_is_exact(path)
    try:
        with handle as f:
            rate = f.samplerate
            if exact:
                duration = f.frames / rate if f.frames > 0 else 0.0
                offset, length = window_start(duration, window)
                if offset:
                    f.seek(int(offset * rate))
                frames = -1 if length is None else int(length * rate)
                data = f.read(frames, dtype="float32", always_2d=True)
                expected = (f.frames - int(offset * rate)) if frames < 0 else frames
            else:  # the length is a guess: decode it all, then take the middle
                data = f.read(-1, dtype="float32", always_2d=True)
                duration = len(data) / rate
                offset, length = window_start(duration, window)
                if length is not None:
                    data = data[int(offset * rate): int(offset * rate) + int(length * rate)]
                expected = len(data)
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
        raise UndecodableError(f"cannot be decoded ({exc})") from exc
    if not len(data):
        raise UndecodableError("holds no audio samples")
    if expected - len(data) > max(0.5 * rate, 0.02 * expected):  # more than codec padding
        raise TruncatedAudioError(
            f"is cut short: only {(int(offset * rate) + len(data)) / rate:.1f} s of the "
            f"{duration:.1f} s its header gives could be decoded (an interrupted copy?)")
    data = data[:, :2]  # loudness and the mix read at most two channels
    return Decoded(_resampled(data, rate), SAMPLE_RATE, duration, offset, "soundfile")


def length_is_exact(path: Path) -> bool:
    """Whether the length a file's header gives is exact. An MP3 without a Xing, Info or
    VBRI frame count only has an estimate from its first frame's bitrate (one of 8 kb/s
    made a 61 s song 397 s long), so such a file is decoded whole to find its end."""
    if path.suffix.lower() != ".mp3":
        return True
    try:
        from mutagen.mp3 import MP3, BitrateMode

        return MP3(str(path)).info.bitrate_mode is not BitrateMode.UNKNOWN
    except Exception:  # mutagen cannot read the header: do not trust it either
        return False


def _with_ffmpeg(path: Path, window: float | None, duration_hint: float | None) -> Decoded:
    if shutil.which("ffmpeg") is None:
        raise UndecodableError(
            f"needs ffmpeg to decode {path.suffix or 'this format'} (install Debian's "
            "ffmpeg package: apt install ffmpeg)")
    duration = duration_hint if duration_hint and duration_hint > 0 else None
    offset, length = window_start(duration or 0.0, window)
    if duration is None and window is not None:
        length = window  # unknown length: the first window seconds
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]
    if offset:
        command += ["-ss", f"{offset:.3f}"]
    command += ["-i", str(path)]
    if length is not None:
        command += ["-t", f"{length:.3f}"]
    command += ["-vn", "-ac", "2", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UndecodableError(f"cannot be decoded by ffmpeg ({exc})") from exc
    data = np.frombuffer(done.stdout, dtype="<f4")
    if done.returncode != 0 or not len(data):
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UndecodableError("cannot be decoded by ffmpeg"
                               + (f" ({message[-1]})" if message else ""))
    samples = data[: len(data) // 2 * 2].reshape(-1, 2).T.copy()
    if duration is not None:  # the length the tags give against what was decoded
        expected = (duration - offset if length is None else min(length, duration - offset))
        if expected - samples.shape[1] / SAMPLE_RATE > max(0.5, 0.02 * expected):
            raise TruncatedAudioError(
                f"is cut short: only {offset + samples.shape[1] / SAMPLE_RATE:.1f} s of the "
                f"{duration:.1f} s its header gives could be decoded (an interrupted copy?)")
    if duration is None:
        duration = (samples.shape[1] / SAMPLE_RATE if length is None
                    else _probed_duration(path) or samples.shape[1] / SAMPLE_RATE)
    return Decoded(samples, SAMPLE_RATE, float(duration), offset, "ffmpeg")


def _probed_duration(path: Path) -> float | None:
    """The length ffprobe reads from the container (for files mutagen knows no length of)."""
    if shutil.which("ffprobe") is None:
        return None
    try:
        done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                               "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                              timeout=60, check=False)
        value = float(done.stdout.strip())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    return value if value > 0 else None
