"""Hybrid retrieval: dense vectors fused with BM25 by reciprocal rank fusion.

Embeddings miss rare names and numbers ("Lavrov", "62%") that keyword search finds, and keyword
search misses paraphrases that embeddings find; fusing the two rank lists gets both.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chunking import Chunk
from .embedding import Embedder
from .index import ArticleIndex
from .keywords import BM25


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the evidence for its relevance."""

    chunk_id: int
    chunk: Chunk
    score: float  # fused RRF score: only meaningful as an order
    dense_score: float  # cosine similarity to the question, -1 when not in the dense list
    keyword_hits: int  # distinct question terms that occur in the chunk


class Retriever:
    """Fuses the index's dense search with BM25 over the same chunks."""

    def __init__(self, index: ArticleIndex, embedder: Embedder, candidates: int, rrf_k: int):
        self.index = index
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self._bm25: BM25 | None = None
        self._bm25_generation = -1

    def _keyword_index(self) -> BM25:
        if self._bm25 is None or self._bm25_generation != self.index.generation:
            self._bm25 = BM25(*self.index.term_counts())
            self._bm25_generation = self.index.generation
        return self._bm25

    def retrieve(self, query: str, k: int) -> list[Passage]:
        """The `k` best passages for `query`, best first."""
        if not len(self.index):
            return []
        vector = self.embedder.encode([query])[0]
        dense = self.index.search(vector, self.candidates)
        keyword = self._keyword_index().search(query, self.candidates)
        fused: dict[int, float] = {}
        for ranking in ([i for i, _ in dense], [i for i, _, _ in keyword]):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        dense_scores = dict(dense)
        hits = {i: h for i, _, h in keyword}
        for i in fused:  # a keyword-only hit still gets its true cosine, for relevance checks
            if i not in dense_scores:
                dense_scores[i] = float(self.index.vector(i) @ vector)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        return [
            Passage(i, self.index.chunk(i), fused[i], dense_scores[i], hits.get(i, 0)) for i in best
        ]
