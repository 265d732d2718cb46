"""Features: the evidence that a candidate entry or article sentence answers a question."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .analysis import Query
    from .calibration import Calibration
    from .index import FuzzyScan, Index, Postings

__all__ = [
    "CANDIDATES",
    "EXACT_CONFIDENCE",
    "FUZZY_CANDIDATES",
    "SENTENCE_CANDIDATES",
    "Candidate",
    "EntryTier",
    "Features",
    "TierTerms",
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


class Candidate(NamedTuple):
    """An entry or article sentence considered for a question, with its evidence (a named
    tuple: a question makes a dozen or more, and a frozen dataclass costs three times as much
    to make)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, which nothing here calls
    information: float  # the weight of the question's words that this candidate contains
    features: Features
    confidence: float  # calibrated, 0-1
    exact: bool = False  # the question says what one of the entry's phrasings says


class EntryTier(Protocol):
    """Entries indexed together: the shipped FAQ's index, or one server's overlay of its own
    entries. A question's candidates come from every tier and are scored alike."""

    phrasings: Postings  # phrasing rows x the tier's terms
    docs: Postings  # entries x terms of all their phrasings and bodies
    owner: np.ndarray  # phrasing row -> entry
    offsets: list[int]  # entry i's phrasings are rows offsets[i]:offsets[i + 1]
    offset_array: np.ndarray

    @property
    def all_fuzzy(self) -> list[str] | None:
        """Every phrasing's fuzzy text, when the tier is small enough to scan them all."""
        ...

    @property
    def fuzzy_scan(self) -> FuzzyScan | None:
        """A question's rapidfuzz ratio to every phrasing (when all_fuzzy is not None)."""
        ...

    @property
    def n_entries(self) -> int:
        """How many entries the tier holds."""
        ...

    def mass_of(self, rows: np.ndarray) -> np.ndarray:
        """The IDF mass of those phrasing rows."""
        ...

    def fuzzy_of(self, row: int) -> str:
        """A phrasing's fuzzy text."""
        ...

    def exact_among(self, query: Query, candidates: set[int]) -> int | None:
        """The entry one of whose phrasings the question repeats word for word."""
        ...

    def grounding(self, entries: Sequence[int], query: Query) -> list[float]:
        """For each entry, the share of the question's known weight that its answer stands
        on: its main question, answer, quotes or the paragraphs it cites."""
        ...


class TierTerms(NamedTuple):
    """A question's terms in one tier's term ids, with their recall and precision weights."""

    terms: list[int]
    matched: list[float]  # weight x credit: recall and coverage numerators
    specific: list[float]  # IDF x credit: precision numerators


def _phrasing_evidence(
    tier: EntryTier,
    query: Query,
    rows: np.ndarray,
    recall_sum: np.ndarray,
    precision_sum: np.ndarray,
    *,
    every: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recall, precision and F1 of the given phrasing rows (`every`: rows are all of them,
    in order, so the sums are read as they are)."""
    recall = (recall_sum if every else recall_sum[rows]) / query.known
    mass = tier.mass_of(rows)
    precision = _share(precision_sum if every else precision_sum[rows], mass)
    total = recall + precision
    both = _share(2 * recall * precision, total)
    return recall, precision, both


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, and 0 where whole is 0 (parts and wholes are sums of positive weights).

    Dividing by infinity there gives the same floats as a masked divide (`where=`), which
    costs more on a few thousand rows.
    """
    result: np.ndarray = part / np.where(whole > 0, whole, np.inf)
    return result


def query_terms(index: Index, query: Query) -> TierTerms:
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
    return TierTerms(terms, matched, specific)


@dataclass(slots=True)
class _TierSums:
    """One tier's sums for a question."""

    tier: EntryTier
    first: int  # the tier's entry 0 is entry `first` of the knowledge base
    recall_sum: np.ndarray
    precision_sum: np.ndarray
    # For a tier small enough to scan every phrasing (FUZZY_FULL_SCAN_LIMIT): the rapidfuzz
    # ratio (0-100) of the question to every phrasing, which picks candidates and gives
    # their similarity in one pass, and every phrasing's recall, precision and F1.
    scan: np.ndarray | None
    evidence: tuple[np.ndarray, np.ndarray, np.ndarray] | None


def rank_entries(
    tiers: Sequence[tuple[EntryTier, TierTerms]],
    query: Query,
    calibration: Calibration,
    min_information: float,
) -> list[Candidate]:
    """Entries considered for a question, best first: word for word first, then the same
    content words as a phrasing, then by confidence.

    `tiers` hold the knowledge base's entries in order (a tier's entries follow the previous
    tier's), each with the question's terms in its own term ids; candidates are picked and
    scored across all of them as if they were one index.
    """
    sums: list[_TierSums] = []
    prescores: list[np.ndarray] = []
    documents: list[np.ndarray] = []
    informations: list[np.ndarray] = []
    first = 0
    for tier, (terms, matched, specific) in tiers:
        n_entries = tier.n_entries
        recall_sum, precision_sum = tier.phrasings.sums(terms, matched, specific)
        (information,) = tier.docs.sums(terms, matched)
        # Each entry's best F1 (an entry's phrasing rows are contiguous, and a phrasing
        # sharing no word with the question has an F1 of 0).
        evidence = None
        if tier.all_fuzzy is not None:
            # A small tier: every phrasing at once, read again for the candidates below.
            rows = np.arange(tier.offsets[-1])
            evidence = _phrasing_evidence(tier, query, rows, recall_sum, precision_sum, every=True)
            best_both = np.maximum.reduceat(evidence[2], tier.offset_array[:-1])
        else:
            # Only phrasings sharing a word with the question can score: those alone.
            hit = np.flatnonzero(recall_sum)
            best_both = np.zeros(n_entries)
            if hit.size:
                both = _phrasing_evidence(tier, query, hit, recall_sum, precision_sum)[2]
                owners = tier.owner[hit]
                runs = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
                best_both[owners[runs]] = np.maximum.reduceat(both, runs)
        document = information / query.known
        prescores.append(_PRESCORE_PHRASING * best_both + (1 - _PRESCORE_PHRASING) * document)
        documents.append(document)
        informations.append(information)
        scan = None
        if tier.fuzzy_scan is not None and query.fuzzy:
            scan = tier.fuzzy_scan(query.fuzzy)
        sums.append(_TierSums(tier, first, recall_sum, precision_sum, scan, evidence))
        first += n_entries
    n_entries = first
    if not n_entries:
        return []
    prescore = _joined(prescores)
    document = _joined(documents)
    information = _joined(informations)
    found: set[int] = set()
    k = min(CANDIDATES, n_entries)
    top = np.argpartition(-prescore, k - 1)[:k]
    found.update(top[prescore[top] > 0].tolist())
    found.update(_fuzzy_candidates(sums))
    exact = None
    for part in sums:
        local = {i - part.first for i in found if 0 <= i - part.first < part.tier.n_entries}
        match = part.tier.exact_among(query, local)
        if match is not None:
            exact = part.first + match
            found.add(exact)
            break
    if not found:
        return []
    ordered = sorted(found)
    # Each candidate's best phrasing (the highest F1 plus similarity among its phrasings, the
    # first of equals), that phrasing's recall, precision and F1, and its best similarity.
    recalls: list[np.ndarray] = []
    precisions: list[np.ndarray] = []
    boths: list[np.ndarray] = []
    similarities: list[np.ndarray] = []
    grounds: list[float] = []
    for part in sums:
        tier = part.tier
        mine = [i - part.first for i in ordered if 0 <= i - part.first < tier.n_entries]
        if not mine:
            continue
        if part.evidence is not None and part.scan is not None:
            best = _best_of_every_entry(part, part.evidence[2], part.scan)
            chosen_here = np.asarray(mine)
            rows = best.rows[chosen_here]
            recalls.append(part.evidence[0][rows])
            precisions.append(part.evidence[1][rows])
            boths.append(part.evidence[2][rows])
            similarities.append(best.similarity[chosen_here])
        else:
            found_best = _best_of_candidates(part, query, mine)
            recalls.append(found_best[0])
            precisions.append(found_best[1])
            boths.append(found_best[2])
            similarities.append(found_best[3])
        grounds.extend(tier.grounding(mine, query))
    chosen = np.asarray(ordered)
    information_chosen = information[chosen]
    matrix = np.empty((len(chosen), len(Features._fields)))
    matrix[:, 0] = _joined(recalls)
    matrix[:, 1] = _joined(precisions)
    matrix[:, 2] = _joined(boths)
    matrix[:, 3] = document[chosen]
    matrix[:, 4] = grounds
    matrix[:, 5] = _joined(similarities)
    matrix[:, 6] = 1 - query.known / query.total
    matrix[:, 7] = np.log1p(information_chosen)
    confidence = calibration.confidences(matrix)
    # The same content words as one of an entry's phrasings (order, inflection and small
    # words aside), none unknown, and specific enough: as good as asking it word for word.
    same_words = (
        (matrix[:, 0] > _WHOLE)
        & (matrix[:, 1] > _WHOLE)
        & (query.known == query.total)
        & (information_chosen >= min_information)
    )
    candidates: list[Candidate] = []
    columns = zip(
        ordered,
        information_chosen.tolist(),
        matrix.tolist(),
        confidence.tolist(),
        same_words.tolist(),
        strict=True,
    )
    for entry, info, row, value, same in columns:
        is_exact = entry == exact or same
        confident = max(value, EXACT_CONFIDENCE) if is_exact else value
        candidates.append(Candidate(entry, info, Features._make(row), confident, is_exact))
    candidates.sort(key=lambda c: (c.index != exact, not c.exact, -c.confidence))
    return candidates


class _EveryBest(NamedTuple):
    rows: np.ndarray  # entry -> its best phrasing row
    similarity: np.ndarray  # entry -> its phrasings' best similarity (0-1, float32)


def _best_of_every_entry(part: _TierSums, both: np.ndarray, scan: np.ndarray) -> _EveryBest:
    """Every entry's best phrasing, for a tier whose every phrasing was scored: a few
    operations over all the rows cost less than picking out the candidates' rows first.
    (Every entry has at least one phrasing, its question.)"""
    tier = part.tier
    similarity = scan.astype(np.float32) / 100  # the ratio as cdist gives it (float32)
    score = both + similarity
    starts = tier.offset_array[:-1]
    top = np.maximum.reduceat(score, starts)
    best = np.flatnonzero(score == top[tier.owner])
    owners = tier.owner[best]
    best = best[np.concatenate(([True], owners[1:] != owners[:-1]))]
    return _EveryBest(best, np.maximum.reduceat(similarity, starts))


def _best_of_candidates(
    part: _TierSums, query: Query, mine: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Recall, precision, F1 of the best phrasing, and the best similarity, of each of the
    tier's candidate entries `mine`, reading only their phrasings (a large tier)."""
    tier = part.tier
    chosen = np.asarray(mine)
    starts = tier.offset_array[chosen]
    size = tier.offset_array[chosen + 1] - starts
    rows = np.repeat(starts - (np.cumsum(size) - size), size) + np.arange(int(size.sum()))
    if part.evidence is not None:
        recall, precision, both = (
            part.evidence[0][rows],
            part.evidence[1][rows],
            part.evidence[2][rows],
        )
    else:
        recall, precision, both = _phrasing_evidence(
            tier, query, rows, part.recall_sum, part.precision_sum
        )
    if part.scan is not None:
        # The ratio as cdist gives it (float32), from the scan's float64.
        similarity = part.scan[rows].astype(np.float32) / 100
    else:
        texts = [tier.fuzzy_of(int(j)) for j in rows]
        similarity = process.cdist([query.fuzzy], texts, scorer=fuzz.ratio)[0] / 100
    segment_starts = np.concatenate(([0], np.cumsum(size)[:-1]))
    score = both + similarity
    segment = np.repeat(np.arange(len(chosen)), size)
    is_best = score == np.maximum.reduceat(score, segment_starts)[segment]
    best = np.flatnonzero(is_best)
    best = best[np.concatenate(([True], segment[best][1:] != segment[best][:-1]))]
    return (
        recall[best],
        precision[best],
        both[best],
        np.maximum.reduceat(similarity, segment_starts),
    )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """One array from the tiers' arrays (the array itself when there is one tier)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _fuzzy_candidates(sums: list[_TierSums]) -> list[int]:
    """The entries of the phrasings most like the question (rapidfuzz), over every tier:
    the best FUZZY_CANDIDATES at or above the cutoff, ties in phrasing order (as
    rapidfuzz's process.extract keeps them)."""
    found: list[tuple[float, int, int]] = []  # (score, tier, entry)
    for position, part in enumerate(sums):
        scan = part.scan
        if scan is None:
            continue
        kept = np.flatnonzero(scan >= _FUZZY_SCAN_CUTOFF)
        best = kept[np.argsort(-scan[kept], kind="stable")[:FUZZY_CANDIDATES]]
        owners = part.tier.owner[best]
        found.extend(
            (score, position, part.first + owner)
            for score, owner in zip(scan[best].tolist(), owners.tolist(), strict=True)
        )
    if len(sums) > 1:
        # The best over all tiers, as one scan over them all would keep them.
        found.sort(key=lambda hit: (-hit[0], hit[1]))
        found = found[:FUZZY_CANDIDATES]
    return [entry for _, _, entry in found]


def rank_sentences(
    index: Index,
    query: Query,
    terms: list[int],
    matched: list[float],
    specific: list[float],
    calibration: Calibration,
    sentence_mass: np.ndarray | None = None,
) -> list[Candidate]:
    """Article sentences considered for a question, by confidence (`sentence_mass`: the
    sentences' IDF mass under a server's own rarities, when they differ from the index's)."""
    if not index.sentences:
        return []
    mass = index.sentence_mass if sentence_mass is None else sentence_mass
    recall_sum, precision_sum = index.sentence_index.sums(terms, matched, specific)
    recall = recall_sum / query.known
    precision = _share(precision_sum, mass)
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
