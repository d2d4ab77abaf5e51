"""Citations you can trust: tie each answer sentence to the passage sentence that supports it.

The reader's own `[n]` markers are only a hint. Every answer sentence is scored against every
sentence of the passages the reader was given (word coverage plus embedding similarity); the best
one becomes its citation, copied from the article by offsets; a sentence that holds the answer's
words itself is preferred to a neighbour that only shares its window. Sentences that no passage
supports are dropped, as are sentences that only restate the question or give no quantity where
one was asked ("how many"); numbers the passages never mention count as unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .anchors import numbers as numbers_in
from .answers import Citation, Passage
from .converters import ArticleMeta
from .embedding import Embedder
from .text import MARKER, Span, marker_numbers, name_terms, split_sentences, strip_markers, terms

# The reader sometimes names its sources ("According to Excerpt 2, ...", "The excerpt states
# that ..."): that is a citation, not content, and its number is no fact to check.
_ATTRIBUTION = re.compile(
    r"^\s*(?:(?:according to|as (?:stated|mentioned|noted|reported) in|based on|in|from)\s+"
    r"(?:the\s+)?excerpts?(?:\s+\d+(?:\s*(?:,|and)\s*\d+)*)?\s*,\s*"
    r"|the\s+excerpts?\s+(?:from\s+excerpt\s+\d+\s+)?(?:\d+\s+)?"
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
            rest = sentence[attribution.end() :]
            sentence = rest[:1].upper() + rest[1:]
        cited |= {int(m.group(1)) for m in _EXCERPT_REF.finditer(sentence)}
        clean = _EXCERPT_REF.sub("", strip_markers(sentence)).strip()
        if clean and re.search(r"\w", clean):
            result.append((clean, cited))
    return result


def _window_terms(evidence: list[Evidence], own_terms: list[set[str]]) -> list[set[str]]:
    """Words of each sentence and its neighbours in the same passage: a fact often spans two."""
    windows = []
    for j, e in enumerate(evidence):
        near = [k for k in (j - 1, j, j + 1) if 0 <= k < len(evidence)]
        windows.append(
            set().union(*(own_terms[k] for k in near if evidence[k].passage == e.passage))
        )
    return windows


def ground(
    question: str, reply: str, passages: list[Passage], embedder: Embedder
) -> list[GroundedSentence]:
    """Score each answer sentence against all passage sentences and keep the best match."""
    sentences = answer_sentences(reply)
    evidence = evidence_sentences(passages)
    if not sentences or not evidence:
        return [GroundedSentence(s, None, 0.0) for s, _ in sentences]
    passage_text = {n: p.chunk.text for n, p in enumerate(passages, 1)}
    own_terms = [set(terms(e.text)) | set(terms(e.title)) for e in evidence]
    window_terms = _window_terms(evidence, own_terms)
    vectors = embedder.encode(
        [f"{question} {s}" for s, _ in sentences] + [e.text for e in evidence]
    )
    answer_vecs, evidence_vecs = vectors[: len(sentences)], vectors[len(sentences) :]
    similarity = answer_vecs @ evidence_vecs.T
    asked = set(terms(question))
    grounded = []
    for i, (sentence, cited) in enumerate(sentences):
        words = set(terms(sentence)) or set(terms(sentence, keep_stopwords=True))
        novel = words - asked  # what the answer adds to the question must be in the passage
        if not novel or (_ASKS_QUANTITY.search(question) and not _QUANTITY.search(sentence)):
            # It only restates the question, or gives no quantity where one was asked.
            grounded.append(GroundedSentence(sentence, None, 0.0, restates=True))
            continue
        # A number the question gave ("the 2017 quake") is no new fact to find in a passage.
        numbers = numbers_in(sentence) - numbers_in(question)
        scores = np.empty(len(evidence))
        for j, e in enumerate(evidence):
            coverage = len(novel & window_terms[j]) / len(novel)
            score = 0.6 * coverage + 0.4 * float(similarity[i, j])
            if e.passage in cited:
                score += CITED_PASSAGE_BONUS
            if numbers - numbers_in(passage_text[e.passage]):
                score = 0.0  # a number the passage never gives is not supported by it
            scores[j] = score
        top = float(scores.max())
        names = name_terms(sentence) & novel
        best = max(
            (j for j in range(len(evidence)) if scores[j] > 0 and scores[j] >= top - EXACT_MARGIN),
            key=lambda j: (
                len(names & own_terms[j]),
                len(novel & own_terms[j]),
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
