"""Citations you can trust: tie each answer sentence to the passage sentence that supports it.

The reader's own `[n]` markers are only a hint. Every answer sentence is scored against every
sentence of the passages the reader was given (word coverage plus embedding similarity); the best
one becomes its citation, copied from the article by offsets; a sentence that holds the answer's
words itself is preferred to a neighbour that only shares its window. Sentences that no passage
supports are dropped, as are sentences that only restate the question or give no quantity where
one was asked ("how many"); numbers the passages never mention count as unsupported.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .anchors import NUMBER_WORDS
from .anchors import numbers as numbers_in
from .answers import Citation, Passage
from .converters import ArticleMeta
from .days import days_given, undated
from .embedding import Embedder
from .question import analysed
from .text import MARKER, Span, marker_numbers, name_terms, split_sentences, strip_markers, terms

_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth"]
_ORDINAL = rf"(?:(?:{'|'.join(_ORDINALS)}|last|same)\s+)?"
# The reader sometimes names its sources ("According to Excerpt 2, ...", "The excerpt states
# that ..."): that is a citation, not content, and its number is no fact to check.
_ATTRIBUTION = re.compile(
    r"^\s*(?:(?:according to|as (?:stated|mentioned|noted|reported) in|based on|in|from)\s+"
    rf"(?:the\s+)?{_ORDINAL}excerpts?(?:\s+\d+(?:\s*(?:,|and)\s*\d+)*)?\s*,\s*"
    rf"|the\s+{_ORDINAL}excerpts?\s+(?:from\s+excerpt\s+\d+\s+)?(?:\d+\s+)?"
    r"(?:indicates?|states?|says?|mentions?|shows?|suggests?|notes?|reports?)\s+(?:that\s+)?)",
    re.IGNORECASE,
)
_EXCERPT_REF = re.compile(r"\s*\(?\b(?:(?:in|from)\s+)?excerpts?\s+(\d+)\)?", re.IGNORECASE)
# Questions that ask for a quantity, and the words that give one: "several days" answers no
# "how many", so vague quantities do not count.
_ASKS_QUANTITY = re.compile(
    r"^\W*(how (many|much|long|old|far|often)|(what|which) (percentage|percent|share|rate|"
    r"number|proportion|amount|year)|in what year)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|trillion|dozen|half|once|twice)\b",
    re.IGNORECASE,
)
# Terms that are (part of) a number: compared as numbers, not as words.
_NUMERIC = re.compile(
    r"\d+(?:bn|m|k)?|one|hundred|dozen|thousand|million|billion|trillion|bn|"
    + "|".join(NUMBER_WORDS),
    re.IGNORECASE,
)
Vector = npt.NDArray[np.float32]
CITED_PASSAGE_BONUS = 0.05
# Within this much of the best score, the sentence that itself holds most of the names and
# numbers the answer adds (then most of its other added words) is cited: a neighbour can score
# as high only because the two share a window.
EXACT_MARGIN = 0.15


@dataclass(frozen=True)
class Evidence:
    """A passage sentence that can be cited."""

    passage: int  # 1-based position in the reader's prompt
    source: str
    title: str
    span: Span
    text: str
    meta: ArticleMeta = ArticleMeta()

    def citation(self, number: int) -> Citation:
        """This sentence as the `[number]` citation of an answer."""
        m = self.meta
        return Citation(
            number, self.source, self.title, self.text, self.span.start, self.span.end, m.date,
            m.url, m.outlet, m.page_at(self.span.start),
        )  # fmt: skip


@dataclass(frozen=True)
class GroundedSentence:
    text: str  # answer sentence without markers
    evidence: Evidence | None
    support: float
    restates: bool = False  # it only restates the question (or gives no quantity asked for)


def evidence_sentences(passages: list[Passage]) -> list[Evidence]:
    """Every sentence of the passages, as something a citation can point at."""
    found = []
    for n, p in enumerate(passages, 1):
        c = p.chunk
        for s in c.sentences:
            text = c.text[s.start - c.start : s.end - c.start]
            found.append(Evidence(n, c.source, c.title, s, text, c.meta))
    return found


def answer_sentences(reply: str) -> list[tuple[str, set[int]]]:
    """The reply's sentences without markers, each with the passage numbers it cited."""
    result = []
    for span in split_sentences(reply):
        sentence = reply[span.start : span.end]
        cited = {n for m in MARKER.finditer(sentence) for n in marker_numbers(m.group(1))}
        attribution = _ATTRIBUTION.match(sentence)
        if attribution:
            cited |= {int(n) for n in re.findall(r"\d+", attribution.group(0))}
            said = attribution.group(0).lower().split()
            cited |= {i for i, w in enumerate(_ORDINALS, 1) if w in said}
            rest = sentence[attribution.end() :]
            sentence = rest[:1].upper() + rest[1:]
        cited |= {int(m.group(1)) for m in _EXCERPT_REF.finditer(sentence)}
        clean = _EXCERPT_REF.sub("", strip_markers(sentence)).strip()
        if clean and re.search(r"\w", clean):
            result.append((clean, cited))
    return result


def _windows(evidence: list[Evidence], own_terms: list[set[str]]) -> list[set[str]]:
    """Words (or numbers) of each sentence and its neighbours in the same passage: a fact often
    spans two."""
    windows = []
    for j, e in enumerate(evidence):
        near = [k for k in (j - 1, j, j + 1) if 0 <= k < len(evidence)]
        windows.append(
            set().union(*(own_terms[k] for k in near if evidence[k].passage == e.passage))
        )
    return windows


@dataclass(frozen=True)
class _Passages:
    """What the passages give: each sentence as evidence, with its words and numbers and its
    neighbours'; each passage's numbers, and the days it gives (its date, "on Tuesday")."""

    evidence: list[Evidence]
    own_terms: list[set[str]]
    window_terms: list[set[str]]
    window_numbers: list[set[str]]
    numbers: dict[int, set[str]]
    days: dict[int, set[dt.date]]

    @classmethod
    def of(cls, passages: list[Passage]) -> _Passages:
        evidence = evidence_sentences(passages)
        own_terms = [set(terms(e.text)) | set(terms(e.title)) for e in evidence]
        numbers = [numbers_in(e.text) for e in evidence]
        chunks = {n: p.chunk for n, p in enumerate(passages, 1)}
        return cls(
            evidence, own_terms, _windows(evidence, own_terms), _windows(evidence, numbers),
            {n: numbers_in(c.text) for n, c in chunks.items()},
            {n: days_given(c.text, c.meta.date) for n, c in chunks.items()},
        )  # fmt: skip

    def scores(
        self,
        sentence: str,
        novel: set[str],
        asked: frozenset[str],
        cited: set[int],
        similar: Vector,
    ) -> Vector:
        """How well each sentence supports an answer sentence that adds the words `novel` to
        the question (whose numbers are `asked`): the share of them its window gives (numbers
        compared as numbers: "81" is "eighty-one", "$1.2 million" "1,200,000"; a date its
        article gives as "on Tuesday" is given), and its embedding `similar`ity; 0 where its
        passage lacks a number the answer gives."""
        numbers = numbers_in(sentence) - asked
        # What is left to find in each passage once the dates it gives are taken out.
        left = {n: numbers_in(undated(sentence, days)) - asked for n, days in self.days.items()}
        words = {w for w in novel if not _NUMERIC.fullmatch(w)}
        if not words and not numbers:
            words = novel  # only numbers the question gives too: compared as words
        scores = np.empty(len(self.evidence))
        for j, e in enumerate(self.evidence):
            given = self.window_numbers[j] | (numbers - left[e.passage])
            found = len(words & self.window_terms[j]) + len(numbers & given)
            score = 0.6 * found / (len(words) + len(numbers)) + 0.4 * float(similar[j])
            if e.passage in cited:
                score += CITED_PASSAGE_BONUS
            if left[e.passage] - self.numbers[e.passage]:
                score = 0.0  # a number the passage never gives is not supported by it
            scores[j] = score
        return scores


def ground(
    question: str, reply: str, passages: list[Passage], embedder: Embedder
) -> list[GroundedSentence]:
    """Score each answer sentence against all passage sentences and keep the best match."""
    sentences = answer_sentences(reply)
    read = _Passages.of(passages)
    evidence = read.evidence
    if not sentences or not evidence:
        return [GroundedSentence(s, None, 0.0) for s, _ in sentences]
    vectors = embedder.encode(
        [f"{question} {s}" for s, _ in sentences] + [e.text for e in evidence]
    )
    answer_vecs, evidence_vecs = vectors[: len(sentences)], vectors[len(sentences) :]
    similarity = answer_vecs @ evidence_vecs.T
    asked = set(analysed(question).terms)
    grounded = []
    for i, (sentence, cited) in enumerate(sentences):
        words = set(terms(sentence)) or set(terms(sentence, keep_stopwords=True))
        novel = words - asked  # what the answer adds to the question must be in the passage
        if not novel or (_ASKS_QUANTITY.search(question) and not _QUANTITY.search(sentence)):
            # It only restates the question, or gives no quantity where one was asked.
            grounded.append(GroundedSentence(sentence, None, 0.0, restates=True))
            continue
        # A number the question gave ("the 2017 quake") is no new fact to find in a passage.
        scores = read.scores(sentence, novel, analysed(question).numbers, cited, similarity[i])
        top = float(scores.max())
        names = name_terms(sentence) & novel
        best = max(
            (j for j in range(len(evidence)) if scores[j] > 0 and scores[j] >= top - EXACT_MARGIN),
            key=lambda j: (
                len(names & read.own_terms[j]),
                len(novel & read.own_terms[j]),
                scores[j],
            ),
            default=int(np.argmax(scores)),
        )
        grounded.append(GroundedSentence(sentence, evidence[best], float(scores[best])))
    return grounded


def cite(grounded: list[GroundedSentence], min_support: float) -> tuple[str, list[Citation]]:
    """Answer text with `[n]` markers and the matching citations, supported sentences only."""
    numbers: dict[tuple[str, int], int] = {}
    citations: list[Citation] = []
    parts = []
    for g in grounded:
        if g.evidence is None or g.support < min_support:
            continue
        e = g.evidence
        key = (e.source, e.span.start)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            citations.append(e.citation(numbers[key]))
        body, end = re.match(r"(.*?)([.!?…]*)$", g.text, re.DOTALL).groups()
        parts.append(f"{body} [{numbers[key]}]{end or '.'}")
    return " ".join(parts), citations
