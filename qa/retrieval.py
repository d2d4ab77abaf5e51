"""Hybrid retrieval: dense vectors fused with BM25 by reciprocal rank fusion, then the articles
that hold the question's anchors first.

Embeddings miss rare names and numbers ("Lavrov", "62%") that keyword search finds, and keyword
search misses paraphrases that embeddings find; fusing the two rank lists gets both. A question
that names a place, a year or a date some articles hold is about those articles: a passage of an
article that lacks it (another town's figure, another year's quake) ranks below, so the reader is
not handed the near miss in the first place.
"""

from __future__ import annotations

from .anchors import Anchor, Vocabulary, anchors
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
        self._vocabularies: dict[tuple[str, str], Vocabulary] = {}

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
        ranked = sorted(fused, key=lambda i: (-fused[i], i))
        chunks = dict(zip(ranked, self.store.chunks(ranked), strict=True))
        lacking = self._anchors_lacking(anchors(query), {c.source for c in chunks.values()})
        best = sorted(ranked, key=lambda i: lacking[chunks[i].source])[:k]  # stable: by fusion
        return [Passage(i, chunks[i], fused[i], dense_scores[i], hits.get(i, 0)) for i in best]

    def _anchors_lacking(self, found: list[Anchor], sources: set[str]) -> dict[str, int]:
        """For each article, how many of the question's anchors it lacks, counting only the
        anchors that some of these articles hold."""
        if not found:
            return dict.fromkeys(sources, 0)
        vocabulary = {s: self.vocabulary(s) for s in sources}
        held = [a for a in found if any(v.holds(a) for v in vocabulary.values())]
        return {s: sum(not v.holds(a) for a in held) for s, v in vocabulary.items()}

    def about(self, query: str, sources: set[str]) -> set[str]:
        """The articles among `sources` about the event `query` names: they hold each of its
        names and years that some of them hold, a year in the text or in the article's date
        (a report of the 2023 quake need not write "2023")."""
        found = [a for a in anchors(query) if a.kind in ("name", "year")]
        dated = {s: self.vocabulary(s).union(self._year(s)) for s in sources}
        held = [a for a in found if any(v.holds(a) for v in dated.values())]
        return {s for s, v in dated.items() if all(v.holds(a) for a in held)}

    def _year(self, source: str) -> Vocabulary:
        record = self.store.articles.get(source)
        year = (record.date or "")[:4] if record is not None else ""
        return Vocabulary(frozenset(), frozenset({year} if year else ()))

    def vocabulary(self, source: str) -> Vocabulary:
        """The terms and numbers of a whole article (its title and passages), kept per
        content hash."""
        record = self.store.articles.get(source)
        if record is None:
            return Vocabulary(frozenset(), frozenset())
        key = (source, record.sha256)
        if key not in self._vocabularies:
            chunks = self.store.chunks(list(record.chunk_ids))
            self._vocabularies[key] = Vocabulary.of(
                " ".join([record.title, *(c.text for c in chunks)])
            )
        return self._vocabularies[key]
