"""The musicnn network (Pons & Serra 2019) in NumPy: log-mel patches in, 50 tag
probabilities and the 200-value penultimate embedding out, per 3-second patch.

The layers follow musicnn's ``models.build_musicnn`` for the MSD model:

- front end: batch norm of the input; two timbral convolutions (7 frames x 38 and x 67
  mel bands, 204 filters each) and three temporal ones (128, 64, 32 frames x 1 band,
  51 filters each), each ReLU, batch norm, then max over frequency;
- mid end: three 7-frame convolutions of 64 filters over all channels, the last two
  with residual connections;
- back end: max and mean over time of everything so far (753 channels, interleaved as
  ``tf.concat`` then ``flatten`` lay them out), batch norm, a 200-unit dense layer
  (ReLU, batch norm: the embedding) and a 50-unit one with a sigmoid.

Convolutions are written as one matrix product each over sliding windows (BLAS does the
work). ReLU maps NaN to 0 as TensorFlow's does, so the original's output is reproduced
even on its overflowing input (see :func:`log_mel`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Signal settings the model was trained with
SAMPLE_RATE = 16_000
N_FFT = 512
HOP = 256
N_MELS = 96
#: Frames per patch (3 s: ``librosa.time_to_frames(3, ...) + 1``)
PATCH_FRAMES = 187
EMBEDDING_DIMS = 200
#: tf.compat.v1.layers.batch_normalization's default epsilon
BN_EPSILON = 1e-3
#: The 50 Million Song Dataset tags, in the model's output order
TAGS = ("rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance",
        "00s", "alternative rock", "jazz", "beautiful", "metal", "chillout",
        "male vocalists", "classic rock", "soul", "indie rock", "Mellow", "electronica",
        "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues",
        "hard rock", "ambient", "acoustic", "experimental", "female vocalist", "guitar",
        "Hip-Hop", "70s", "party", "country", "easy listening", "sexy", "catchy", "funk",
        "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop", "sad",
        "House", "happy")
#: The variables the forward pass reads (checked when weights are loaded)
LAYERS = (["batch_normalization"] + [f"batch_normalization_{i}" for i in range(1, 11)])
CONVS = [f"conv2d{'' if i == 0 else f'_{i}'}" for i in range(8)]


def log_mel(y: np.ndarray, *, faithful: bool = False) -> np.ndarray:
    """(frames, 96) log-compressed mel spectrogram of 16 kHz mono samples.

    musicnn computes ``log10(10000 x + 1)`` on a float16 copy of the mel power, where
    ``10000 x`` overflows to infinity wherever the power passes 6.55: most frames of
    loud music. The network then turns every patch holding such a frame into one
    constant answer (NaN becomes 0 at the first dense layer). ``faithful=True``
    reproduces that, to check parity with the original; the default rounds the power to
    float16 the same way but takes the logarithm in float32, so loud music keeps its
    own answer."""
    import librosa

    power = librosa.feature.melspectrogram(y=np.asarray(y, dtype=np.float32),
                                           sr=SAMPLE_RATE, hop_length=HOP, n_fft=N_FFT,
                                           n_mels=N_MELS).T
    power = power.astype(np.float16)
    if faithful:
        with np.errstate(over="ignore"):
            return np.log10(10000 * power + 1).astype(np.float32)
    return np.log10(10000 * power.astype(np.float32) + 1)


def patches(spectrogram: np.ndarray, hop: int = PATCH_FRAMES) -> np.ndarray:
    """(n, 187, 96) patches every ``hop`` frames, as musicnn's ``batch_data`` cuts them
    (a spectrogram shorter than one patch gives none)."""
    starts = range(0, spectrogram.shape[0] - PATCH_FRAMES + 1, hop)
    if not len(starts):
        return np.zeros((0, PATCH_FRAMES, spectrogram.shape[1]), dtype=np.float32)
    return np.stack([spectrogram[s: s + PATCH_FRAMES] for s in starts]).astype(np.float32)


class Musicnn:
    """The network with its weights (a dict of arrays by TensorFlow variable name)."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        missing = [f"{name}/{part}" for name in LAYERS
                   for part in ("gamma", "beta", "moving_mean", "moving_variance")
                   if f"{name}/{part}" not in weights]
        missing += [f"{name}/{part}" for name in CONVS + ["dense", "dense_1"]
                    for part in ("kernel", "bias") if f"{name}/{part}" not in weights]
        if missing:
            raise ValueError(f"the weights lack {', '.join(missing[:4])}")
        self.bn = {}
        for name in LAYERS:  # batch norm at inference: one scale and shift per channel
            scale = weights[f"{name}/gamma"] / np.sqrt(weights[f"{name}/moving_variance"]
                                                      + np.float32(BN_EPSILON))
            shift = weights[f"{name}/beta"] - weights[f"{name}/moving_mean"] * scale
            self.bn[name] = (scale.astype(np.float32), shift.astype(np.float32))
        self.conv = {name: (np.ascontiguousarray(weights[f"{name}/kernel"], np.float32),
                            weights[f"{name}/bias"].astype(np.float32)) for name in CONVS}
        self.signed = {}  # (sign of the batch norm scale, kernel times it) per front conv
        for conv, bn in zip(CONVS[:5], LAYERS[1:6], strict=True):
            kernel = self.conv[conv][0]
            sign = np.where(self.bn[bn][0] >= 0, 1, -1).astype(np.float32)
            self.signed[conv] = (sign, np.ascontiguousarray(
                kernel.reshape(-1, kernel.shape[3]) * sign))
        self.dense = {name: (np.ascontiguousarray(weights[f"{name}/kernel"], np.float32),
                             weights[f"{name}/bias"].astype(np.float32))
                      for name in ("dense", "dense_1")}

    def forward(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (n, 50), embedding (n, 200)) of (n, 187, 96) patches."""
        batch = np.asarray(batch, dtype=np.float32)
        n = batch.shape[0]
        if n == 0:
            return (np.zeros((0, len(TAGS)), np.float32),
                    np.zeros((0, EMBEDDING_DIMS), np.float32))
        # the faithful input's infinities make NaNs on purpose (see log_mel): no warnings
        with np.errstate(invalid="ignore", over="ignore"):
            pooled = np.empty((n, 2 * 753), dtype=np.float32)
            for i in range(n):
                pooled[i] = self._pooled(batch[i])
            hidden = self._bn("batch_normalization_9", pooled)
            kernel, bias = self.dense["dense"]
            hidden = _relu(hidden @ kernel + bias)
            embedding = self._bn("batch_normalization_10", hidden)
            kernel, bias = self.dense["dense_1"]
            logits = embedding @ kernel + bias
            probabilities = 1.0 / (1.0 + np.exp(-logits))
        return probabilities.astype(np.float32), embedding.astype(np.float32)

    def _bn(self, name: str, x: np.ndarray) -> np.ndarray:
        scale, shift = self.bn[name]
        return x * scale + shift

    def _pooled(self, patch: np.ndarray) -> np.ndarray:
        """One patch through the front and mid end, pooled over time: (1506,)."""
        x = self._bn("batch_normalization", patch)  # (187, 96): one input channel
        padded = np.pad(x, ((3, 3), (0, 0)))
        front = [self._timbral(padded, "conv2d", "batch_normalization_1"),
                 self._timbral(padded, "conv2d_1", "batch_normalization_2"),
                 self._temporal(x, "conv2d_2", "batch_normalization_3"),
                 self._temporal(x, "conv2d_3", "batch_normalization_4"),
                 self._temporal(x, "conv2d_4", "batch_normalization_5")]
        front_end = np.concatenate(front, axis=1)  # (187, 561)
        c1 = self._bn("batch_normalization_6", self._dense_in_time(front_end, "conv2d_5"))
        c2 = self._bn("batch_normalization_7", self._dense_in_time(c1, "conv2d_6")) + c1
        c3 = self._bn("batch_normalization_8", self._dense_in_time(c2, "conv2d_7")) + c2
        features = np.concatenate([front_end, c1, c2, c3], axis=1)  # (187, 753)
        out = np.empty(2 * features.shape[1], dtype=np.float32)
        out[0::2] = features.max(axis=0)
        out[1::2] = features.mean(axis=0, dtype=np.float32)
        return out

    def _timbral(self, padded: np.ndarray, conv: str, bn: str) -> np.ndarray:
        """A 'valid' convolution over time and frequency, ReLU, batch norm, max over
        frequency: (187, filters)."""
        kernel, _ = self.conv[conv]
        height, width, _, filters = kernel.shape
        windows = sliding_window_view(padded, (height, width))  # (187, F, h, w)
        frames, bands = windows.shape[:2]
        flat = windows.reshape(frames * bands, height * width)
        return self._pool_bands(flat, frames, bands, conv, bn)

    def _temporal(self, x: np.ndarray, conv: str, bn: str) -> np.ndarray:
        """A 'same' convolution over time only (per band), ReLU, batch norm, max over
        frequency: (187, filters)."""
        kernel, _ = self.conv[conv]
        length = kernel.shape[0]
        before = (length - 1) // 2  # TensorFlow's 'same': the extra zero goes after
        padded = np.pad(x, ((before, length - 1 - before), (0, 0)))
        windows = sliding_window_view(padded, length, axis=0)  # (187, 96, length)
        frames, bands = windows.shape[:2]
        flat = windows.reshape(frames * bands, length)
        return self._pool_bands(flat, frames, bands, conv, bn)

    def _pool_bands(self, flat: np.ndarray, frames: int, bands: int, conv: str,
                    bn: str) -> np.ndarray:
        """max over bands of bn(relu(conv)) for windows ``flat`` (frames x bands rows).

        Batch norm is a monotone map per channel, so the max of its output is its value
        at the max of its input (at the min, for a negative scale), and ReLU commutes
        with both: the bias, ReLU and batch norm then touch 1/bands of the values, and
        the signs are folded into the kernel so that one max does for every channel.
        Where the input is not finite (the original's overflow) the layers run in
        TensorFlow's order instead, with NaN as 0 after ReLU."""
        kernel, bias = self.conv[conv]
        scale, shift = self.bn[bn]
        filters = kernel.shape[3]
        if not np.isfinite(flat).all():
            out = _relu(flat @ kernel.reshape(-1, filters) + bias)
            out = out.reshape(frames, bands, filters)
            top = np.where(scale >= 0, out.max(axis=1), out.min(axis=1))
            return top * scale + shift
        sign, signed = self.signed[conv]
        out = (flat @ signed).reshape(frames, bands, filters)
        return _relu(out.max(axis=1) * sign + bias) * scale + shift

    def _dense_in_time(self, x: np.ndarray, conv: str) -> np.ndarray:
        """A 7-frame convolution over all channels of (187, channels), zero-padded in
        time, with ReLU: (187, filters)."""
        kernel, bias = self.conv[conv]
        height, width, _, filters = kernel.shape
        padded = np.pad(x, ((3, 3), (0, 0)))
        windows = sliding_window_view(padded, height, axis=0)  # (187, width, height)
        flat = windows.transpose(0, 2, 1).reshape(windows.shape[0], height * width)
        return _relu(flat @ kernel.reshape(height * width, filters) + bias)


def _relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) with NaN as 0, as TensorFlow's ReLU gives it."""
    return np.fmax(x, np.float32(0))
