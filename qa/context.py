"""What the reader reads: the sentences of the retrieved passages that bear on the question, each
with its neighbours, instead of whole passages.

Reading the prompt is what an answer costs on a CPU (arithmetic-bound, tens of tokens a second),
and three whole 600-character passages are mostly sentences that say nothing about the question.
Each sentence of the best passages is scored against the question (the share of the question's
words it holds, its embedding similarity); the best ones are taken with the sentences around
them, from more passages than the reader used to see, until `budget` characters are used. Runs of
adjacent sentences become the excerpts: each is a passage whose text is the article's own, so
citations still point at article offsets.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .answers import Passage
from .chunking import Chunk
from .embedding import Embedder
from .question import analysed
from .store import PassageStore
from .text import Span, terms

COVERAGE_WEIGHT = 0.5
# What the newest article's sentences gain over the oldest's for a question about the latest
# state: news updates its figures, and the newest report holds the current one.
RECENCY = 0.2
LEADS = 3  # sentences taken first, each then with its neighbours
RANK_PRIOR = 0.0
# A neighbour is taken only if it is prose: a dateline, a byline or a subheading is not.
_PROSE = re.compile(r"[.!?\"'”’)]$")


@dataclass
class _Article:
    """What is known of one article: the chunks fetched (the retrieved ones and their
    neighbours) and their sentences in article order."""

    passage: Passage  # its best retrieved passage
    rank: int
    chunks: dict[int, Chunk] = field(default_factory=dict)
    chosen: set[int] = field(default_factory=set)  # starts of the sentences taken

    def sentences(self) -> list[Span]:
        spans = {s.start: s for c in self.chunks.values() for s in c.sentences}
        return [spans[k] for k in sorted(spans)]

    def slice(self, start: int, end: int) -> str | None:
        """The article's text from `start` to `end`, if one chunk holds it all."""
        for c in self.chunks.values():
            if c.start <= start and end <= c.end:
                return c.text[start - c.start : end - c.start]
        return None


def _answers(article: _Article, span: Span) -> bool:
    """A sentence that can state something: prose of four words or more, not the headline."""
    text = (article.slice(span.start, span.end) or "").strip()
    return (
        text != article.passage.chunk.title and len(text.split()) >= 4 and bool(_PROSE.search(text))
    )


def _recency(articles: dict[str, _Article], about: set[str]) -> dict[str, float]:
    """Each dated article's place among the dates of those `about` the event asked, from 0
    (the oldest) to 1 (the newest); empty when fewer than two dates are given."""
    dates = {src: a.passage.chunk.meta.date for src, a in articles.items() if src in about}
    days = sorted({d for d in dates.values() if d})
    if len(days) < 2:
        return {}
    return {src: days.index(d) / (len(days) - 1) for src, d in dates.items() if d}


def _fetch_neighbours(store: PassageStore, article: _Article, chunk_id: int) -> None:
    record = store.articles.get(article.passage.chunk.source)
    wanted = [
        i
        for i in (chunk_id - 1, chunk_id + 1)
        if i not in article.chunks and record is not None and i in record.chunk_ids
    ]
    for i, c in zip(wanted, store.chunks(wanted), strict=True):
        article.chunks[i] = c


def sentence_scores(question: str, texts: list[str], embedder: Embedder) -> np.ndarray:
    """How much each sentence bears on the question: the share of the question's words it
    holds, each weighted by how rare it is among these sentences (a name the question and one
    sentence share counts more than a word every sentence has), and its embedding similarity."""
    asked = set(analysed(question).terms)
    held = [asked & set(terms(t)) for t in texts]
    weight = {w: math.log(1 + len(texts) / (1 + sum(w in h for h in held))) for w in asked}
    total = sum(weight.values()) or 1.0
    coverage = np.array([sum(weight[w] for w in h) / total for h in held])
    vectors = np.vstack([embedder.encode([question]), embedder.encode_sentences(texts)])
    return COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * (vectors[1:] @ vectors[0])


def select(
    question: str,
    passages: list[Passage],
    store: PassageStore,
    embedder: Embedder,
    budget: int,
    newest: set[str] | None = None,
) -> list[Passage]:
    """The excerpts for the reader: the best sentences first, then their neighbours (the
    better-scoring side first) while the budget lasts; runs of adjacent sentences, best article
    first. With `newest` (a question about the latest state: the articles about the event it
    asks), those articles' newer sentences score higher."""
    articles: dict[str, _Article] = {}
    found: dict[tuple[str, int], tuple[int, Span]] = {}  # (source, start) -> (chunk id, span)
    for rank, p in enumerate(passages):
        c = p.chunk
        article = articles.setdefault(c.source, _Article(p, rank))
        article.chunks[p.chunk_id] = c
        for s in c.sentences:
            found.setdefault((c.source, s.start), (p.chunk_id, s))
    ranked, score_at = _ranked(question, articles, found, embedder, newest)
    if not ranked:
        return []
    used = 0

    def take(source: str, span: Span) -> bool:
        nonlocal used
        article = articles[source]
        if span.start in article.chosen:
            return True
        cost = span.end - span.start + 1
        if used and used + cost > budget:
            return False
        article.chosen.add(span.start)
        used += cost
        return True

    leads = ranked[:LEADS]
    for source, span in leads:
        take(source, span)
    for source, span in leads:  # then the neighbours of each, the better one first
        _fetch_neighbours(store, articles[source], found[(source, span.start)][0])
        for side in _neighbours(articles[source], span, score_at):
            take(source, side)
    for source, span in ranked:  # what budget is left: the next best sentences
        if used >= budget:
            break
        take(source, span)
    return [e for a in sorted(articles.values(), key=lambda a: a.rank) for e in _runs(a)]


def _ranked(
    question: str,
    articles: dict[str, _Article],
    found: dict[tuple[str, int], tuple[int, Span]],
    embedder: Embedder,
    newest: set[str] | None,
) -> tuple[list[tuple[str, Span]], dict[tuple[str, int], float]]:
    """The sentences of the retrieved passages, best first, and each one's score; prose only:
    the headline is the excerpt's title, and a dateline, byline or subheading answers nothing
    by itself."""
    pool = [
        (source, span)
        for (source, _), (_, span) in found.items()
        if _answers(articles[source], span)
    ]
    if not pool:
        return [], {}
    texts = [articles[src].slice(s.start, s.end) or "" for src, s in pool]
    scores = sentence_scores(question, texts, embedder)
    scores += RANK_PRIOR * np.array([1 / (1 + articles[src].rank) for src, _ in pool])
    if newest is not None:
        age = _recency(articles, newest)
        scores += RECENCY * np.array([age.get(src, 0.0) for src, _ in pool])
    score_at = {(src, s.start): float(v) for (src, s), v in zip(pool, scores, strict=True)}
    return [pool[int(i)] for i in np.argsort(-scores, kind="stable")], score_at


def _neighbours(
    article: _Article, span: Span, score_at: dict[tuple[str, int], float]
) -> list[Span]:
    """The prose sentences either side of `span`, the better-scoring one first."""
    order = article.sentences()
    at = next(j for j, s in enumerate(order) if s.start == span.start)
    sides = [order[j] for j in (at - 1, at + 1) if 0 <= j < len(order)]
    source = article.passage.chunk.source
    sides.sort(key=lambda s: -score_at.get((source, s.start), -1.0))
    return [s for s in sides if _answers(article, s)]


def _runs(article: _Article) -> list[Passage]:
    """The article's chosen sentences, adjacent ones joined, as passages in article order."""
    order = article.sentences()
    excerpts, run = [], []
    for j, s in enumerate(order):
        if s.start not in article.chosen:
            continue
        joined = run and order[j - 1] is run[-1] and article.slice(run[-1].start, s.end)
        if run and not joined:
            excerpts.append(_excerpt(article, run))
            run = []
        run.append(s)
    if run:
        excerpts.append(_excerpt(article, run))
    return excerpts


def _excerpt(article: _Article, run: list[Span]) -> Passage:
    """A run of adjacent sentences as a passage of the article's own text."""
    pieces = [article.slice(run[0].start, run[0].end) or ""]
    for a, b in zip(run, run[1:], strict=False):
        pieces.append(article.slice(a.end, b.end) or "")
    p, c = article.passage, article.passage.chunk
    chunk = Chunk(c.source, c.title, "".join(pieces), run[0].start, run[-1].end, tuple(run), c.meta)
    return Passage(p.chunk_id, chunk, p.score, p.dense_score, p.keyword_hits)
