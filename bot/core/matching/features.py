"""Features: the evidence that a candidate entry or article sentence answers a question."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from .analysis import Query
    from .calibration import Calibration
    from .index import Index

__all__ = [
    "CANDIDATES",
    "EXACT_CONFIDENCE",
    "FUZZY_CANDIDATES",
    "SENTENCE_CANDIDATES",
    "Candidate",
    "Features",
    "rank_entries",
    "rank_sentences",
]

CANDIDATES = 12  # entries scored in full for a question, from the lexical evidence
FUZZY_CANDIDATES = 8  # more from the rapidfuzz scan
# The rapidfuzz scan keeps phrasings at least this similar: below it, word overlap says more.
_FUZZY_SCAN_CUTOFF = 60
SENTENCE_CANDIDATES = 6  # article sentences scored in full
EXACT_CONFIDENCE = 0.9  # at least this for a question that repeats a phrasing word for word
# The candidate pre-score: the best phrasing's F1 counts more than the whole entry's coverage.
_PRESCORE_PHRASING = 0.6
# Float slack for "every word matched" (recall and precision of exactly 1).
_WHOLE = 1 - 1e-9


class Features(NamedTuple):
    """The evidence for one candidate; the calibration weighs each by name."""

    recall: float  # share of the question's weight its best phrasing contains
    precision: float  # share of that phrasing's weight the question contains
    f1: float
    coverage: float  # share of the question's weight the whole entry contains
    grounding: float  # share the entry's answer stands on (main question, answer, sources)
    similarity: float  # rapidfuzz ratio of sorted stems, best phrasing
    unknown: float  # share of the question's weight the knowledge base has never seen
    log_information: float  # log(1 + the matched weight): how much the question names


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry or article sentence considered for a question, with its evidence."""

    index: int
    information: float  # the weight of the question's words that this candidate contains
    features: Features
    confidence: float  # calibrated, 0-1
    exact: bool = False  # the question says what one of the entry's phrasings says


def _phrasing_evidence(
    index: Index, query: Query, rows: np.ndarray, recall_sum: np.ndarray, precision_sum: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recall, precision and F1 of the given phrasing rows."""
    recall = recall_sum[rows] / query.known
    mass = index.phrasing_mass[rows]
    precision = np.divide(precision_sum[rows], mass, out=np.zeros(len(rows)), where=mass > 0)
    total = recall + precision
    both = np.divide(2 * recall * precision, total, out=np.zeros(len(rows)), where=total > 0)
    return recall, precision, both


def query_terms(index: Index, query: Query) -> tuple[list[int], list[float], list[float]]:
    """The question's known terms, with weight x credit (recall and coverage numerators) and
    IDF x credit (precision numerators)."""
    terms: list[int] = []
    matched: list[float] = []
    specific: list[float] = []
    for stem, weight in query.weights.items():
        term = index.term_id.get(stem)
        if term is not None and query.credit[stem] > 0:
            terms.append(term)
            matched.append(weight * query.credit[stem])
            specific.append(float(index.idf[term]) * query.credit[stem])
    return terms, matched, specific


def rank_entries(
    index: Index,
    query: Query,
    terms: list[int],
    matched: list[float],
    specific: list[float],
    calibration: Calibration,
    min_information: float,
) -> list[Candidate]:
    """Entries considered for a question, best first: word for word first, then the same
    content words as a phrasing, then by confidence."""
    n_entries = len(index.kb.entries)
    if not n_entries:
        return []
    recall_sum, precision_sum = index.phrasings.sums(terms, matched, specific)
    (information,) = index.docs.sums(terms, matched)
    # Only phrasings sharing a word with the question can score: work on those alone.
    hit = np.flatnonzero(recall_sum)
    best_both = np.zeros(n_entries)
    np.maximum.at(
        best_both,
        index.owner[hit],
        _phrasing_evidence(index, query, hit, recall_sum, precision_sum)[2],
    )
    document = information / query.known
    prescore = _PRESCORE_PHRASING * best_both + (1 - _PRESCORE_PHRASING) * document
    found: set[int] = set()
    k = min(CANDIDATES, n_entries)
    top = np.argpartition(-prescore, k - 1)[:k]
    found.update(int(i) for i in top if prescore[i] > 0)
    if index.all_fuzzy is not None and query.fuzzy:
        for _, _, row in process.extract(
            query.fuzzy,
            index.all_fuzzy,
            scorer=fuzz.ratio,
            limit=FUZZY_CANDIDATES,
            score_cutoff=_FUZZY_SCAN_CUTOFF,
        ):
            found.add(int(index.owner[row]))
    exact = index.exact_among(query, found)
    if exact is not None:
        found.add(exact)
    if not found:
        return []
    ordered = sorted(found)
    offsets = index.offsets
    rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in ordered])
    recall, precision, both = _phrasing_evidence(index, query, rows, recall_sum, precision_sum)
    if index.all_fuzzy is not None:
        all_fuzzy = index.all_fuzzy
        fuzzy = list(chain.from_iterable(all_fuzzy[offsets[i] : offsets[i + 1]] for i in ordered))
    else:
        fuzzy = [index.fuzzy_of(int(j)) for j in rows]
    similarity = process.cdist([query.fuzzy], fuzzy, scorer=fuzz.ratio)[0] / 100
    # Each candidate's best phrasing: the highest F1 plus similarity within its rows.
    chosen = np.asarray(ordered)
    sizes = index.offset_array[chosen + 1] - index.offset_array[chosen]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    score = both + similarity
    segment = np.repeat(np.arange(len(chosen)), sizes)
    is_best = score == np.maximum.reduceat(score, starts)[segment]
    best = np.flatnonzero(is_best)
    best = best[np.concatenate(([True], segment[best][1:] != segment[best][:-1]))]
    grounds = [_grounding(index, query, i) for i in ordered]
    matrix = np.column_stack(
        (
            recall[best],
            precision[best],
            both[best],
            document[chosen],
            grounds,
            np.maximum.reduceat(similarity, starts),
            np.full(len(chosen), 1 - query.known / query.total),
            np.log1p(information[chosen]),
        )
    )
    confidence = calibration.confidences(matrix)
    # The same content words as one of an entry's phrasings (order, inflection and small
    # words aside), none unknown, and specific enough: as good as asking it word for word.
    same_words = (
        (recall[best] > _WHOLE)
        & (precision[best] > _WHOLE)
        & (query.known == query.total)
        & (information[chosen] >= min_information)
    )
    candidates: list[Candidate] = []
    for k, entry in enumerate(ordered):
        is_exact = entry == exact or bool(same_words[k])
        value = float(confidence[k])
        candidates.append(
            Candidate(
                entry,
                float(information[entry]),
                Features(*matrix[k].tolist()),
                max(value, EXACT_CONFIDENCE) if is_exact else value,
                is_exact,
            )
        )
    candidates.sort(key=lambda c: (c.index != exact, not c.exact, -c.confidence))
    return candidates


def _grounding(index: Index, query: Query, entry: int) -> float:
    """The share of the question's known weight that the entry's answer stands on."""
    grounds = index.grounds(entry)
    matched = 0.0
    for stem, weight in query.weights.items():
        term = index.term_id.get(stem)
        if term is not None and term in grounds:
            matched += weight * query.credit[stem]
    return matched / query.known


def rank_sentences(
    index: Index,
    query: Query,
    terms: list[int],
    matched: list[float],
    specific: list[float],
    calibration: Calibration,
) -> list[Candidate]:
    """Article sentences considered for a question, by confidence."""
    if not index.sentences:
        return []
    recall_sum, precision_sum = index.sentence_index.sums(terms, matched, specific)
    recall = recall_sum / query.known
    precision = np.divide(
        precision_sum,
        index.sentence_mass,
        out=np.zeros_like(precision_sum),
        where=index.sentence_mass > 0,
    )
    unknown = 1 - query.known / query.total
    candidates: list[Candidate] = []
    for position in np.argsort(-recall)[:SENTENCE_CANDIDATES]:
        i = int(position)
        if recall[i] <= 0:
            break
        r, p = float(recall[i]), float(precision[i])
        f1 = 2 * r * p / (r + p) if r + p else 0.0
        similarity = fuzz.ratio(query.fuzzy, index.sentence_fuzzy[i]) / 100
        information = float(recall_sum[i])
        # A sentence is its own whole document and its own ground: coverage = grounding = recall.
        features = Features(r, p, f1, r, r, similarity, unknown, math.log1p(information))
        candidates.append(Candidate(i, information, features, calibration.confidence(features)))
    candidates.sort(key=lambda c: -c.confidence)
    return candidates
