"""Keyword search: BM25 over a sparse matrix of term counts.

Text is tokenized once, when its chunks enter the index, and the counts are stored beside the
vectors; reopening a large index never re-reads its text. BM25 weights come from the counts in a
few vectorized passes, and a query is a column slice and a row sum, never a loop over documents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .text import terms


@dataclass(frozen=True)
class TermCounts:
    """How often each vocabulary term occurs in each chunk (rows: chunks, columns: `vocab`)."""

    vocab: list[str]
    counts: sparse.csr_matrix


def count_terms(texts: list[str]) -> TermCounts:
    vocab: dict[str, int] = {}
    indptr, cols, vals = [0], [], []
    for text in texts:
        for term, n in Counter(terms(text)).items():
            cols.append(vocab.setdefault(term, len(vocab)))
            vals.append(n)
        indptr.append(len(cols))
    counts = sparse.csr_matrix(
        (np.asarray(vals, dtype=np.float32), np.asarray(cols, dtype=np.int32), indptr),
        shape=(len(texts), len(vocab)),
    )
    return TermCounts(list(vocab), counts)


def stack(parts: list[TermCounts]) -> TermCounts:
    """The rows of all `parts` in order, over the union of their vocabularies."""
    vocab: dict[str, int] = {}
    blocks = []
    for part in parts:
        remap = np.asarray([vocab.setdefault(t, len(vocab)) for t in part.vocab], dtype=np.int32)
        m = part.counts
        blocks.append((m.data, remap[m.indices] if len(remap) else m.indices, np.diff(m.indptr)))
    if not blocks:
        return TermCounts([], sparse.csr_matrix((0, 0), dtype=np.float32))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate([b[2] for b in blocks]))])
    counts = sparse.csr_matrix(
        (np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), indptr),
        shape=(len(indptr) - 1, len(vocab)),
    )
    return TermCounts(list(vocab), counts)


class BM25:
    """Okapi BM25 scores of chunks `ids` (one per row of `counts`)."""

    def __init__(self, ids: np.ndarray, counts: TermCounts, k1: float = 1.2, b: float = 0.75):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.vocab = {t: i for i, t in enumerate(counts.vocab)}
        tf = counts.counts.tocoo()
        n_docs = max(len(self.ids), 1)
        lengths = np.asarray(counts.counts.sum(axis=1), dtype=np.float32).ravel()
        df = np.bincount(tf.col, minlength=len(self.vocab)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        mean_length = max(float(lengths.mean()) if len(lengths) else 1.0, 1.0)
        norm = k1 * (1 - b + b * lengths / mean_length)
        weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
        self.matrix = sparse.csc_matrix(
            (weights.astype(np.float32), (tf.row, tf.col)), shape=counts.counts.shape
        )

    def search(self, query: str, k: int) -> list[tuple[int, float, int]]:
        """Top `k` (chunk id, score, distinct query terms matched) with a positive score."""
        cols = sorted({self.vocab[t] for t in terms(query) if t in self.vocab})
        if not cols or not len(self.ids):
            return []
        sub = self.matrix[:, cols]
        scores = np.asarray(sub.sum(axis=1)).ravel()
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = np.diff(sub[top].tocsr().indptr)  # nonzero columns per top row
        return [
            (int(self.ids[i]), float(scores[i]), int(h)) for i, h in zip(top, hits, strict=True)
        ]
