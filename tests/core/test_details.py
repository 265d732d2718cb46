"""What the article does not say: each rule of the missing-detail check, on made-up texts."""

from __future__ import annotations

from bot.core.lexicon import STOPWORDS
from bot.core.matching.analysis import Analyser
from bot.core.matching.details import FRAME_WORDS, EntryText, asked_detail, has_detail
from bot.core.text import normalize

_stem = Analyser({}).stem


def _own(question: str) -> list[str]:
    return [w for w in normalize(question).split() if w not in STOPWORDS and w not in FRAME_WORDS]


def _gives(question: str, sentences: list[str], phrasings: tuple[str, ...] = ()) -> bool:
    """Whether an entry of these sentences (and phrasings) gives what `question` asks."""
    detail = asked_detail(question)
    assert detail is not None, question
    own = _own(question)
    topic = {_stem(w): 1.0 for w in own}
    about = frozenset({_stem(detail.about)}) if detail.about else frozenset()
    text = EntryText.of(sentences, _stem, phrasings)
    near = frozenset(topic)
    return has_detail(detail, text, topic, near, frozenset(own), _stem, about)


_MUSEUM = ["The museum reopened after a long renovation, the board says."]


def test_an_entry_is_trusted_for_its_own_kind_of_question_on_its_own_topic() -> None:
    # The entry was written for "who runs the museum": a like question needs no evidence.
    assert _gives("who is in charge of the museum", _MUSEUM, ("who runs the museum",))


def test_an_entry_is_not_trusted_for_its_kind_of_question_on_another_topic() -> None:
    # The same entry does not know who paid for the renovation: no name in its sentences.
    question = "who paid for the renovation work and the new roof"
    assert not _gives(question, _MUSEUM, ("who runs the museum",))
    assert not _gives(question, _MUSEUM)


_TOWNS = ["Several coastal towns, including Alden and Brill, were flooded last week."]


def test_which_with_a_modifier_needs_evidence_that_carries_the_modifier() -> None:
    assert _gives("which coastal towns were flooded", _TOWNS)
    # Towns are named, but not mountain towns.
    assert not _gives("which mountain towns got flooded", _TOWNS)


_FARMS = [
    "Beyond the farms that were flooded in spring or lost their crops to the drought, "
    "the picture is unclear."
]


def test_a_description_that_restates_the_question_does_not_answer_which() -> None:
    assert _gives("which farms were hit hardest", _FARMS)
    assert not _gives("which farms have lost their crops in the drought", _FARMS)
