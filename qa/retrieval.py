"""Hybrid retrieval: dense vectors fused with BM25 by reciprocal rank fusion.

Embeddings miss rare names and numbers ("Lavrov", "62%") that keyword search finds, and keyword
search misses paraphrases that embeddings find; fusing the two rank lists gets both.
"""

from __future__ import annotations

from .answers import Passage
from .embedding import Embedder
from .store import PassageStore


class Retriever:
    """Fuses the store's dense search with its keyword (BM25) search over the same chunks."""

    def __init__(self, store: PassageStore, embedder: Embedder, candidates: int, rrf_k: int):
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(self, query: str, k: int) -> list[Passage]:
        """The `k` best passages for `query`, best first."""
        if not len(self.store):
            return []
        vector = self.embedder.encode([query])[0]
        dense = self.store.search(vector, self.candidates)
        keyword = self.store.keyword_search(query, self.candidates)
        fused: dict[int, float] = {}
        for ranking in ([i for i, _ in dense], [i for i, _, _ in keyword]):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        dense_scores = dict(dense)
        hits = {i: h for i, _, h in keyword}
        # A keyword-only hit still gets its true cosine, for relevance checks.
        missing = [i for i in fused if i not in dense_scores]
        for i, v in zip(missing, self.store.vectors(missing), strict=True):
            dense_scores[i] = float(v @ vector)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        chunks = self.store.chunks(best)
        return [
            Passage(i, c, fused[i], dense_scores[i], hits.get(i, 0))
            for i, c in zip(best, chunks, strict=True)
        ]
