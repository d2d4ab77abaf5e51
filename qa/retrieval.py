"""Hybrid retrieval: dense vectors fused with BM25 by reciprocal rank fusion.

Embeddings miss rare names and numbers ("Lavrov", "62%") that keyword search finds, and keyword
search misses paraphrases that embeddings find; fusing the two rank lists gets both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .chunking import Chunk
from .embedding import Embedder
from .index import ArticleIndex
from .text import terms


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the evidence for its relevance."""

    chunk_id: int
    chunk: Chunk
    score: float  # fused RRF score: only meaningful as an order
    dense_score: float  # cosine similarity to the question, -1 when not in the dense list
    keyword_hits: int  # distinct question terms that occur in the chunk


class BM25:
    """Okapi BM25 over a sparse term matrix: a query is a column slice and a row sum."""

    def __init__(self, docs: dict[int, str], k1: float = 1.2, b: float = 0.75):
        self.ids = np.asarray(list(docs), dtype=np.int64)
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        lengths = np.zeros(len(self.ids), dtype=np.float32)
        for row, text in enumerate(docs.values()):
            counts = Counter(terms(text))
            lengths[row] = sum(counts.values())
            for term, n in counts.items():
                rows.append(row)
                cols.append(self.vocab.setdefault(term, len(self.vocab)))
                vals.append(n)
        tf = sparse.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)),
            shape=(len(self.ids), max(len(self.vocab), 1)),
        )
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        n_docs = max(len(self.ids), 1)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()) if len(lengths) else 1, 1))
        weights = tf.tocoo()
        saturated = weights.data * (k1 + 1) / (weights.data + norm[weights.row])
        self.matrix = sparse.csc_matrix(
            (saturated * idf[weights.col], (weights.row, weights.col)), shape=tf.shape
        )
        self.present = sparse.csc_matrix(
            (np.ones_like(weights.data), (weights.row, weights.col)), shape=tf.shape
        )

    def search(self, query: str, k: int) -> list[tuple[int, float, int]]:
        """Top `k` (chunk id, score, distinct query terms matched) with a positive score."""
        cols = sorted({self.vocab[t] for t in terms(query) if t in self.vocab})
        if not cols or not len(self.ids):
            return []
        scores = np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()
        hits = np.asarray(self.present[:, cols].sum(axis=1)).ravel()
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i]), int(hits[i])) for i in top]


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
            self._bm25 = BM25({i: f"{c.title}\n{c.text}" for i, c in self.index.chunks.items()})
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
            Passage(i, self.index.chunks[i], fused[i], dense_scores[i], hits.get(i, 0))
            for i in best
        ]
