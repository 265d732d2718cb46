"""The encoder's second opinion on English questions: asked only about a close race."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from counting_encoder import CountingEncoder

from bot.core.library import Library
from bot.core.matcher import Matcher, MatchSettings
from bot.core.matching.opinion import SecondOpinion
from bot.core.matching.policy import Policy, percent
from bot.core.matching.semantic import EncoderUnavailable, SemanticModel, UseEncoder
from bot.core.models import Entry, KnowledgeBase, Source

# A paraphrase (written for this test, in no evaluation set) whose words lead the lexical
# ranking to the North Korea entry (83), with the consultation entry close behind (72).
PARAPHRASE = "does seoul get told before the us fires nukes"
LEXICAL, MEANT = "north-korea-nuclear-forces", "consult-before-nuclear-use"
KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


class Opinion:
    """A stand-in for the encoder's similarity: fixed values by entry id, calls recorded."""

    def __init__(self, kb: KnowledgeBase, values: dict[str, float] | None) -> None:
        self.kb = kb
        self.values = values
        self.asked: list[list[str]] = []

    def __call__(self, indexes: Sequence[int]) -> np.ndarray | None:
        ids = [self.kb.entries[i].id for i in indexes]
        self.asked.append(ids)
        if self.values is None:
            return None
        return np.asarray([self.values.get(i, 0.3) for i in ids], dtype=np.float32)


def decide(kb: KnowledgeBase, question: str, opinion: Opinion) -> str | None:
    """The entry the policy answers `question` with, given the lexical ranking and `opinion`."""
    entries, _ = Matcher(kb, eager=False).rank(question)
    policy = Policy(kb, MatchSettings(), kb.article.sentences())
    return policy.decide(question, entries, list, chat=False, opinion=opinion).entry_id


def test_a_clearly_nearer_runner_up_from_other_paragraphs_is_answered(
    shipped_kb: KnowledgeBase,
) -> None:
    # consult-before-nuclear-use (paragraph 2) shares no paragraph with the top entry (3, 7).
    nearer = Opinion(shipped_kb, {LEXICAL: 0.4, MEANT: 0.7})
    assert decide(shipped_kb, PARAPHRASE, nearer) == MEANT
    assert nearer.asked and nearer.asked[0][0] == LEXICAL and MEANT in nearer.asked[0]


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({LEXICAL: 0.6, MEANT: 0.65}, "nearer by less than rerank_gain"),
        ({LEXICAL: 0.4, "entrapment-fear": 0.8}, "the nearer one cites paragraph 7 too"),
        (None, "no model: the similarity is None"),
    ],
)
def test_the_lexical_choice_stands_otherwise(
    shipped_kb: KnowledgeBase, values: dict[str, float] | None, why: str
) -> None:
    assert decide(shipped_kb, PARAPHRASE, Opinion(shipped_kb, values)) == LEXICAL, why


@pytest.mark.parametrize(
    "question",
    [
        "why did nato get nervous back then",  # every close runner-up cites paragraph 3 too
        "what is the nuclear consultative group?",  # no runner-up within opinion_margin
    ],
)
def test_the_model_is_not_asked_when_it_could_change_nothing(
    shipped_kb: KnowledgeBase, question: str
) -> None:
    opinion = Opinion(shipped_kb, {})
    assert decide(shipped_kb, question, opinion) is not None
    assert opinion.asked == []


def test_without_a_model_english_is_matched_lexically(shipped_kb: KnowledgeBase) -> None:
    loads: list[Path | None] = []

    def failing(cache_dir: Path | None) -> UseEncoder:
        loads.append(cache_dir)
        raise EncoderUnavailable("test")

    failed = Matcher(shipped_kb, semantic=SemanticModel(None, load=failing))
    assert failed.reply(PARAPHRASE).entry_id == LEXICAL
    assert loads == [None]  # the close race asked for it, once
    assert Matcher(shipped_kb).reply(PARAPHRASE).entry_id == LEXICAL


def test_the_real_encoder_moves_a_paraphrase_to_the_entry_it_restates(
    korean_matcher: Matcher,
) -> None:
    entries, _ = korean_matcher.rank(PARAPHRASE)
    own = next(c for c in entries if korean_matcher.kb.entries[c.index].id == MEANT)
    for chat in (False, True):
        reply = korean_matcher.reply(PARAPHRASE, chat=chat)
        assert reply.answered and reply.entry_id == MEANT
        # The answered entry's own lexical confidence (not a fixed figure: it follows the
        # calibration's weights).
        assert reply.score == percent(own.confidence)
    # A question the lexical ranking answers clearly keeps its answer with the model loaded.
    clear = korean_matcher.reply("What is the nuclear consultative group?")
    assert clear.entry_id == "nuclear-consultative-group"


GOODIE_BAG = Entry(
    id="goodie-bag",
    question="What is in Seoul's goodie bag from this summit?",
    alternates=("summit goodie bag",),
    answer="The article lists four major actions by the United States.",
    sources=(Source(paragraph=2, quote="in exchange for four major actions by the United States"),),
    created_by=1,
)


def test_a_servers_opinion_shares_the_shipped_vectors(shipped_kb: KnowledgeBase) -> None:
    encoder = CountingEncoder()
    model = SemanticModel(None, load=lambda directory: encoder)
    shipped = SecondOpinion(shipped_kb, model)
    kb = KnowledgeBase(
        shipped_kb.article, (*shipped_kb.entries, GOODIE_BAG), dict(shipped_kb.synonyms)
    )
    server = SecondOpinion(kb, model, shipped)
    every = list(range(len(kb.entries)))

    first = server.about("whats in the goodie bag")(every)
    # The shipped phrasings were encoded once for both; the server read only its own entry.
    shipped_texts = [p for e in shipped_kb.entries for p in e.phrasings]
    expected = [*shipped_texts, *GOODIE_BAG.phrasings, "whats in the goodie bag"]
    assert sorted(encoder.encoded) == sorted(expected)
    # ...and holds only its own entry's rows: the shipped ones stay in the shipped opinion.
    held = server._phrasings()
    assert held is not None and len(held[1]) == len(GOODIE_BAG.phrasings)
    # The same similarities as an opinion that reads the whole base itself.
    whole = SecondOpinion(kb, model).about("whats in the goodie bag")(every)
    assert first is not None and whole is not None
    np.testing.assert_allclose(first, whole, rtol=1e-6)
    assert first.shape == (len(kb.entries),)


def test_while_the_model_warms_in_the_background_english_does_not_wait_for_it(
    shipped_kb: KnowledgeBase, tmp_path: Path
) -> None:
    gate = threading.Event()
    encoder = CountingEncoder()

    def slow_load(directory: Path | None) -> CountingEncoder:
        gate.wait(30)  # the model is still loading
        return encoder

    model = SemanticModel(None, load=slow_load)
    library = Library(
        KNOWLEDGE, tmp_path / "data", MatchSettings(), semantic=model, overlay_cache=4
    )
    library.warm_model_in_background()
    # The close race goes to the lexical choice at once, with nothing encoded...
    assert library.matcher_for(None).reply(PARAPHRASE).entry_id == LEXICAL
    assert encoder.encoded == []
    # ...and once the model is ready, the second opinion is asked again.
    gate.set()
    deadline = time.monotonic() + 30
    while model.warming and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not model.warming
    library.matcher_for(None).reply(PARAPHRASE)
    assert PARAPHRASE in encoder.encoded
